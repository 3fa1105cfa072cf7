"""Supervision in a real browser (issue 21): a county inspector records an unannounced visit and a problem found
with a photo, on a phone; the township official sees it on the to-do list and records the rectification with a
photo; the inspector re-checks it and closes it; the register at a desk."""
import datetime

import pytest

from core.models import Role
from oversight.models import Problem, ProblemStatus, Visit
from tests.factories import VillageFactory, user_with
from tests.images import exif_with, image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def _submit(page, selector="button[type=submit].primary"):
    with page.expect_navigation():
        page.click(selector)


def _photo(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(image_bytes(size=(1600, 1200), exif=exif_with(taken=f"{datetime.date.today():%Y:%m:%d} 10:15:00")))
    return str(path)


def test_a_finding_on_a_phone_rectified_by_the_township_and_closed_by_the_inspector(phone, tmp_path):
    VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(code="330523108205", name="银坑村委会")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    official_user = user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    inspector, official = phone(), phone()

    # The inspector records the visit on the phone: the villages by name.
    page = inspector.login("anji", PASSWORD)
    page = inspector.go("/oversight/visits/new/")
    page.fill("#id_inspectors", "县督查组 王明、李华")
    page.fill("#id_villages", "余村 银坑")
    inspector.shot("oversight-01-visit-form")
    _submit(page)
    visit = Visit.objects.get()
    assert page.url.endswith(f"/oversight/visits/{visit.pk}/") and visit.villages.count() == 2

    # A problem found in 余村, with a photo taken on the spot.
    page.select_option("#id_finding_village", "330523108204")
    page.select_option("#id_finding_category", "waste")
    page.select_option("#id_finding_severity", "serious")
    page.fill("#id_finding_description", "分类垃圾桶满溢，清运不及时。")
    page.set_input_files("#id_finding_photos", _photo(tmp_path, "现场.jpg"))
    inspector.shot("oversight-02-finding-form")
    _submit(page, "form.finding-form button[type=submit]")
    assert page.locator("#problems tbody tr").count() == 1
    inspector.shot("oversight-03-visit-with-problem")
    problem = Problem.objects.get()
    assert (problem.township_id, problem.photos.count(), problem.status) == ("330523108", 1, ProblemStatus.OPEN)

    # The township official sees it on the to-do list and rectifies it; without a photo it is refused first.
    page = official.login("tianhuangping", PASSWORD)
    todo = page.locator('[data-todo="problems_to_rectify"]')
    assert todo.get_by_text("分类垃圾桶满溢").is_visible()
    official.shot("oversight-04-official-home")
    with page.expect_navigation():
        todo.locator("a", has_text="分类垃圾桶满溢").click()
    page.fill("#id_rectify_rectification", "增设分类垃圾桶两组，清运改为每日一次。")
    _submit(page, "form.rectify-form button[type=submit]")
    assert page.locator('.field-error[data-field="photos"]').is_visible()
    page.set_input_files("#id_rectify_photos", _photo(tmp_path, "整改后.jpg"))
    _submit(page, "form.rectify-form button[type=submit]")
    assert page.locator(".status-rectified").first.is_visible()
    official.shot("oversight-05-rectified")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RECTIFIED and problem.rectified_by == official_user

    # The inspector re-checks it and closes it.
    page = inspector.go("/")
    assert page.locator('[data-todo="problems_to_recheck"]').is_visible()
    page = inspector.go(f"/oversight/problems/{problem.pk}/")
    inspector.shot("oversight-06-to-recheck")
    _submit(page, "button[value=close]")
    assert page.locator(".status-closed").first.is_visible()
    inspector.shot("oversight-07-closed")
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.CLOSED

    # The register at a desk.
    desk = phone(desktop=True)
    page = desk.login("anji", PASSWORD)
    page = desk.go("/oversight/problems/")
    assert page.locator("table.cards tbody tr").count() == 1
    desk.shot("oversight-08-register-desktop")
    for device in (inspector, official, desk):
        assert not device.csp_violations
