"""Creating and changing funding sources: every refusal names its field(s) with the message the user reads (in
Chinese) and writes nothing; who created a source is recorded; a source's name is unique per region and year; an
earmark lies below the administering region and around the source's village."""
from decimal import Decimal

import pytest
from django.utils import translation

from core.exceptions import InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from funding import services
from funding.models import Allocation, FundingSource, Mechanism, SourceKind
from projects.models import ProjectStatus
from tests.factories import AllocationFactory, FundingSourceFactory, ProjectFactory, VillageFactory, region, user_with

D = Decimal
S = ProjectStatus


@pytest.fixture
def anji(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def yucun(db):
    return VillageFactory(code="330523108204", name="余村村委会")


def _base(**kw):
    return {"name": "2025年县级资金", "kind": SourceKind.COUNTY_BUDGET, "mechanism": Mechanism.DIRECT_GRANT,
            "region": region("330523"), "fiscal_year": 2025, "total_amount": "1000", **kw}


def _ledger():
    return list(FundingSource.objects.order_by("pk").values()), AuditEntry.objects.count()


def _refused_create(actor, data, exc=InvalidInput):
    before = _ledger()
    with translation.override("zh-hans"), pytest.raises(exc) as refused:
        services.funding_source_create(actor=actor, data=data)
    assert _ledger() == before
    return refused.value


def _refused_update(actor, source, data, exc=InvalidInput):
    before = _ledger()
    with translation.override("zh-hans"), pytest.raises(exc) as refused:
        services.funding_source_update(actor=actor, source=source, data=data)
    assert _ledger() == before
    return refused.value


# --- funding_source_create ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, expected", [
    ({"created_by": 1}, {"created_by": ["此处不能设置该字段。"]}),
    ({"id": 7, "created_by": 1}, {"id": ["此处不能设置该字段。"], "created_by": ["此处不能设置该字段。"]}),
    ({"region": None}, {"region": ["请选择管理区划。"]}),
    ({"kind": "lottery"}, {"kind": ["请选择资金类别。"]}),
    ({"kind": None}, {"kind": ["请选择资金类别。"]}),
    ({"mechanism": "loan"}, {"mechanism": ["请选择补助方式。"]}),
    ({"name": "   "}, {"name": ["请填写资金来源名称。"]}),
    ({"name": None}, {"name": ["请填写资金来源名称。"]}),
    ({"kind": "x", "mechanism": "y", "name": ""}, {"kind": ["请选择资金类别。"], "mechanism": ["请选择补助方式。"],
                                                   "name": ["请填写资金来源名称。"]}),
    ({"total_amount": "十万"}, {"total_amount": ["请输入以元为单位的金额，如 120000 或 120000.50。"]}),
    ({"total_amount": None}, {"total_amount": ["请输入以元为单位的金额，如 120000 或 120000.50。"]}),
    ({"total_amount": "0"}, {"total_amount": ["金额必须大于零。"]}),
    ({"total_amount": "0.004"}, {"total_amount": ["金额必须大于零。"]}),
    ({"total_amount": "-5"}, {"total_amount": ["金额必须大于零。"]}),
    ({"total_amount": "100000000000000"}, {"total_amount": ["金额过大。"]}),
])
def test_create_refusals_name_the_field_with_the_message(anji, change, expected):
    refused = _refused_create(anji, _base(**change))
    assert refused.field_errors == expected


def test_create_without_a_name_key_is_refused_on_the_name(anji):
    data = _base()
    del data["name"]
    assert _refused_create(anji, data).field_errors == {"name": ["请填写资金来源名称。"]}


def test_create_without_a_region_key_is_refused_before_the_gate(db):
    nobody = user_with("nobody")
    data = _base()
    del data["region"]
    assert _refused_create(nobody, data).field_errors == {"region": ["请选择管理区划。"]}


def test_the_village_must_lie_in_the_administering_region(anji):
    other = VillageFactory(code="330522100201", township_code="330522100")
    refused = _refused_create(anji, _base(village=other))
    assert refused.field_errors == {"village": ["该村不在管理区划内。"]}
    inside = VillageFactory(code="330523108204")
    created = services.funding_source_create(actor=anji, data=_base(village=inside))
    assert created.village_id == "330523108204"


