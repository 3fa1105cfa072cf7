"""Allocations, payments and their reversals: every refusal names its field(s) with the message the user reads (in
Chinese) and writes nothing; the boundaries of each rule (dates, balances, statuses, earmarks, a source's village);
who made an entry and why is kept on it; the village's figures are refreshed after each entry."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from core.exceptions import Conflict, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from dashboard import stats
from funding import services
from funding.models import Allocation, Disbursement, FundingSource
from projects.models import ProjectStatus
from tests.factories import FundingSourceFactory, VillageFactory, project_in, region, user_with

D = Decimal
S = ProjectStatus
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
REASON_NEEDED = "请填写日期较早的理由（随该笔记录保存）。"


@pytest.fixture
def anji(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def yucun(db):
    return project_in(S.UNDER_CONSTRUCTION, village=VillageFactory(code="330523108204", name="余村村委会"))


@pytest.fixture
def lujia(db):
    return project_in(S.UNDER_CONSTRUCTION, village=VillageFactory(code="330523001211", township_code="330523001"))


@pytest.fixture
def source(db):
    return FundingSourceFactory(name="安吉县专项", region=region("330523"), fiscal_year=2020, total_amount=D("1000"))


@pytest.fixture
def refreshed(monkeypatch):
    """The village codes whose figures are queued for a refresh once the entry commits."""
    codes = []
    monkeypatch.setattr(stats, "_enqueue", codes.append)
    return codes


def _ledger():
    return (list(FundingSource.objects.order_by("pk").values()), list(Allocation.objects.order_by("pk").values()),
            list(Disbursement.objects.order_by("pk").values()), AuditEntry.objects.count())


def _refused(call, exc, **kw):
    before = _ledger()
    with translation.override("zh-hans"), pytest.raises(exc) as refused:
        call(**kw)
    assert _ledger() == before
    error = refused.value
    with translation.override("zh-hans"):
        error.text = str(error.message)
    return error


def _allocate(actor, source, project, amount="100", **kw):
    return services.allocation_create(actor=actor, source=source, project=project, amount=amount, **kw)


def _pay(actor, allocation, amount="10", paid_on=TODAY, voucher_no="AJ-001", **kw):
    return services.disbursement_create(actor=actor, allocation=allocation, amount=amount, paid_on=paid_on,
                                        voucher_no=voucher_no, **kw)


# --- dates (_entry_date) -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("day, field_errors", [
    (TODAY + DAY, {"allocated_on": ["日期不能晚于今天。"]}),
    (datetime.date(2002, 12, 31), {"allocated_on": ["日期不能早于 2003 年（千万工程启动之年）。"]}),
])
def test_an_allocation_date_outside_the_programme_is_refused(anji, source, yucun, day, field_errors):
    refused = _refused(_allocate, InvalidInput, actor=anji, source=source, project=yucun, allocated_on=day, reason="补录")
    assert refused.field_errors == field_errors


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_allocation_dated_more_than_the_window_back_needs_a_reason(anji, source, yucun, reason):
    day = TODAY - datetime.timedelta(days=91)
    refused = _refused(_allocate, InvalidInput, actor=anji, source=source, project=yucun, allocated_on=day, reason=reason)
    assert refused.field_errors == {"allocated_on": ["该日期早于 90 天前。"], "reason": [REASON_NEEDED]}
    assert refused.text == f"日期为 {day.isoformat()} 的记录需要填写日期较早的理由。该日期早于 90 天前。"


def test_the_window_follows_the_setting(anji, source, yucun, settings):
    settings.LEDGER_BACKDATE_DAYS = 10
    day = TODAY - datetime.timedelta(days=11)
    refused = _refused(_allocate, InvalidInput, actor=anji, source=source, project=yucun, allocated_on=day)
    assert refused.field_errors["allocated_on"] == ["该日期早于 10 天前。"]
    assert _allocate(anji, source, yucun, allocated_on=day + DAY).reason == ""


def test_the_edges_of_the_window_need_no_reason(anji, source, yucun):
    for day in (TODAY, TODAY - datetime.timedelta(days=90)):
        allocation = _allocate(anji, source, yucun, allocated_on=day)
        assert (allocation.allocated_on, allocation.reason) == (day, "")


def test_an_allocation_before_the_sources_fiscal_year_needs_a_reason(anji, yucun, settings):
    settings.LEDGER_BACKDATE_DAYS = 100000  # only the fiscal year matters here
    source = FundingSourceFactory(region=region("330523"), fiscal_year=2024, total_amount=D("1000"))
    day = datetime.date(2023, 12, 31)
    refused = _refused(_allocate, InvalidInput, actor=anji, source=source, project=yucun, allocated_on=day)
    assert refused.field_errors == {"allocated_on": ["该日期早于资金来源的预算年度（2024 年）。"], "reason": [REASON_NEEDED]}
    assert refused.text == "日期为 2023-12-31 的记录需要填写日期较早的理由。该日期早于资金来源的预算年度（2024 年）。"
    assert _allocate(anji, source, yucun, allocated_on=datetime.date(2024, 1, 1)).reason == ""
    assert _allocate(anji, source, yucun, allocated_on=day, reason="  上年预拨  ").reason == "上年预拨"


def test_the_first_day_of_the_programme_is_accepted_with_a_reason(anji, source, yucun):
    allocation = _allocate(anji, source, yucun, allocated_on=datetime.date(2003, 1, 1), reason="档案补录")
    allocation.refresh_from_db()
    assert (allocation.allocated_on, allocation.reason) == (datetime.date(2003, 1, 1), "档案补录")


# --- allocation_create -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, message", [
    ("十万", "请输入以元为单位的金额，如 120000 或 120000.50。"),
    (None, "请输入以元为单位的金额，如 120000 或 120000.50。"),
    ("0", "金额必须大于零。"),
    ("-1", "金额必须大于零。"),
    ("1e14", "金额过大。"),
])
def test_an_allocation_amount_is_checked(anji, source, yucun, amount, message):
    refused = _refused(_allocate, InvalidInput, actor=anji, source=source, project=yucun, amount=amount)
    assert refused.field_errors == {"amount": [message]}


def test_an_allocation_records_who_made_it_and_when(anji, source, yucun, refreshed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        allocation = _allocate(anji, source, yucun, "0.01")
    allocation.refresh_from_db()
    assert (allocation.created_by, allocation.allocated_on, allocation.amount, allocation.reason) == (anji, TODAY, D("0.01"), "")
    assert (allocation.source_id, allocation.project_id, allocation.reverses_id) == (source.pk, yucun.pk, None)
    assert refreshed == ["330523108204"]


def test_a_source_the_actor_cannot_see_is_not_permitted(anji, yucun):
    elsewhere = FundingSourceFactory(region=region("330522"), total_amount=D("1000"))
    _refused(_allocate, NotPermitted, actor=anji, source=elsewhere, project=yucun)


def test_a_source_of_another_township_cannot_fund_the_project(anji, lujia):
    township = FundingSourceFactory(name="天荒坪镇自筹", region=region("330523108"), total_amount=D("1000"))
    refused = _refused(_allocate, InvalidInput, actor=anji, source=township, project=lujia)
    # Issue 18: the village by its name, and the true reason (the source's region is not above the village).
    village = lujia.village.short_name
    assert refused.field_errors == {"source": [f"此资金来源不能用于{village}的项目。"]}
    assert refused.text == f"“天荒坪镇自筹”由天荒坪镇管理；{village}不在其范围内。"


def test_a_village_source_funds_only_that_villages_projects(anji, yucun):
    other = project_in(S.APPROVED, village=VillageFactory(code="330523108205"))
    village_fund = FundingSourceFactory(name="余村村集体资金", region=region("330523"), village=yucun.village, total_amount=D("1000"))
    refused = _refused(_allocate, InvalidInput, actor=anji, source=village_fund, project=other)
    # Issue 18: not "outside the region chain" (安吉县 is on it) but set aside for another village, named.
    assert refused.field_errors == {"source": [f"仅用于{yucun.village.short_name}。"]}
    assert refused.text == f"“余村村集体资金”仅用于{yucun.village.short_name}；本项目在{other.village.short_name}。"
    assert _allocate(anji, village_fund, yucun).project_id == yucun.pk


def test_an_earmarked_source_funds_only_its_area(anji, yucun, lujia):
    earmarked = FundingSourceFactory(name="天荒坪镇美丽乡村专项", region=region("330523"), beneficiary_region=region("330523108"),
                                     total_amount=D("1000"))
    refused = _refused(_allocate, services.OutsideEarmark, actor=anji, source=earmarked, project=lujia)
    assert refused.code == "outside_earmark"
    assert refused.field_errors == {"source": ["专项用于天荒坪镇。"]}
    assert refused.text == "“天荒坪镇美丽乡村专项”专项用于天荒坪镇，本项目不在该地区。"
    assert _allocate(anji, earmarked, yucun).project_id == yucun.pk


def test_a_cancelled_project_gets_no_money(anji, source):
    project = project_in(S.CANCELLED, village=VillageFactory(code="330523108204"))
    refused = _refused(_allocate, Conflict, actor=anji, source=source, project=project)
    assert (refused.code, refused.text) == ("conflict", "该项目已取消，不能再向其分配或拨付资金。")
    assert refused.field_errors == {"project": ["项目已取消。"]}


@pytest.mark.parametrize("status, label", [(S.DRAFT, "草稿"), (S.SUBMITTED, "已提交"), (S.RETURNED, "已退回")])
def test_a_project_not_yet_approved_gets_no_money(anji, source, status, label):
    project = project_in(status, village=VillageFactory(code="330523108204"))
    refused = _refused(_allocate, Conflict, actor=anji, source=source, project=project)
    assert refused.text == f"资金只能分配给已批准的项目；该项目当前为“{label}”。"
    assert refused.field_errors == {"project": ["项目尚未批准。"]}


@pytest.mark.parametrize("status", [S.APPROVED, S.UNDER_CONSTRUCTION, S.SUSPENDED, S.COMPLETED, S.ACCEPTED])
def test_every_approved_status_can_be_funded(anji, source, status):
    project = project_in(status, village=VillageFactory(code="330523108204"))
    assert _allocate(anji, source, project).amount == D("100.00")


def test_over_allocation_names_what_is_left(anji, yucun):
    source = FundingSourceFactory(name="安吉县专项", region=region("330523"), fiscal_year=2020, total_amount=D("1234567.89"))
    _allocate(anji, source, yucun, "0.89")
    refused = _refused(_allocate, services.OverCommitted, actor=anji, source=source, project=yucun, amount="1234567.01")
    assert refused.code == "over_committed"
    assert refused.text == "“安吉县专项”仅剩 1,234,567.00 元未分配，本次申请 1,234,567.01 元。"
    assert refused.field_errors == {"amount": ["最多 1,234,567.00。"]}
    assert set(refused.context) == {"available"} and D(refused.context["available"]) == D("1234567.00")
    assert _allocate(anji, source, yucun, "1234567").amount == D("1234567.00")


# --- allocation_reverse ------------------------------------------------------------------------------------------

def _reverse(actor, allocation, reason="录错项目"):
    return services.allocation_reverse(actor=actor, allocation=allocation, reason=reason)


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_an_allocation_reversal_needs_a_reason(anji, source, yucun, reason):
    allocation = _allocate(anji, source, yucun)
    refused = _refused(_reverse, InvalidInput, actor=anji, allocation=allocation, reason=reason)
    assert refused.field_errors == {"reason": ["请填写冲销原因。"]}


def test_an_allocation_reversal_records_who_why_and_when(anji, source, yucun, refreshed, django_capture_on_commit_callbacks):
    allocation = _allocate(anji, source, yucun, "300", allocated_on=TODAY - 5 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        reversal = _reverse(anji, allocation, reason="  录错项目 ")
    reversal.refresh_from_db()
    assert (reversal.amount, reversal.reverses_id, reversal.source_id, reversal.project_id) == (D("-300.00"), allocation.pk, source.pk, yucun.pk)
    assert (reversal.created_by, reversal.reason, reversal.allocated_on) == (anji, "录错项目", TODAY)
    assert refreshed == ["330523108204"]


def test_an_allocation_is_reversed_once_and_a_reversal_never(anji, source, yucun):
    allocation = _allocate(anji, source, yucun)
    reversal = _reverse(anji, allocation)
    again = _refused(_reverse, Conflict, actor=anji, allocation=allocation, reason="再冲")
    assert (again.code, again.text, again.field_errors) == ("conflict", "该分配已冲销。", {})
    of_reversal = _refused(_reverse, Conflict, actor=anji, allocation=reversal, reason="再冲")
    assert (of_reversal.code, of_reversal.text, of_reversal.field_errors) == ("conflict", "冲销记录本身不能再冲销。", {})


def test_an_allocation_with_payments_is_reversed_only_after_them(anji, source, yucun):
    allocation = _allocate(anji, source, yucun, "1000")
    payment = _pay(anji, allocation, "1000")
    refused = _refused(_reverse, Conflict, actor=anji, allocation=allocation)
    assert refused.text == "该分配已拨付 1,000.00 元，请先冲销这些拨付。"
    services.disbursement_reverse(actor=anji, disbursement=payment, reason="重复拨付")
    assert _reverse(anji, allocation).amount == D("-1000.00")


# --- disbursement_create -----------------------------------------------------------------------------------------

@pytest.fixture
def allocation(anji, source, yucun):
    return _allocate(anji, source, yucun, "500", allocated_on=TODAY - 10 * DAY)


@pytest.mark.parametrize("change, field_errors", [
    ({"amount": "abc"}, {"amount": ["请输入以元为单位的金额，如 120000 或 120000.50。"]}),
    ({"amount": "0"}, {"amount": ["金额必须大于零。"]}),
    ({"paid_on": TODAY + DAY}, {"paid_on": ["日期不能晚于今天。"]}),
    ({"paid_on": datetime.date(2002, 12, 31), "reason": "补录"}, {"paid_on": ["日期不能早于 2003 年（千万工程启动之年）。"]}),
    ({"paid_on": TODAY - 91 * DAY}, {"paid_on": ["该日期早于 90 天前。"], "reason": [REASON_NEEDED]}),
    ({"voucher_no": ""}, {"voucher_no": ["请填写付款凭证号。"]}),
    ({"voucher_no": "   "}, {"voucher_no": ["请填写付款凭证号。"]}),
    ({"voucher_no": None}, {"voucher_no": ["请填写付款凭证号。"]}),
    ({"paid_on": TODAY - 11 * DAY}, {"paid_on": ["拨付日期不能早于分配日期（%s）。" % (TODAY - 10 * DAY)]}),
])
def test_payment_refusals_name_the_field_with_the_message(anji, allocation, change, field_errors):
    refused = _refused(_pay, InvalidInput, actor=anji, allocation=allocation, **change)
    assert refused.field_errors == field_errors


def test_a_payment_records_who_why_and_the_stripped_voucher(anji, allocation, refreshed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = _pay(anji, allocation, "500", paid_on=TODAY - 10 * DAY, voucher_no="  AJ-007 ")
    payment.refresh_from_db()
    assert (payment.created_by, payment.voucher_no, payment.amount, payment.paid_on) == (anji, "AJ-007", D("500.00"), TODAY - 10 * DAY)
    assert payment.reason == ""
    assert refreshed == ["330523108204"]


def test_a_payment_date_is_not_held_to_the_sources_fiscal_year(anji, yucun):
    """Only allocations are measured against the fiscal year; a payment only against the allocation and the window."""
    source = FundingSourceFactory(region=region("330523"), fiscal_year=TODAY.year + 1, total_amount=D("1000"))
    allocation = _allocate(anji, source, yucun, allocated_on=TODAY - DAY, reason="提前下达")
    assert _pay(anji, allocation, paid_on=TODAY - DAY).reason == ""


def test_an_old_payment_keeps_its_reason(anji, source, yucun):
    allocation = _allocate(anji, source, yucun, allocated_on=TODAY - 200 * DAY, reason="补录")
    payment = _pay(anji, allocation, paid_on=TODAY - 91 * DAY, reason=" 凭证后补 ")
    payment.refresh_from_db()
    assert payment.reason == "凭证后补"


def test_nothing_is_paid_out_of_a_reversal(anji, allocation):
    reversal = _reverse(anji, allocation)
    refused = _refused(_pay, InvalidInput, actor=anji, allocation=reversal)
    assert refused.field_errors == {"allocation": ["冲销记录不能拨付。"]}
    # and the reversed allocation has nothing left to pay
    over = _refused(_pay, services.OverCommitted, actor=anji, allocation=allocation, amount="0.01")
    assert over.text == "该分配仅剩 0.00 元待拨付，本次申请 0.01 元。"


def test_a_payment_to_a_project_cancelled_since_is_refused(anji, allocation, yucun):
    yucun.status = S.CANCELLED
    yucun.save()
    refused = _refused(_pay, Conflict, actor=anji, allocation=allocation)
    assert refused.text == "该项目已取消，不能再向其分配或拨付资金。"
    assert refused.field_errors == {"project": ["项目已取消。"]}


def test_over_payment_names_what_is_left(anji, allocation):
    _pay(anji, allocation, "123.45", voucher_no="AJ-001")
    refused = _refused(_pay, services.OverCommitted, actor=anji, allocation=allocation, amount="376.56", voucher_no="AJ-002")
    assert refused.code == "over_committed"
    assert refused.text == "该分配仅剩 376.55 元待拨付，本次申请 376.56 元。"
    assert refused.field_errors == {"amount": ["最多 376.55。"]}
    assert set(refused.context) == {"available"} and D(refused.context["available"]) == D("376.55")
    assert _pay(anji, allocation, "376.55", voucher_no="AJ-002").amount == D("376.55")


def test_a_voucher_is_recorded_once_per_allocation(anji, source, yucun, allocation):
    _pay(anji, allocation, voucher_no="AJ-001")
    refused = _refused(_pay, InvalidInput, actor=anji, allocation=allocation, voucher_no=" AJ-001 ")
    assert refused.field_errors == {"voucher_no": ["该分配下已登记此凭证号。"]}
    other = _allocate(anji, source, yucun, "100")
    assert _pay(anji, other, voucher_no="AJ-001").voucher_no == "AJ-001"


# --- disbursement_reverse ----------------------------------------------------------------------------------------

def test_a_payment_reversal_needs_a_reason_and_happens_once(anji, allocation, refreshed, django_capture_on_commit_callbacks):
    payment = _pay(anji, allocation, "200")
    refused = _refused(services.disbursement_reverse, InvalidInput, actor=anji, disbursement=payment, reason=" ")
    assert refused.field_errors == {"reason": ["请填写冲销原因。"]}
    with django_capture_on_commit_callbacks(execute=True):
        reversal = services.disbursement_reverse(actor=anji, disbursement=payment, reason=" 重复拨付 ")
    reversal.refresh_from_db()
    assert (reversal.amount, reversal.voucher_no, reversal.reverses_id, reversal.allocation_id) == (D("-200.00"), "AJ-001", payment.pk, allocation.pk)
    assert (reversal.created_by, reversal.reason, reversal.paid_on) == (anji, "重复拨付", TODAY)
    again = _refused(services.disbursement_reverse, Conflict, actor=anji, disbursement=payment, reason="再冲")
    assert again.text == "该拨付已冲销。"
    of_reversal = _refused(services.disbursement_reverse, Conflict, actor=anji, disbursement=reversal, reason="再冲")
    assert of_reversal.text == "冲销记录本身不能再冲销。"
    assert refreshed == ["330523108204"]
