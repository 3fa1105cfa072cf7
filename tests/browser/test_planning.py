"""Plans and targets in a real browser (issue 20): the county breaks its target down to its townships on a desktop and
sees the mismatch until the parts add up; a township official on a phone creates a project from an item of the
village's plan and lands on the project, which shows the item it carries out."""
from decimal import Decimal

import pytest

from core.models import Role
from planning.models import Target
from tests.factories import PlanFactory, PlanItemFactory, TargetFactory, VillageFactory, region, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
MISMATCH = "[data-mismatch]"


def _submit(page, selector="button[type=submit].primary"):
    with page.expect_navigation():
        page.click(selector)


def test_the_county_breaks_its_target_down_and_sees_the_mismatch_go(phone):
    VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    county = region("330523")
    target = TargetFactory(region=county, year=2025, kind="sewage", quantity=Decimal("30"))
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    desktop = phone(desktop=True)
    page = desktop.login("anji", PASSWORD)
    page = desktop.go("/plans/targets/?region=330523&year=2025")
    desktop.shot("planning-01-county-targets")
    with page.expect_navigation():
        page.click(f'a[href="/plans/targets/{target.pk}/break-down/"]')
    # The parts: 10 + 15 = 25 of 30; the page says so while typing and after saving.
    page.fill("#id_330523108", "10")
    page.fill("#id_330523001", "15")
    assert page.locator("[data-breakdown-sum]").inner_text() == "25"
    assert page.locator("[data-breakdown-gap]").inner_text() == "5"
    _submit(page)
    assert page.locator(MISMATCH).count() == 1
    desktop.shot("planning-02-break-down-mismatch")
    page = desktop.go("/plans/targets/?region=330523&year=2025")
    row = page.locator("tr[data-kind=sewage]")
    assert row.locator(MISMATCH).is_visible()
    assert "25" in row.inner_text() and "5" in row.inner_text()
    desktop.shot("planning-03-targets-mismatch")
    # Fixed: 15 + 15 = 30.
    page = desktop.go(f"/plans/targets/{target.pk}/break-down/")
    page.fill("#id_330523108", "15")
    assert page.locator("[data-breakdown-gap]").inner_text() == "0"
    _submit(page)
    assert page.locator(MISMATCH).count() == 0
    page = desktop.go("/plans/targets/?region=330523&year=2025")
    assert page.locator(MISMATCH).count() == 0
    assert Target.objects.get(region_id="330523108", year=2025, kind="sewage").quantity == Decimal("15")
    desktop.shot("planning-04-targets-add-up")
    assert not desktop.csp_violations


def test_the_dashboard_puts_its_plan_panel_in_place(phone):
    """The dashboard shows first; its script then asks for the plan-against-actual panel and puts it in place of the
    link (a phone and a desktop), and the panel's year form and area links lead back to dashboards."""
    VillageFactory(code="330523108204", name="余村村委会")
    TargetFactory(region=region("330523"), year=2025, kind="sewage", quantity=Decimal("30"))
    TargetFactory(region=region("330523108"), year=2025, kind="sewage", quantity=Decimal("30"))
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    for desktop in (False, True):
        device = phone(desktop=desktop)
        page = device.login("anji", PASSWORD)
        page = device.go("/dashboard/330523/?year=2025#targets")
        panel = page.locator("section#targets")
        panel.locator("#target-year").wait_for()
        assert panel.get_attribute("aria-busy") is None
        assert "污水" in panel.inner_text() and "30" in panel.inner_text()
        assert panel.locator("a[href='/dashboard/330523108/?year=2025#targets']").count() == 1
        device.shot(f"planning-05-dashboard-panel-{'desktop' if desktop else 'phone'}")
        page.select_option("#target-year", "2026")
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        assert page.url.endswith("/dashboard/330523/?year=2026#targets")
        panel.locator("#target-year").wait_for()
        assert panel.locator("#target-year").input_value() == "2026"
        assert not device.csp_violations


def test_a_township_official_creates_a_project_from_a_plan_item(phone):
    village = VillageFactory(code="330523108204", name="余村村委会")
    plan = PlanFactory(village=village, title="余村村庄建设规划")
    item = PlanItemFactory(plan=plan, kind="toilet", name="农户卫生厕所改造", quantity=Decimal("120"),
                           estimated_cost=Decimal("360000"), planned_year=2025)
    user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    device = phone()
    page = device.login("tianhuangping", PASSWORD)
    page = device.go(f"/villages/{village.code}/")
    with page.expect_navigation():
        page.click(f'a[href="/plans/{plan.pk}/"]')
    device.shot("planning-05-official-plan")
    with page.expect_navigation():
        page.click(f'a[href="/plans/items/{item.pk}/project/"]')
    assert page.input_value("#id_name") == "农户卫生厕所改造"
    assert page.input_value("#id_planned_output") in ("120", "120.00")
    page.fill("#id_name", "余村农户卫生厕所改造工程")
    page.fill("#id_planned_start", "2025-03-01")
    page.fill("#id_planned_end", "2025-10-31")
    page.fill("#id_responsible_person", "李明")
    device.shot("planning-06-project-from-item")
    _submit(page)
    assert "/projects/" in page.url
    panel = page.locator(".plan-panel")
    assert panel.locator("[data-cited-item]").inner_text().count("农户卫生厕所改造") == 1
    assert "120" in page.locator("dl.facts").first.inner_text()  # the planned output with its unit
    device.shot("planning-07-project-cites-item")
    assert not device.csp_violations
