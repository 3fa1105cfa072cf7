"""Upkeep money (管护经费): allocations to an asset's upkeep go through the ledger's sources, balances, refusals,
reversals and payments, and the figures count them apart from construction money."""
import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from core import audit
from core.exceptions import Conflict, InvalidInput, NotPermitted
from core.models import AuditAction, AuditEntry, Role
from funding import selectors, services
from funding.models import Allocation, Disbursement, FundingSource, Mechanism
from maintenance.models import Asset, AssetStatus
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    AssetFactory,
    FundingSourceFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)
from tests.locks import concurrent_writer

D = Decimal
TODAY = datetime.date.today()
RECENT = TODAY - datetime.timedelta(days=5)


@pytest.fixture
def ledger(db):
    village = VillageFactory(code="330523108204", name="余村村委会")
    other = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    project = ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, budget=D("500000"),
                             actual_start=TODAY - datetime.timedelta(days=60))
    return {
        "county": user_with("anji-county", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "other_county": user_with("deqing", (Role.COUNTY_STAFF, "330522")),
        "village": village,
        "other": other,
        "project": project,
        "asset": AssetFactory(village=village, name="余村污水处理终端"),
        "source": FundingSourceFactory(name="2024年县级财政预算", region=region("330523"), total_amount=D("100000"),
                                       fiscal_year=TODAY.year),
    }


def _upkeep(ledger, amount="30000", **kw):
    return services.upkeep_allocation_create(actor=ledger["county"], source=kw.pop("source", ledger["source"]),
                                             asset=kw.pop("asset", ledger["asset"]), amount=amount, allocated_on=RECENT, **kw)


def test_an_upkeep_allocation_goes_to_the_asset_with_its_village_and_an_audit_row(ledger):
    allocation = _upkeep(ledger)
    allocation.refresh_from_db()
    assert (allocation.asset_id, allocation.project_id, allocation.village_id) == (ledger["asset"].pk, None, "330523108204")
    assert allocation.purpose == "upkeep" and allocation.amount == D("30000.00")
    entry = AuditEntry.objects.get(object_id=str(allocation.pk), action=AuditAction.CREATE)
    assert entry.actor == ledger["county"]
    assert services.source_allocated(ledger["source"].pk) == D("30000.00")


def test_upkeep_and_construction_money_share_the_source_balance(ledger):
    services.allocation_create(actor=ledger["county"], source=ledger["source"], project=ledger["project"], amount="80000",
                               allocated_on=RECENT)
    with pytest.raises(services.OverCommitted) as refused:
        _upkeep(ledger, "20000.01")
    assert refused.value.context["available"] == "20000.00" and "amount" in refused.value.field_errors
    _upkeep(ledger, "20000")
    with pytest.raises(services.OverCommitted):
        services.allocation_create(actor=ledger["county"], source=ledger["source"], project=ledger["project"], amount="0.01",
                                   allocated_on=RECENT)
    assert Allocation.objects.filter(source=ledger["source"]).count() == 2


@pytest.mark.parametrize("who", ["official", "other_county"])
def test_only_the_county_staff_of_the_area_allocate_upkeep_money(ledger, who):
    with pytest.raises(NotPermitted):
        services.upkeep_allocation_create(actor=ledger[who], source=ledger["source"], asset=ledger["asset"], amount="100",
                                          allocated_on=RECENT)
    assert not Allocation.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.CREATE, content_type__model="allocation").exists()


def test_a_retired_asset_gets_no_upkeep_money(ledger):
    Asset.objects.filter(pk=ledger["asset"].pk).update(status=AssetStatus.RETIRED, retired_on=TODAY)
    with pytest.raises(Conflict) as refused:
        _upkeep(ledger)
    assert "asset" in refused.value.field_errors
    assert not Allocation.objects.exists()


def test_a_source_that_does_not_serve_the_village_is_refused(ledger):
    village_money = FundingSourceFactory(name="鲁家村集体资金", kind="village_collective", region=region("330523"),
                                         village=ledger["other"], total_amount=D("5000"))
    earmarked = FundingSourceFactory(name="县级专项（递铺街道）", region=region("330523"), beneficiary_region=region("330523001"),
                                     total_amount=D("5000"))
    elsewhere = FundingSourceFactory(name="德清县财政预算", region=region("330522"), total_amount=D("5000"))
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as only_there:
        _upkeep(ledger, "100", source=village_money)
    assert str(only_there.value) == "“鲁家村集体资金”仅用于鲁家村；本设施在余村。"
    with pytest.raises(services.OutsideEarmark):
        _upkeep(ledger, "100", source=earmarked)
    with pytest.raises(NotPermitted):  # a source the county staff cannot even see
        _upkeep(ledger, "100", source=elsewhere)
    assert not Allocation.objects.exists()