@pytest.mark.parametrize("earmark", ["330523", "330522", "3305", "330522001"])
def test_an_earmark_outside_or_equal_to_the_region_is_refused_with_its_name(anji, earmark):
    refused = _refused_create(anji, _base(beneficiary_region=region(earmark)))
    assert refused.field_errors == {"beneficiary_region": ["请选择管理地区（安吉县）的下级地区。"]}


def test_an_earmark_must_hold_the_sources_village(anji, yucun):
    refused = _refused_create(anji, _base(village=yucun, beneficiary_region=region("330523001")))
    assert refused.field_errors == {"beneficiary_region": ["资金来源所属的村不在该地区。"]}
    created = services.funding_source_create(actor=anji, data=_base(village=yucun, beneficiary_region=region("330523108")))
    assert (created.village_id, created.beneficiary_region_id) == ("330523108204", "330523108")


def test_an_earmark_without_a_village_is_accepted(anji):
    created = services.funding_source_create(actor=anji, data=_base(beneficiary_region=region("330523001")))
    assert created.beneficiary_region_id == "330523001" and created.village_id is None


def test_every_problem_of_the_input_is_reported_at_once(anji):
    other = VillageFactory(code="330522100201", township_code="330522100")
    refused = _refused_create(anji, _base(kind="x", village=other, beneficiary_region=region("330522"), name=" "))
    assert refused.field_errors == {
        "kind": ["请选择资金类别。"], "village": ["该村不在管理区划内。"],
        "beneficiary_region": ["请选择管理地区（安吉县）的下级地区。"], "name": ["请填写资金来源名称。"],
    }


def test_a_source_records_its_creator_and_stripped_name(anji):
    created = services.funding_source_create(actor=anji, data=_base(name="  2025年县级资金  ", total_amount="1234.5"))
    created.refresh_from_db()
    assert created.created_by == anji
    assert created.name == "2025年县级资金"
    assert created.total_amount == D("1234.50")
    assert created.region_id == "330523" and created.fiscal_year == 2025


@pytest.mark.parametrize("amount, stored", [("0.01", D("0.01")), ("0.015", D("0.02")), ("99999999999999", D("99999999999999.00"))])
def test_the_amount_bounds_of_a_source(anji, amount, stored):
    created = services.funding_source_create(actor=anji, data=_base(total_amount=amount))
    created.refresh_from_db()
    assert created.total_amount == stored


def test_a_name_is_unique_per_region_and_year(anji):
    FundingSourceFactory(name="2025年县级资金", region=region("330523"), fiscal_year=2025)
    for name in ("2025年县级资金", " 2025年县级资金 "):
        refused = _refused_create(anji, _base(name=name))
        assert refused.field_errors == {"name": ["该区划当年已有同名资金来源。"]}


def test_the_same_name_is_free_in_another_year_or_region_and_another_name_in_the_same(anji):
    FundingSourceFactory(name="2025年县级资金", region=region("330523"), fiscal_year=2024)
    FundingSourceFactory(name="2025年县级资金", region=region("330522"), fiscal_year=2025)
    FundingSourceFactory(name="2025年县级资金（追加）", region=region("330523"), fiscal_year=2025)
    created = services.funding_source_create(actor=anji, data=_base())
    assert FundingSource.objects.filter(region_id="330523", fiscal_year=2025, name="2025年县级资金").get() == created


def test_create_outside_ones_region_is_not_permitted(anji):
    _refused_create(anji, _base(region=region("330522")), exc=NotPermitted)


# --- funding_source_update ---------------------------------------------------------------------------------------

@pytest.fixture
def source(db):
    return FundingSourceFactory(name="安吉县2025年资金", region=region("330523"), fiscal_year=2025, total_amount=D("5000"))


@pytest.mark.parametrize("change, expected", [
    ({"region": "330522"}, {"region": ["此字段不能修改。"]}),
    ({"kind": "x", "village": None}, {"kind": ["此字段不能修改。"], "village": ["此字段不能修改。"]}),
    ({"name": "x", "fiscal_year": 2026}, {"fiscal_year": ["此字段不能修改。"]}),
    ({"total_amount": "abc"}, {"total_amount": ["请输入以元为单位的金额，如 120000 或 120000.50。"]}),
    ({"total_amount": "0"}, {"total_amount": ["金额必须大于零。"]}),
    ({"beneficiary_region": "3305"}, {"beneficiary_region": ["请选择管理地区（安吉县）的下级地区。"]}),
    ({"beneficiary_region": "330523"}, {"beneficiary_region": ["请选择管理地区（安吉县）的下级地区。"]}),
    ({"beneficiary_region": "330522001"}, {"beneficiary_region": ["请选择管理地区（安吉县）的下级地区。"]}),
])
def test_update_refusals_name_the_field_with_the_message(anji, source, change, expected):
    if isinstance(change.get("beneficiary_region"), str):
        change = {**change, "beneficiary_region": region(change["beneficiary_region"])}
    refused = _refused_update(anji, source, change)
    assert refused.field_errors == expected


