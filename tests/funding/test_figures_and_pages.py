"""Figures in SQL at every level, the ledger pages (constant queries), and the XLSX export."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.exceptions import NotPermitted
from core.models import Role
from funding import selectors, services
from funding.models import SourceKind
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)

D = Decimal
S = ProjectStatus


@pytest.fixture
def ledger(db):
    """安吉县: 余村 (天荒坪镇) and 鲁家村 (递铺街道); 长兴县: one village. Known sums."""
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    lujia = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    other = VillageFactory(township_code="330522001", code="330522001201", name="外县村委会")
    county_budget = FundingSourceFactory(name="县级财政", kind=SourceKind.COUNTY_BUDGET, region=region("330523"), total_amount=D("1000000"))
    province = FundingSourceFactory(name="省级专项", kind=SourceKind.PROVINCIAL_SPECIAL, region=region("33"), total_amount=D("5000000"))
    enterprise = FundingSourceFactory(name="企业投资", kind=SourceKind.ENTERPRISE, region=region("330523"), total_amount=D("800000"))
    farmers = FundingSourceFactory(name="农民投工投劳", kind=SourceKind.FARMER, region=region("330523108"), village=yucun, total_amount=D("50000"))
    p1 = ProjectFactory(village=yucun, status=S.UNDER_CONSTRUCTION, actual_start=datetime.date(2024, 3, 5), budget=D("600000"))
    p2 = ProjectFactory(village=lujia, status=S.APPROVED, budget=D("400000"))
    p3 = ProjectFactory(village=other, status=S.APPROVED, budget=D("900000"))
    ProjectFactory(village=yucun, status=S.CANCELLED, budget=D("999999"))  # not in any budget
    a1 = AllocationFactory(source=county_budget, project=p1, amount=D("200000"))
    a2 = AllocationFactory(source=province, project=p1, amount=D("100000"))
    a3 = AllocationFactory(source=enterprise, project=p1, amount=D("150000"))
    a4 = AllocationFactory(source=farmers, project=p1, amount=D("50000"))
    a5 = AllocationFactory(source=enterprise, project=p2, amount=D("300000"))
    a6 = AllocationFactory(source=province, project=p3, amount=D("700000"))
    DisbursementFactory(allocation=a1, amount=D("120000"))
    DisbursementFactory(allocation=a3, amount=D("150000"))
    DisbursementFactory(allocation=a5, amount=D("60000"))
    DisbursementFactory(allocation=a6, amount=D("350000"))
    assert a2 and a4
    root = user_with("root")
    root.is_superuser = True
    root.save()
    return {"p1": p1, "p2": p2, "p3": p3, "root": root, "county_budget": county_budget}


def _check(f, budget, allocated, government, disbursed):
    assert (f.budget, f.allocated, f.allocated_government, f.disbursed) == (D(budget), D(allocated), D(government), D(disbursed))
    assert f.funding_gap == D(budget) - D(allocated)
    assert f.allocated_non_government == D(allocated) - D(government)


def test_figures_at_every_level(ledger):
    root = ledger["root"]
    p1 = selectors.figures_for_area(user=root, project=ledger["p1"])
    _check(p1, "600000", "500000", "300000", "270000")
    assert p1.execution_rate == D("0.5400") and p1.leverage_ratio == D("0.6667")
    _check(selectors.figures_for_area(user=root, code="330523108204"), "600000", "500000", "300000", "270000")  # village
    _check(selectors.figures_for_area(user=root, code="330523108"), "600000", "500000", "300000", "270000")  # township
    county = selectors.figures_for_area(user=root, code="330523")
    _check(county, "1000000", "800000", "300000", "330000")
    assert county.leverage_ratio == D("1.6667") and county.execution_rate == D("0.4125")
    _check(selectors.figures_for_area(user=root, code="3305"), "1900000", "1500000", "1000000", "680000")  # city
    _check(selectors.figures_for_area(user=root, code="33"), "1900000", "1500000", "1000000", "680000")  # province
    townships = selectors.figures_by_child(user=root, code="330523", child_length=9)
    assert set(townships) == {"330523108", "330523001"}
    _check(townships["330523001"], "400000", "300000", "0", "60000")
    assert townships["330523001"].leverage_ratio is None
    counties = selectors.figures_by_child(user=root, code="3305", child_length=6)
    _check(counties["330522"], "900000", "700000", "700000", "350000")


def test_figures_are_scoped_by_the_gate(ledger):
    official = user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    _check(selectors.figures_for_area(user=official, code="3305"), "600000", "500000", "300000", "270000")
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    _check(selectors.figures_for_area(user=county, code="33"), "1000000", "800000", "300000", "330000")


def test_figures_cost_a_fixed_number_of_queries_whatever_the_size(ledger, django_assert_num_queries):
    root = ledger["root"]
    with django_assert_num_queries(3):
        selectors.figures_for_area(user=root, code="33")
    with django_assert_num_queries(4):  # three grouped sums and the children's names
        selectors.figures_by_child(user=root, code="33", child_length=12)


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(ledger, n):
    village = VillageFactory(code="330523108204")
    for i in range(n):
        source = FundingSourceFactory(name=f"扩充{i}-{n}", region=region("330523"), total_amount=D("100000"))
        project = ProjectFactory(village=village, status=S.APPROVED)
        allocation = AllocationFactory(source=source, project=project, amount=D("1000"))
        DisbursementFactory(allocation=allocation, amount=D("10"))


PAGES = {
    "funding:sources": lambda w: reverse("funding:sources"),
    "funding:allocations": lambda w: reverse("funding:allocations"),
    "funding:disbursements": lambda w: reverse("funding:disbursements"),
    "funding:figures": lambda w: reverse("funding:figures") + "?region=330523108",
    "funding:source_detail": lambda w: reverse("funding:source_detail", args=[w["county_budget"].pk]),
}


@pytest.mark.parametrize("page", PAGES)
def test_ledger_pages_cost_the_same_queries_for_few_and_many_rows(client, ledger, page, django_assert_max_num_queries):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    client.force_login(county)
    url = PAGES[page](ledger)
    few = _count(client, url)
    _grow(ledger, 50)
    if page == "funding:source_detail":
        for _ in range(50):
            AllocationFactory(source=ledger["county_budget"], project=ledger["p1"], amount=D("100"))
    with django_assert_max_num_queries(few):
        client.get(url)
    print(f"queries {page}: {few}")
    assert few <= 14


def test_over_commit_in_the_form_is_a_field_error_and_writes_nothing(client, ledger):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    client.force_login(county)
    source = ledger["county_budget"]  # 1,000,000 with 200,000 allocated
    response = client.post(reverse("funding:allocation_create"), {
        "source": source.pk, "project": ledger["p2"].pk, "amount": "800000.01", "allocated_on": datetime.date.today().isoformat(),
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="amount"' in page and "800,000.00" in page
    assert selectors.source_list(user=county).get(pk=source.pk).allocated == D("200000")


def test_township_official_sees_the_money_of_its_projects(client, ledger):
    official = user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    client.force_login(official)
    page = client.get(reverse("projects:detail", args=[ledger["p1"].pk])).content.decode()
    # Allocated and disbursed, as figures that stand alone: with their unit, in 万元 from 100,000 yuan up.
    assert "<dd>50.00 万元</dd>" in page and "<dd>27.00 万元</dd>" in page
    village = client.get(reverse("villages:detail", args=["330523108204"])).content.decode()
    assert "<dd>50.00 万元</dd>" in village
    assert client.get(reverse("funding:allocation_create")).status_code == 403
    with pytest.raises(NotPermitted):
        services.allocation_create(actor=official, source=ledger["county_budget"], project=ledger["p1"], amount="1")


def test_an_areas_figures_are_the_sum_of_its_childrens(ledger):
    """The figures page reads the children once and sums them (funding.selectors.figures_with_children)."""
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root-sum", password="x" * 20)
    for code, length in (("33", 4), ("3305", 6), ("330523", 9), ("330523108", 12)):
        total, children = selectors.figures_with_children(user=root, code=code, child_length=length)
        alone = selectors.figures_for_area(user=root, code=code)
        fields = ("budget", "allocated", "allocated_government", "disbursed", "disbursed_government", "projects")
        assert [getattr(total, f) for f in fields] == [getattr(alone, f) for f in fields], code
        assert children and total.allocated > 0


def test_the_figures_page_states_its_units(client, ledger):
    """A screenshot showed the county's figures as bare "1,500,000.00" (issue 18, item 20): the key figures carry
    their unit (万元 from 100,000 yuan up) and the areas' columns are in 万元, said in their headings."""
    client.force_login(user_with("anji", (Role.COUNTY_STAFF, "330523")))
    page = client.get(reverse("funding:figures"), {"region": "330523"}).content.decode()
    assert "<dd>100.00 万元</dd>" in page  # 安吉县's budget: 600,000 + 400,000
    assert "预算（万元）" in page and "已分配（万元）" in page and "资金缺口（万元）" in page
    assert ">60.00</td>" in page  # 天荒坪镇's budget (余村's 600,000), in 万元
    assert "1,000,000.00" not in page and "600,000.00" not in page