def test_the_database_wants_exactly_one_of_project_and_asset(ledger):
    source, village = ledger["source"], ledger["village"]
    for target in ({}, {"project": ledger["project"], "asset": ledger["asset"]}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Allocation.objects.create(source=source, village=village, amount=D("1"), allocated_on=RECENT, **target)


def test_an_upkeep_allocation_is_paid_and_reversed_like_any_other(ledger):
    allocation = _upkeep(ledger)
    payment = services.disbursement_create(actor=ledger["county"], allocation=allocation, amount="10000", paid_on=TODAY,
                                           voucher_no="AJ-GH-1")
    assert payment.allocation.village_id == "330523108204"
    with pytest.raises(Conflict):  # its payment first
        services.allocation_reverse(actor=ledger["county"], allocation=allocation, reason="拨错设施")
    services.disbursement_reverse(actor=ledger["county"], disbursement=payment, reason="凭证号录错")
    reversal = services.allocation_reverse(actor=ledger["county"], allocation=allocation, reason="拨错设施")
    assert (reversal.asset_id, reversal.project_id, reversal.village_id, reversal.amount) == (
        ledger["asset"].pk, None, "330523108204", D("-30000.00"))
    assert services.source_allocated(ledger["source"].pk) == D("0.00")
    assert audit.history(reversal).filter(note="拨错设施").exists()


def test_build_first_subsidise_later_applies_to_projects_only(ledger):
    """先建后补 waits for the project's acceptance; an asset is a facility built and accepted already."""
    later = FundingSourceFactory(name="先建后补资金", region=region("330523"), total_amount=D("100000"),
                                 mechanism=Mechanism.BUILD_THEN_SUBSIDIZE, fiscal_year=TODAY.year)
    construction = services.allocation_create(actor=ledger["county"], source=later, project=ledger["project"],
                                              amount="1000", allocated_on=RECENT)
    upkeep = _upkeep(ledger, "1000", source=later)
    with pytest.raises(services.MechanismNotMet):
        services.disbursement_create(actor=ledger["county"], allocation=construction, amount="10", paid_on=TODAY, voucher_no="X1")
    services.disbursement_create(actor=ledger["county"], allocation=upkeep, amount="10", paid_on=TODAY, voucher_no="X2")
    reward = FundingSourceFactory(name="以奖代补资金", region=region("330523"), total_amount=D("100000"),
                                  mechanism=Mechanism.REWARD_IN_LIEU, fiscal_year=TODAY.year)
    with pytest.raises(services.MechanismNotMet):  # the village has not passed its assessment: for upkeep too
        services.disbursement_create(actor=ledger["county"], allocation=_upkeep(ledger, "10", source=reward), amount="10",
                                     paid_on=TODAY, voucher_no="X3")
    assert Disbursement.objects.count() == 1


def test_figures_count_construction_and_upkeep_apart(ledger):
    construction = services.allocation_create(actor=ledger["county"], source=ledger["source"], project=ledger["project"],
                                              amount="40000", allocated_on=RECENT)
    services.disbursement_create(actor=ledger["county"], allocation=construction, amount="15000", paid_on=TODAY, voucher_no="C1")
    upkeep = _upkeep(ledger, "25000")
    services.disbursement_create(actor=ledger["county"], allocation=upkeep, amount="5000", paid_on=TODAY, voucher_no="U1")
    for figures in (selectors.figures_for_area(user=ledger["county"], code="330523"),
                    selectors.figures_with_children(user=ledger["county"], code="330523", child_length=9)[0],
                    selectors.figures_by_child(user=ledger["county"], code="330523108", child_length=12)["330523108204"]):
        assert (figures.allocated, figures.disbursed) == (D("40000.00"), D("15000.00"))  # construction, as before
        assert (figures.upkeep_allocated, figures.upkeep_disbursed) == (D("25000.00"), D("5000.00"))
        assert figures.funding_gap == D("460000.00") and figures.execution_rate == D("0.3750")
    project_figures = selectors.figures_for_area(user=ledger["county"], project=ledger["project"])
    assert (project_figures.allocated, project_figures.upkeep_allocated) == (D("40000.00"), D("0.00"))
    sources = selectors.source_list(user=ledger["county"]).get(pk=ledger["source"].pk)
    assert (sources.allocated, sources.unallocated) == (D("65000.00"), D("35000.00"))  # the pot holds both


def test_the_dashboard_keeps_construction_money_only(ledger):
    from dashboard.stats import compute_village_stats

    services.allocation_create(actor=ledger["county"], source=ledger["source"], project=ledger["project"], amount="40000",
                               allocated_on=RECENT)
    _upkeep(ledger, "25000")
    (stats,) = [s for s in compute_village_stats("330523108204", TODAY) if s.village_id == "330523108204"]
    assert stats.allocated == D("40000.00")


def test_the_allocation_lists_and_the_api_filter_by_purpose(ledger, client):
    construction = services.allocation_create(actor=ledger["county"], source=ledger["source"], project=ledger["project"],
                                              amount="40000", allocated_on=RECENT)
    upkeep = _upkeep(ledger, "25000")
    assert list(selectors.upkeep_allocation_list(user=ledger["county"])) == [upkeep]
    client.force_login(ledger["county"])
    rows = client.get(reverse("api:allocation-list"), {"purpose": "upkeep"}).json()["results"]
    assert [(r["id"], r["purpose"], r["asset"], r["project"]) for r in rows] == [(upkeep.pk, "upkeep", ledger["asset"].pk, None)]
    rows = client.get(reverse("api:allocation-list"), {"purpose": "construction"}).json()["results"]
    assert [(r["id"], r["purpose"], r["asset"]) for r in rows] == [(construction.pk, "construction", None)]
    page = client.get(reverse("funding:upkeep"))
    assert page.status_code == 200 and "余村污水处理终端" in page.content.decode()


def test_the_api_allocates_upkeep_money_to_an_asset(ledger, client):
    client.force_login(ledger["county"])
    url = reverse("api:allocation-list")
    both = client.post(url, {"source": ledger["source"].pk, "project": ledger["project"].pk, "asset": ledger["asset"].pk,
                             "amount": "100"}, content_type="application/json")
    assert both.status_code == 400 and not Allocation.objects.exists()
    made = client.post(url, {"source": ledger["source"].pk, "asset": ledger["asset"].pk, "amount": "100"},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["purpose"] == "upkeep" and Allocation.objects.get().asset_id == ledger["asset"].pk


def test_the_upkeep_form_allocates_and_shows_the_refusal(ledger, client):
    client.force_login(ledger["county"])
    url = reverse("funding:upkeep_create")
    page = client.get(url, {"asset": ledger["asset"].pk})
    assert page.status_code == 200 and "余村污水处理终端" in page.content.decode()
    too_much = client.post(url, {"source": ledger["source"].pk, "asset": ledger["asset"].pk, "amount": "100000.01",
                                 "allocated_on": RECENT.isoformat()})
    assert too_much.status_code == 200 and not Allocation.objects.exists()
    done = client.post(url, {"source": ledger["source"].pk, "asset": ledger["asset"].pk, "amount": "1200",
                             "allocated_on": RECENT.isoformat()})
    allocation = Allocation.objects.get()
    assert done.status_code == 302 and done.url == reverse("funding:allocation_detail", args=[allocation.pk])
    assert client.get(done.url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_upkeep_allocation_waits_for_another_on_the_same_source(postgres):
    county = user_with("anji-locks", (Role.COUNTY_STAFF, "330523"))
    asset = AssetFactory(village=VillageFactory(code="330523108204"))
    source = FundingSourceFactory(name="2024年县级财政预算", total_amount=D("1000"), region=region("330523"))
    with concurrent_writer(lambda: FundingSource.objects.select_for_update().get(pk=source.pk),
                           lambda: AllocationFactory(source=source, project=None, asset=asset, amount=D("700"), allocated_on=TODAY)):
        with pytest.raises(services.OverCommitted):
            services.upkeep_allocation_create(actor=county, source=source, asset=asset, amount="400")
    assert sum(Allocation.objects.filter(source=source).values_list("amount", flat=True)) == D("700")


@pytest.mark.django_db(transaction=True)
def test_an_upkeep_allocation_waits_for_the_asset_being_retired(postgres):
    county = user_with("anji-locks", (Role.COUNTY_STAFF, "330523"))
    asset = AssetFactory(village=VillageFactory(code="330523108204"))
    source = FundingSourceFactory(name="2024年县级财政预算", total_amount=D("1000"), region=region("330523"))
    with concurrent_writer(lambda: Asset.objects.select_for_update().get(pk=asset.pk),
                           lambda: Asset.objects.filter(pk=asset.pk).update(status=AssetStatus.RETIRED, retired_on=TODAY)):
        with pytest.raises(Conflict):
            services.upkeep_allocation_create(actor=county, source=source, asset=asset, amount="100")
    assert not Allocation.objects.exists()