def test_a_total_below_what_is_allocated_is_refused_with_the_figure(anji, source):
    AllocationFactory(source=source, project=ProjectFactory(status=S.APPROVED), amount=D("1234567.5"))
    source.total_amount = D("2000000")
    source.save()
    refused = _refused_update(anji, source, {"total_amount": "1234567.49"}, exc=services.OverCommitted)
    with translation.override("zh-hans"):
        assert str(refused.message) == "该资金来源已分配 1,234,567.50 元，总额不能低于此数。"
    assert refused.code == "over_committed"
    assert refused.field_errors == {"total_amount": ["不能低于 1,234,567.50。"]}
    updated = services.funding_source_update(actor=anji, source=source, data={"total_amount": "1234567.5"})
    assert updated.total_amount == D("1234567.50")


def test_a_total_is_stored_as_an_amount_and_may_drop_when_nothing_is_allocated(anji, source):
    updated = services.funding_source_update(actor=anji, source=source, data={"total_amount": "1234.5"})
    assert updated.total_amount == D("1234.50")
    source.refresh_from_db()
    assert source.total_amount == D("1234.50")


def test_text_fields_are_stored_stripped(anji, source):
    updated = services.funding_source_update(actor=anji, source=source, data={"name": "  安吉县2025年资金（调整） ",
                                                                             "document_no": " 安财〔2025〕12号 "})
    source.refresh_from_db()
    assert (updated.name, source.name) == ("安吉县2025年资金（调整）", "安吉县2025年资金（调整）")
    assert source.document_no == "安财〔2025〕12号"


def test_an_earmark_must_hold_the_sources_village_on_update(anji, yucun):
    source = FundingSourceFactory(region=region("330523"), village=yucun, total_amount=D("5000"))
    refused = _refused_update(anji, source, {"beneficiary_region": region("330523001")})
    assert refused.field_errors == {"beneficiary_region": ["资金来源所属的村不在该地区。"]}
    updated = services.funding_source_update(actor=anji, source=source, data={"beneficiary_region": region("330523108")})
    assert updated.beneficiary_region_id == "330523108"


def test_an_earmark_can_be_lifted_again(anji, source):
    source.beneficiary_region = region("330523108")
    source.save()
    AllocationFactory(source=source, project=ProjectFactory(village=VillageFactory(code="330523108204"), status=S.APPROVED))
    updated = services.funding_source_update(actor=anji, source=source, data={"beneficiary_region": None})
    source.refresh_from_db()
    assert updated.beneficiary_region_id is None and source.beneficiary_region_id is None


def test_an_earmark_around_money_allocated_elsewhere_is_refused_with_the_reason(anji, source):
    AllocationFactory(source=source, project=ProjectFactory(village=VillageFactory(code="330523001211", township_code="330523001"),
                                                            status=S.APPROVED), amount=D("100"))
    refused = _refused_update(anji, source, {"beneficiary_region": region("330523108")}, exc=services.OutsideEarmark)
    assert refused.code == "outside_earmark"
    with translation.override("zh-hans"):
        assert str(refused.message) == "该资金来源已有资金分配到天荒坪镇以外的地区。"
    assert refused.field_errors == {"beneficiary_region": ["已有分配在该地区以外。"]}
    # Around the allocated money the earmark is accepted.
    updated = services.funding_source_update(actor=anji, source=source, data={"beneficiary_region": region("330523001")})
    assert updated.beneficiary_region_id == "330523001"


def test_update_outside_ones_region_is_not_permitted(db, source):
    other = user_with("changxing", (Role.COUNTY_STAFF, "330522"))
    _refused_update(other, source, {"note": "x"}, exc=NotPermitted)
    assert not Allocation.objects.exists()

