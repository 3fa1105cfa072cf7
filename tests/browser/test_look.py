"""A finished portal on a phone (375×812) and a desktop (1280×900), measured in Chromium (issue 18, items 4 and
11-14): the header fits one row or the 菜单 disclosure, every tap target of the header and of a list's main actions
is at least 44×44 CSS px, lists put search first with the filters folded away, filter forms are Chinese, the
supervisor's home shows what needs attention, and an address outside the user's scope is the portal's Chinese 404.
Screenshots: test-artifacts/screenshots/look-*.png."""
import datetime

import pytest

from assessment.models import FollowUp
from core.models import Role
from projects.models import ProjectStatus
from tests.factories import AssessmentFactory, VillageFactory, project_in, region, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
MIN_TARGET = 44
S = ProjectStatus


@pytest.fixture
def world():
    region("3301")
    villages = [VillageFactory(township_code="330523108", code=f"330523108{200 + i:03d}") for i in range(6)]
    VillageFactory(township_code="330522001", code="330522001200")
    for i in range(60):  # more than one page of projects
        project_in(S.UNDER_CONSTRUCTION if i % 3 else S.APPROVED, village=villages[i % 6], name=f"余村污水治理工程{i}",
                   planned_end=datetime.date(2024, 12, 31) if i % 2 else datetime.date.today() + datetime.timedelta(days=60))
    FollowUp.objects.create(assessment=AssessmentFactory(village=villages[0]), village=villages[0], rank=9, ranked_among=9,
                            due_date=datetime.date.today() - datetime.timedelta(days=3))
    user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    user_with("huzhou", (Role.SUPERVISOR, "3305"))


def _small_targets(page, selector):
    """Visible links, buttons, selects, inputs and summaries under ``selector`` smaller than 44×44 CSS px."""
    return page.evaluate(
        """([selector, min]) => Array.from(document.querySelectorAll(selector)).flatMap(root =>
             Array.from(root.querySelectorAll('a, button, select, input:not([type=hidden]), summary')))
           .filter(el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
                           return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; })
           .map(el => { const r = el.getBoundingClientRect();
                        return [el.tagName + ' ' + (el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 20),
                                Math.round(r.width), Math.round(r.height)]; })
           .filter(([, w, h]) => w < min || h < min)""",
        [selector, MIN_TARGET],
    )


def _height(page, selector):
    return page.evaluate("s => document.querySelector(s).getBoundingClientRect().height", selector)


def test_header_and_main_actions_on_a_phone(phone, world):
    device = phone()
    page = device.login("tianhuangping", PASSWORD)
    # One row: the brand (programme, region and role) and the 菜单 button; the links wait in the menu.
    assert "千村示范、万村整治" in page.locator("header .programme").inner_text()
    assert "天荒坪镇 · 乡镇干部" in page.locator("header .who").inner_text()
    assert _height(page, "header.site-header") <= 64
    assert not page.locator("header .menu-wide").is_visible()
    assert _small_targets(page, "header.site-header") == []
    device.shot("look-phone-home-official")
    page.click("header details.menu > summary")
    assert page.locator("header .menu-panel nav a").first.is_visible()
    assert _small_targets(page, "header.site-header") == []
    device.shot("look-phone-menu-open")
    with page.expect_navigation():
        page.locator("header .menu-panel nav a", has_text="项目").click()
    assert page.url.endswith("/projects/")

    # A list: the search box comes first, the filters are folded away, every action is a 44 px target.
    search = page.locator("form.list-filter input[type=search]")
    assert search.is_visible()
    assert search.bounding_box()["y"] < page.locator("details.filters > summary").bounding_box()["y"]
    assert page.locator("details.filters").get_attribute("open") is None
    assert _small_targets(page, "main form.list-filter, main .pager, main p:has(> a.button)") == []
    list_height = page.evaluate("document.documentElement.scrollHeight")
    device.shot("look-phone-project-list")
    page.click("details.filters > summary")
    assert _small_targets(page, "main form.list-filter") == []
    options = page.locator("select[name=ordering] option").all_inner_texts()
    assert "默认顺序" in options and any("降序" in o for o in options), options
    assert not any("---" in o or "descending" in o for o in page.locator("main select option").all_inner_texts())
    device.shot("look-phone-project-filters")
    # 50 cards to a page: shorter cards keep the page within about 150 px a card.
    assert list_height < 50 * 150, list_height

    page.fill("form.list-filter input[type=search]", "余村污水治理工程1")
    with page.expect_navigation():
        page.click("form.list-filter .search-row button")
    assert "余村污水治理工程1" in page.locator("table.cards").inner_text()


def test_supervisor_home_on_phone_and_desktop(phone, world):
    for desktop in (False, True):
        device = phone(desktop=desktop)
        page = device.login("huzhou", PASSWORD)
        assert "暂无待办事项" not in page.content()
        assert page.get_by_text("湖州市概况").is_visible()
        assert "湖州市 · 督导人员" in page.locator("header .who").inner_text()
        assert _small_targets(page, "header.site-header, main .supervision") == []
        if desktop:
            # The links in one row below the brand, every one visible without a menu.
            tops = {round(box["y"]) for box in (a.bounding_box() for a in page.locator("header .menu-wide nav a").all())}
            assert len(tops) == 1, tops
            assert not page.locator("header details.menu").is_visible()
        device.shot(f"look-{'desktop' if desktop else 'phone'}-home-supervisor")
        with page.expect_navigation():
            page.locator(".attention-totals a").first.click()
        assert "overdue=true" in page.url
        assert page.locator("table.cards tbody tr").count() >= 1
        device.shot(f"look-{'desktop' if desktop else 'phone'}-overdue-list")


def test_out_of_scope_links_and_pages(phone, world):
    for desktop in (False, True):
        device = phone(desktop=desktop)
        page = device.login("anji", PASSWORD)
        page = device.go("/dashboard/330523/")
        crumbs = page.locator("nav.crumbs")
        assert "湖州市" in crumbs.inner_text()
        assert crumbs.locator("a").count() == 0  # 浙江省 and 湖州市 are named, not linked
        device.go("/funding/figures/?region=330523")
        assert page.locator("p.crumbs a").count() == 0
        response = page.goto(device.base + "/dashboard/3301/")
        assert response.status == 404
        assert page.locator("h1").inner_text() == "页面不存在"
        assert page.locator("footer.site-footer").is_visible()
        device.shot(f"look-{'desktop' if desktop else 'phone'}-404")
        device.go("/projects/")
        device.shot(f"look-{'desktop' if desktop else 'phone'}-project-list-county")
