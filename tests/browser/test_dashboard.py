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
    page.wait_for_function("() => document.querySelectorAll('[data-chart] canvas').length >= 6")
    page.wait_for_function("() => document.querySelector('[data-map]').dataset.points === '9'")
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
    page.wait_for_function("() => document.querySelectorAll('[data-chart] canvas').length >= 6")
    device.shot("31-dashboard-township")


HOSTILE_NAMES = ["'><img src=x onerror=alert(1)>", "{a|b}<img src=x onerror=window.__xss=1>"]


def test_map_tooltip_shows_a_hostile_village_name_as_text(phone):
    """A village name is data, never markup: hovering its point on the map shows the name as typed, runs
    nothing (no dialog, no onerror flag, no <img> in the page) and breaks no Content-Security-Policy rule
    (the Phone fails the test on any violation); every other chart's tooltip is hovered too."""
    villages = []
    for i, name in enumerate(HOSTILE_NAMES):
        village = VillageFactory(code=f"330523108{230 + i}", name=f"{name}村委会", short_name=name,
                                 latitude=Decimal(f"30.{50 + 10 * i}"), longitude=Decimal(f"119.{50 + 10 * i}"))
        ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, percent_complete=40,
                       actual_start=datetime.date.today() - datetime.timedelta(days=30))
        villages.append(village)
    stats.rebuild("")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    device = phone(desktop=True)  # a mouse to hover with
    page = device.login("anji", "correct-horse-battery-staple")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page = device.go("/dashboard/330523108/")
    page.wait_for_function("() => document.querySelector('[data-map]').dataset.points === '2'")
    page.locator("[data-map]").scroll_into_view_if_needed()
    tips = []
    for village in villages:
        x, y = page.evaluate(
            """([lon, lat]) => {
                 const el = document.querySelector('[data-map]'), box = el.getBoundingClientRect();
                 const [x, y] = echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [lon, lat]);
                 return [box.left + x, box.top + y];
               }""",
            [float(village.longitude), float(village.latitude)],
        )
        page.mouse.move(x - 40, y - 40)
        page.mouse.move(x, y, steps=4)
        # The tooltip names the village by its code (plain digits) whatever became of the name.
        page.wait_for_function(
            "code => [...document.querySelectorAll('[data-map] div')].some(d => d.offsetParent && d.textContent.includes(code))",
            arg=village.code,
        )
        tip = page.evaluate(
            "code => [...document.querySelectorAll('[data-map] div')].filter(d => d.offsetParent && d.textContent.includes(code))"
            ".map(d => d.textContent).pop()",
            village.code,
        )
        page.wait_for_timeout(300)  # time for an injected <img src=x> to fail and fire its onerror
        tips.append((village.short_name, tip))
        page.locator("[data-map]").screenshot(path=str(device.screenshots / f"32-map-tooltip-{len(tips)}.png"))
    assert not dialogs, f"a village name ran script: dialogs {dialogs}"
    assert page.evaluate("window.__xss") is None, "a village name ran script: window.__xss was set"
    assert page.locator("img[src=x]").count() == 0, "a village name became an <img> element"
    for name, tip in tips:
        assert name in tip, f"the tooltip shows {tip!r}, not the name {name!r} as text"
    # The other charts' tooltips (their labels are region and category names).
    page.wait_for_function("() => document.querySelectorAll('[data-chart] canvas').length >= 6")
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        for fx, fy in ((0.5, 0.5), (0.3, 0.4), (0.6, 0.7)):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=3)
            page.wait_for_timeout(50)
    device.shot("33-dashboard-tooltips")
