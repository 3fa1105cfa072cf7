"""Money meant for one area stays there and is seen only there; ledger dates stay in a window a finance officer
accepts.

- A source may be earmarked for a region below its administering region (a provincial fund for 德清县): allocations
  to projects elsewhere are refused (409 outside_earmark, pages and API), and users outside its line do not see it.
- A source administered above the reader (seen from below) shows only what was allocated and paid within the
  reader's area; the money of one village is seen only on that village's line.
- Entries are not dated in the future or before 2003; a date before the source's fiscal year or more than
  LEDGER_BACKDATE_DAYS back needs a reason, which is kept on the entry and in its audit row.
"""
import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from funding import selectors, services
from funding.models import Allocation, Disbursement, FundingSource, SourceKind
from projects.models import ProjectStatus
from tests.factories import AllocationFactory, FundingSourceFactory, ProjectFactory, VillageFactory, region, user_with

D = Decimal
S = ProjectStatus
TODAY = datetime.date.today()


@pytest.fixture
def people(db):
    return {
        "anji": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "deqing": user_with("deqing", (Role.COUNTY_STAFF, "330521")),
        "tianhuangping": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "dipu": user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "huzhou": user_with("huzhou", (Role.SUPERVISOR, "3305")),
    }


def _project(code):
    return ProjectFactory(village=VillageFactory(code=code, township_code=code[:9]), status=S.UNDER_CONSTRUCTION, actual_start=datetime.date(2024, 3, 5),
                          budget=D("900000"))


@pytest.fixture
def projects(db):
    return {
        "yucun": _project("330523108204"),  # 安吉县 天荒坪镇
        "lujia": _project("330523001211"),  # 安吉县 递铺街道
        "deqing": _project("330521100201"),  # 德清县
        "changxing": _project("330522100201"),  # 长兴县
    }


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ledger():
    return (list(Allocation.objects.order_by("pk").values()), list(Disbursement.objects.order_by("pk").values()),
            AuditEntry.objects.count())


@pytest.fixture
def earmarked(db):
    """A provincial fund earmarked for 德清县."""
    return FundingSourceFactory(name="2025年省级以奖代补资金（德清县）", kind=SourceKind.PROVINCIAL_SPECIAL, region=region("33"),
                                beneficiary_region=region("330521"), fiscal_year=TODAY.year, total_amount=D("1000000"))


# --- 11. earmarks -------------------------------------------------------------------------------------------

def test_a_county_cannot_spend_money_earmarked_for_another_county(people, projects, earmarked):
    before = _ledger()
    response = _api(people["anji"]).post("/api/v1/allocations/", {"source": earmarked.pk, "project": projects["yucun"].pk,
                                                                  "amount": "100000"}, format="json")
    assert response.status_code in (400, 409), response.content
    assert "source" in response.json()["field_errors"]
    assert _ledger() == before
    # 安吉 does not even see it; 德清 sees it and spends it on its own project.
    assert not selectors.source_list(user=people["anji"]).filter(pk=earmarked.pk).exists()
    response = _api(people["deqing"]).post("/api/v1/allocations/", {"source": earmarked.pk, "project": projects["deqing"].pk,
                                                                    "amount": "100000"}, format="json")
    assert response.status_code == 201, response.content


