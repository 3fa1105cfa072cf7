"""The county dashboard on a phone: ECharts charts drawn from the vendored library, the villages'
map from their coordinates, sortable tables and drill-down."""
import datetime
from decimal import Decimal

import pytest

from core.models import Role
from dashboard import stats
from projects.models import ProjectStatus
from tests.browser.conftest import draw_charts
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
    # Drawn when near the screen: on a phone, the charts far below the first screen wait until they are scrolled to.
    page.wait_for_function("() => document.querySelector('[data-chart] canvas') !== null")
    last = page.locator("[data-chart]").last
    assert last.bounding_box()["y"] > 812 + 200 and last.locator("canvas").count() == 0
    last.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('[data-chart]')].pop().querySelector('canvas') !== null")
    draw_charts(page)
    page.wait_for_function("() => document.querySelectorAll('[data-chart] canvas').length >= 6")
    page.wait_for_function("() => document.querySelector('[data-map]').dataset.points === '9'")
    assert page.locator("[data-chart='category'] canvas").count() == 1
    assert page.locator(".kpi").first.is_visible()
    device.shot("30-dashboard-county")
    # Sort the areas table by villages (the header is hidden on a phone's cards: dispatch the click).
    first = "document.querySelector('#areas table.sortable tbody tr td').textContent.trim()"
    page.locator("#areas table.sortable th:nth-child(2)").dispatch_event("click")
    assert page.evaluate(first) == "天荒坪镇"  # 2 villages: fewest first
    page.locator("#areas table.sortable th:nth-child(2)").dispatch_event("click")
    assert page.evaluate(first) != "天荒坪镇"
    page.click("#areas table.sortable a[href='/dashboard/330523108/']")
    page.wait_for_url("**/dashboard/330523108/")
    assert page.locator("nav.crumbs a[href='/dashboard/330523/']").is_visible()
    draw_charts(page)
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
    draw_charts(page)
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
    # The other charts' tooltips (their labels are region and category names). No money and no report in this
    # township: those two charts say "暂无数据" instead of drawing empty axes (issue 18), the four others are drawn.
    assert page.locator(".chart-empty").all_inner_texts() == ["暂无数据", "暂无数据"]
    page.wait_for_function("() => document.querySelectorAll('[data-chart] canvas').length >= 4")
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        for fx, fy in ((0.5, 0.5), (0.3, 0.4), (0.6, 0.7)):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=3)
            page.wait_for_timeout(50)
    device.shot("33-dashboard-tooltips")


@pytest.mark.parametrize("desktop", [False, True], ids=["phone", "desktop"])
def test_map_draws_county_outlines_for_a_city_and_village_points_within_a_county(phone, desktop):
    """湖州市's map: its five counties' outlines, coloured by the figure chosen, a click opens a county; 安吉县's map:
    its outline with the villages' points; a chart with no figures says "暂无数据"."""
    today = datetime.date.today()
    for i, (lat, lon) in enumerate([("30.62", "119.62"), ("30.70", "119.70"), ("30.55", "119.55")]):
        village = VillageFactory(township_code="330523108", code=f"330523108{210 + i}", latitude=Decimal(lat), longitude=Decimal(lon))
        ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, percent_complete=30 * i,
                       actual_start=today - datetime.timedelta(days=100), budget=Decimal("23510000"))
    VillageFactory(township_code="330522100", code="330522100200", latitude=Decimal("31.02"), longitude=Decimal("119.91"))
    stats.rebuild("")
    user_with("huzhou", (Role.SUPERVISOR, "3305"))
    device = phone(desktop=desktop)
    size = "desktop" if desktop else "phone"
    device.login("huzhou", "correct-horse-battery-staple")
    page = device.go("/dashboard/3305/")
    draw_charts(page)
    page.wait_for_function("() => document.querySelector('[data-outline]').dataset.outlines === '5'")
    page.wait_for_function("() => document.querySelector('[data-outline]').dataset.areas === '2'")
    chart = "echarts.getInstanceByDom(document.querySelector('[data-outline]'))"
    # 安吉县 has a completion; 长兴县 has a village but no project (no figure: drawn grey); the others nothing.
    assert page.evaluate(f"{chart}.getOption().series[0].data.filter(d => d.value != null && !isNaN(d.value)).map(d => d.name)") == ["330523"]
    # No money allocated in this county: the chart says so instead of drawing empty axes.
    assert page.locator(".chart-card", has_text="资金来源构成").locator(".chart-empty").inner_text() == "暂无数据"
    assert "万元" in page.locator(".kpi", has_text="预算").inner_text()
    page.select_option("[data-map-figure]", "overdue")
    page.wait_for_timeout(200)
    assert page.evaluate(f"{chart}.getOption().visualMap[0].inRange.color[0]") == "#2f6b3b"  # none overdue is green
    page.select_option("[data-map-figure]", "completion")
    page.locator("[data-outline]").scroll_into_view_if_needed()
    device.shot(f"34-map-city-{size}")
    # A click on 安吉县's outline opens its dashboard.
    x, y = page.evaluate(
        f"""() => {{ const el = document.querySelector('[data-outline]'), box = el.getBoundingClientRect();
              const [x, y] = {chart}.convertToPixel({{seriesIndex: 0}}, [119.60, 30.62]);
              return [box.left + x, box.top + y]; }}"""
    )
    page.mouse.click(x, y)
    page.wait_for_url("**/dashboard/330523/")
    draw_charts(page)
    page.wait_for_function("() => document.querySelector('[data-map]').dataset.points === '3'")
    assert page.evaluate("document.querySelector('[data-outline]').dataset.outlines") == "1"
    page.locator("[data-outline]").scroll_into_view_if_needed()
    device.shot(f"35-map-county-{size}")
    # Money in the areas table never breaks in the middle.
    cell = page.locator("#areas table.sortable tbody td.num").nth(4)
    assert cell.inner_text() == "7,053.00"
    assert cell.evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
