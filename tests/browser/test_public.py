"""The public pages in a real browser (issue 21, item 5): a bulletin published at a desk is read by an anonymous
visitor on a phone (the public overview they opened before shows it at once, its PDF opens); a county opens its
village pages and publishes an exemplary case with a photo, which the visitor reads, photo and village page
included, until the county withdraws it. The visitor never gets a cookie."""

import pytest
from PIL import Image

from bulletins.models import Bulletin
from core.models import Role
from disclosure.models import Exemplar
from projects.models import ProjectStatus
from tests.factories import VillageFactory, project_in, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def _submit(page, selector="button[type=submit].primary"):
    with page.expect_navigation():
        page.click(selector)


def test_a_published_bulletin_is_read_by_an_anonymous_visitor(phone):
    VillageFactory(code="330523108204", name="余村村委会")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    desk, visitor = phone(desktop=True), phone()

    page = visitor.go("/public/")
    assert page.locator("h1").inner_text() == "千村示范、万村整治信息公开"
    assert "尚未发布通报" in page.locator("main").inner_text()  # and the overview is now cached

    page = desk.login("anji", PASSWORD)
    page = desk.go("/bulletins/new/")
    _submit(page)
    _submit(page, "button[value=approve]")
    _submit(page, "button[value=publish]")
    bulletin = Bulletin.objects.get(status="published")

    page = visitor.go("/public/")
    with page.expect_navigation():
        page.click(f'a[href="/public/bulletins/{bulletin.pk}/"]')
    assert page.locator("h1").inner_text() == bulletin.title
    assert "一、项目推进" in page.locator("article.bulletin-text").inner_text()
    assert page.locator("form").count() == 0 and page.get_by_text("退出").count() == 0
    visitor.shot("public-01-bulletin-phone")
    pdf = page.request.get(visitor.base + f"/public/bulletins/{bulletin.pk}/pdf/")
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    assert visitor.context.cookies() == []  # no session, no CSRF cookie: nothing of the visitor is kept


def _jpeg(tmp_path):
    path = tmp_path / "余村矿山复绿.jpg"
    Image.new("RGB", (1600, 1200), (70, 130, 80)).save(path, "JPEG")
    return path


def test_an_exemplary_case_is_published_read_and_withdrawn(phone, tmp_path):
    village = VillageFactory(code="330523108204", name="余村村委会", category="boutique")
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, name="余村污水管网提升工程", percent_complete=60,
               responsible_person="李明", responsible_phone="13800001234")
    project_in(ProjectStatus.DRAFT, village=village, name="余村内部草稿项目")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    desk, visitor = phone(desktop=True), phone()

    assert visitor.go(f"/public/villages/{village.code}/") and visitor.page.locator("h1").inner_text() != village.name

    page = desk.login("anji", PASSWORD)
    page = desk.go("/publicity/")
    _submit(page, "button[value=open]")
    assert page.locator(".status-published").first.inner_text() == "已公开"
    page = desk.go("/publicity/cases/new/")
    page.select_option("#id_village", village.code)
    page.fill("#id_title", "余村：从“卖石头”到“卖风景”")
    page.fill("#id_summary", "关停矿山、修复生态，发展乡村旅游。")
    page.fill("#id_story", "余村曾以开矿为主要收入来源。\n\n村里关停矿山，复绿生态，发展民宿。")
    page.set_input_files("#id_photos", str(_jpeg(tmp_path)))
    _submit(page, "button[value=create]")
    case = Exemplar.objects.get()
    assert case.status == "draft" and case.photos.count() == 1
    _submit(page, "button[value=publish]")
    assert page.locator(".status-published").first.is_visible()
    desk.shot("public-02-case-published-desktop")

    page = visitor.go("/public/cases/")
    with page.expect_navigation():
        page.click(f'a[href="/public/cases/{case.pk}/"]')
    assert page.locator("h1").inner_text() == "余村：从“卖石头”到“卖风景”"
    photo = page.locator(".case-photos img").first
    photo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    visitor.shot("public-03-case-phone")
    with page.expect_navigation():
        page.click(f'a[href="/public/villages/{village.code}/"]')
    text = page.locator("main").inner_text()
    assert "余村污水管网提升工程" in text and "精品村" in text
    assert "余村内部草稿项目" not in text and "李明" not in text and "13800001234" not in text
    assert page.locator("progress").first.get_attribute("value") == "60"
    visitor.shot("public-04-village-phone")

    page = desk.go(f"/publicity/cases/{case.pk}/")
    page.fill("#id_reason", "数据待核实")
    _submit(page, "button[value=withdraw]")
    _submit(page, "button[name=confirmed]")
    case.refresh_from_db()
    assert case.status == "withdrawn"
    response = visitor.page.goto(visitor.base + f"/public/cases/{case.pk}/")
    assert response.status == 404
    assert visitor.context.cookies() == []