def test_outside_the_earmark_is_409_with_the_reason_on_pages_and_api(people, projects):
    """A county fund earmarked for 天荒坪镇: county staff see it (their county administers it) but cannot spend it in 递铺街道."""
    source = FundingSourceFactory(name="天荒坪镇美丽乡村专项", region=region("330523"), beneficiary_region=region("330523108"),
                                  fiscal_year=TODAY.year, total_amount=D("500000"))
    before = _ledger()
    response = _api(people["anji"]).post("/api/v1/allocations/", {"source": source.pk, "project": projects["lujia"].pk,
                                                                  "amount": "1000"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "outside_earmark" and "天荒坪镇" in body["message"] and "source" in body["field_errors"]
    pages = Client()
    pages.force_login(people["anji"])
    page = pages.post("/funding/allocations/new/", {"source": source.pk, "project": projects["lujia"].pk, "amount": "1000",
                                                   "allocated_on": TODAY.isoformat()})
    assert page.status_code == 200 and "天荒坪镇" in page.content.decode()
    assert _ledger() == before
    services.allocation_create(actor=people["anji"], source=source, project=projects["yucun"], amount="1000")


def test_an_earmark_lies_below_the_administering_region(people):
    base = {"name": "2025年县级资金", "kind": SourceKind.COUNTY_BUDGET, "mechanism": "direct_grant", "region": region("330523"),
            "fiscal_year": TODAY.year, "total_amount": "1000"}
    for wrong in ("330523", "330522", "3305"):
        with pytest.raises(services.InvalidInput) as refused:
            services.funding_source_create(actor=people["anji"], data={**base, "beneficiary_region": region(wrong)})
        assert "beneficiary_region" in refused.value.field_errors
    assert not FundingSource.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds the same rule
        FundingSourceFactory(region=region("330523"), beneficiary_region=region("330522"))
    created = services.funding_source_create(actor=people["anji"], data={**base, "beneficiary_region": region("330523108")})
    assert created.beneficiary_region_id == "330523108"


def test_an_earmark_cannot_be_set_around_money_already_spent_elsewhere(people, projects):
    source = FundingSourceFactory(region=region("330523"), fiscal_year=TODAY.year, total_amount=D("5000"))
    services.allocation_create(actor=people["anji"], source=source, project=projects["lujia"], amount="1000")
    with pytest.raises(services.OutsideEarmark):
        services.funding_source_update(actor=people["anji"], source=source, data={"beneficiary_region": region("330523108")})
    source.refresh_from_db()
    assert source.beneficiary_region_id is None
    services.funding_source_update(actor=people["anji"], source=source, data={"beneficiary_region": region("330523001")})


# --- 12. figures seen from below -----------------------------------------------------------------------------

def test_a_source_seen_from_below_shows_only_the_readers_area(people, projects):
    fund = FundingSourceFactory(name="2025年省级专项", kind=SourceKind.PROVINCIAL_SPECIAL, region=region("33"),
                                fiscal_year=TODAY.year, total_amount=D("10000"))
    for project, amount in ((projects["yucun"], "100"), (projects["lujia"], "900"), (projects["changxing"], "500")):
        AllocationFactory(source=fund, project=project, amount=D(amount), allocated_on=TODAY)
    official = selectors.source_list(user=people["tianhuangping"]).get(pk=fund.pk)
    assert (official.allocated, official.from_below, official.unallocated) == (D("100.00"), True, None)
    county = selectors.source_list(user=people["anji"]).get(pk=fund.pk)
    assert (county.allocated, county.from_below, county.unallocated) == (D("1000.00"), True, D("8500.00"))
    body = _api(people["tianhuangping"]).get(f"/api/v1/funding-sources/{fund.pk}/").json()
    assert (body["allocated"], body["unallocated"], body["from_below"]) == ("100.00", None, True)
    page = Client()
    page.force_login(people["tianhuangping"])
    html = page.get("/funding/").content.decode()
    assert "1,500.00" not in html and "8,500.00" not in html and "100.00" in html


def test_the_money_of_one_village_is_seen_only_on_its_line(people, projects):
    collective = FundingSourceFactory(name="鲁家村村集体投入", kind=SourceKind.VILLAGE_COLLECTIVE, region=region("330523"),
                                      village=projects["lujia"].village, fiscal_year=TODAY.year, total_amount=D("300000"))
    AllocationFactory(source=collective, project=projects["lujia"], amount=D("1000"), allocated_on=TODAY)
    assert not selectors.source_list(user=people["tianhuangping"]).filter(pk=collective.pk).exists()
    assert _api(people["tianhuangping"]).get(f"/api/v1/funding-sources/{collective.pk}/").status_code == 404
    assert selectors.source_list(user=people["dipu"]).get(pk=collective.pk).allocated == D("1000.00")
    assert selectors.source_list(user=people["anji"]).filter(pk=collective.pk).exists()


def test_earmarked_money_is_seen_on_its_line_only(people, earmarked):
    assert selectors.source_list(user=people["deqing"]).filter(pk=earmarked.pk).exists()
    assert selectors.source_list(user=people["huzhou"]).filter(pk=earmarked.pk).exists()  # 湖州市 is above 德清县
    assert not selectors.source_list(user=people["anji"]).filter(pk=earmarked.pk).exists()
    assert not selectors.source_list(user=people["tianhuangping"]).filter(pk=earmarked.pk).exists()


# --- 13. dates -------------------------------------------------------------------------------------------------

@pytest.fixture
def county_fund(db):
    return FundingSourceFactory(name="县级资金", region=region("330523"), fiscal_year=TODAY.year, total_amount=D("100000"))


@pytest.mark.parametrize("day", ["1900-01-01", "2002-12-31", (TODAY + datetime.timedelta(days=1)).isoformat()])
def test_impossible_ledger_dates_are_refused(people, projects, county_fund, day):
    before = _ledger()
    response = _api(people["anji"]).post("/api/v1/allocations/", {"source": county_fund.pk, "project": projects["yucun"].pk,
                                                                  "amount": "100", "allocated_on": day, "reason": "补录"},
                                         format="json")
    assert response.status_code == 400 and "allocated_on" in response.json()["field_errors"], response.content
    assert _ledger() == before


def test_an_earlier_date_needs_a_reason_which_is_kept_and_audited(people, projects, county_fund):
    api = _api(people["anji"])
    long_ago = (TODAY - datetime.timedelta(days=120)).isoformat()
    last_year = datetime.date(TODAY.year - 1, 12, 20).isoformat()
    for day in (long_ago, last_year):
        before = _ledger()
        response = api.post("/api/v1/allocations/", {"source": county_fund.pk, "project": projects["yucun"].pk, "amount": "100",
                                                     "allocated_on": day}, format="json")
        assert response.status_code == 400, (day, response.content)
        assert {"allocated_on", "reason"} <= set(response.json()["field_errors"])
        assert _ledger() == before
    response = api.post("/api/v1/allocations/", {"source": county_fund.pk, "project": projects["yucun"].pk, "amount": "100",
                                                 "allocated_on": last_year, "reason": "年初预下达，补录"}, format="json")
    assert response.status_code == 201 and response.json()["reason"] == "年初预下达，补录"
    allocation = Allocation.objects.get(pk=response.json()["id"])
    assert AuditEntry.objects.filter(object_id=str(allocation.pk), note="年初预下达，补录").exists()
    recent = (TODAY - datetime.timedelta(days=10)).isoformat()
    assert api.post("/api/v1/allocations/", {"source": county_fund.pk, "project": projects["yucun"].pk, "amount": "100",
                                             "allocated_on": recent}, format="json").status_code == 201


def test_payment_dates_follow_the_same_window(people, projects, county_fund):
    allocation = services.allocation_create(actor=people["anji"], source=county_fund, project=projects["yucun"], amount="1000",
                                            allocated_on=datetime.date(TODAY.year, 1, 1), reason="年初下达")
    api = _api(people["anji"])
    before = _ledger()
    for day, reason in (("1900-01-01", "补录"), ((TODAY - datetime.timedelta(days=100)).isoformat(), "")):
        response = api.post("/api/v1/disbursements/", {"allocation": allocation.pk, "amount": "10", "paid_on": day,
                                                       "voucher_no": "V1", "reason": reason}, format="json")
        assert response.status_code == 400 and "paid_on" in response.json()["field_errors"], (day, response.content)
    assert _ledger() == before
    pages = Client()
    pages.force_login(people["anji"])
    page = pages.post(f"/funding/allocations/{allocation.pk}/payments/",
                      {"amount": "10", "paid_on": "1900-01-01", "voucher_no": "V1"})
    assert page.status_code == 400 and _ledger() == before


def test_the_database_refuses_entries_before_the_programme(projects, county_fund):
    with pytest.raises(IntegrityError), transaction.atomic():
        AllocationFactory(source=county_fund, project=projects["yucun"], allocated_on=datetime.date(1900, 1, 1))
