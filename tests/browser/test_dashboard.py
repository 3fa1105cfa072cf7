"""The county dashboard on a phone: ECharts charts drawn from the vendored library, the villages'
map from their coordinates, sortable tables and drill-down."""
import datetime
from decimal import Decimal

import pytest

from core.models import Role
from dashboard import stats
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    user_with,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_dashboard_draws_its_charts_and_map(phone):
    today = datetime.date.today()
    for i, township in enumerate(["330523108", "330523001", "330523101"]):
        for j in range(i + 2):  # 2, 3 and 4 villages
            village = VillageFactory(township_code=township, code=f"{township}{200 + j:03d}",
                                     latitude=Decimal(f"30.{60 + i * 5 + j}"), longitude=Decimal(f"119.{60 + j * 4 + i}"))
            project = ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, percent_complete=20 + 25 * j,
                                     actual_start=today - datetime.timedelta(days=200), budget=Decimal("500000"))
            ProgressReportFactory(project=project, report_date=today - datetime.timedelta(days=10 * j))
            DisbursementFactory(allocation=AllocationFactory(project=project, amount=Decimal("200000")), amount=Decimal("80000"),
                                paid_on=today - datetime.timedelta(days=40 * j))
    stats.rebuild("")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    device = phone()
    page = device.login("anji", "correct-horse-battery-staple")
    page = device.go("/dashboard/330523/")
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length >= 6")
    page.wait_for_function("document.querySelector('[data-map]').dataset.points === '9'")
    assert page.locator("[data-chart='category'] canvas").count() == 1
    assert page.locator(".kpi").first.is_visible()
    device.shot("30-dashboard-county")
    # Sort the areas table by villages (the header is hidden on a phone's cards: dispatch the click).
    first = "document.querySelector('table.sortable tbody tr td').textContent.trim()"
    page.locator("table.sortable th:nth-child(2)").dispatch_event("click")
    assert page.evaluate(first) == "天荒坪镇"  # 2 villages: fewest first
    page.locator("table.sortable th:nth-child(2)").dispatch_event("click")
    assert page.evaluate(first) != "天荒坪镇"
    page.click("table.sortable a[href='/dashboard/330523108/']")
    page.wait_for_url("**/dashboard/330523108/")
    assert page.locator("nav.crumbs a[href='/dashboard/330523/']").is_visible()
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length >= 6")
    device.shot("31-dashboard-township")
