"""A bulletin (通报) in a real browser (issue 21, item 4): county staff compose last month's bulletin at a desk, edit
its text, approve and publish it; a township official reads it and its PDF on a phone."""
import datetime

import pytest

from bulletins.models import Bulletin
from core.models import Role
from tests.factories import VillageFactory, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def _submit(page, selector="button[type=submit].primary"):
    with page.expect_navigation():
        page.click(selector)


def test_county_staff_publish_a_bulletin_that_the_township_reads(phone):
    VillageFactory(code="330523108204", name="余村村委会")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    desk, official = phone(desktop=True), phone()

    page = desk.login("anji", PASSWORD)
    page = desk.go("/bulletins/new/")
    end = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    assert page.input_value("#id_period_end") == end.isoformat()
    _submit(page)
    bulletin = Bulletin.objects.get()
    assert bulletin.status == "draft" and "一、项目推进" in page.locator("article.bulletin-text").inner_text()
    desk.shot("bulletins-01-draft")
    page.fill("#id_body", bulletin.body + "\n特此通报。")
    _submit(page, "button[value=edit]")
    _submit(page, "button[value=approve]")
    assert page.locator(".status-approved").first.is_visible()
    _submit(page, "button[value=publish]")
    assert page.locator(".status-published").first.is_visible()
    desk.shot("bulletins-02-published")
    bulletin.refresh_from_db()
    assert bulletin.status == "published" and bulletin.body.endswith("特此通报。") and bulletin.pdf

    page = official.login("tianhuangping", PASSWORD)
    page = official.go("/bulletins/")
    with page.expect_navigation():
        page.click(f'a[href="/bulletins/{bulletin.pk}/"]')
    assert "特此通报" in page.locator("article.bulletin-text").inner_text()
    official.shot("bulletins-03-read-on-a-phone")
    response = page.request.get(official.base + f"/bulletins/{bulletin.pk}/pdf/")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    for device in (desk, official):
        assert not device.csp_violations
