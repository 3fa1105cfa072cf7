"""The daily workflow on a phone, in a real browser: create, submit, return, fix,
resubmit, approve, report progress with a photo, and a refused non-image upload."""
import datetime
import re

import pytest

from core.models import Role
from projects.models import ProgressPhoto, Project, ProjectStatus, ProjectTransition
from tests.factories import VillageFactory, user_with
from tests.images import exif_with, image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def programme():
    village = VillageFactory(code="330523108204", name="余村村委会", category="boutique", population=1100)
    VillageFactory(code="330523108205", name="银坑村村委会")
    return {
        "village": village,
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
    }


def _submit(page, selector="button[type=submit].primary"):
    with page.expect_navigation():
        page.click(selector)


def _action(page, action, reason=None):
    form = page.locator(f"form.action-form:has(button[value={action}])")
    if reason is not None:
        form.locator("textarea[name=reason]").fill(reason)
    with page.expect_navigation():
        form.locator(f"button[value={action}]").click()


def test_official_and_county_take_a_project_from_draft_to_progress_with_a_photo(phone, programme, tmp_path):
    today = datetime.date.today()
    official, county = phone(), phone()

    # The official logs in on a phone and sees the villages and the to-do list.
    page = official.login("tianhuangping", PASSWORD)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("余村").first.is_visible()
    official.shot("01-official-home")
    official.go("/villages/330523108204/")
    official.shot("02-village")

    # Creates a project as a draft.
    page = official.go("/projects/new/")
    page.fill("#id_village", "330523108204")
    page.select_option("#id_type", "sewage")
    page.fill("#id_name", "余村生活污水治理")
    page.fill("#id_budget", "480000")
    page.fill("#id_planned_start", (today - datetime.timedelta(days=60)).isoformat())
    page.fill("#id_planned_end", (today + datetime.timedelta(days=200)).isoformat())
    page.fill("#id_responsible_person", "张建国")
    official.shot("03-project-form")
    _submit(page)
    project_id = int(re.search(r"/projects/(\d+)/", page.url).group(1))
    project = Project.objects.get(pk=project_id)
    assert project.status == ProjectStatus.DRAFT and project.created_by == programme["official"]
    assert page.locator(".status-draft").is_visible()

    # Nothing in the village's plan covers it: the official says why it is outside the plan (规划外项目).
    page.fill("form.plan-cite [name=out_of_plan_reason]", "汛后排查发现管网破损，规划编制时未列入")
    _submit(page, "form.plan-cite button[type=submit]")
    assert page.locator(".status-exception-pending").is_visible()
    official.shot("03b-outside-the-plan")

    # ...and submits it.
    _action(page, "submit")
    assert page.locator(".status-submitted").is_visible()

    # County staff return it with a reason.
    page = county.login("anji", PASSWORD)
    assert page.get_by_text("余村生活污水治理").first.is_visible()  # on the to-approve list
    county.shot("04-county-home")
    county.go(f"/projects/{project_id}/")
    _action(page, "return", "预算依据不足，请补充工程量清单。")
    assert page.locator(".status-returned").is_visible()
    county.shot("05-project-returned")

    # The official sees the reason, fixes the budget, resubmits.
    page = official.go("/")
    assert page.get_by_text("余村生活污水治理").first.is_visible()  # returned: on the to-do list
    page = official.go(f"/projects/{project_id}/")
    assert page.locator(".timeline em", has_text="预算依据不足，请补充工程量清单。").is_visible()
    page = official.go(f"/projects/{project_id}/edit/")
    page.fill("#id_budget", "450000")
    _submit(page)
    assert page.locator(".status-returned").is_visible()
    _action(page, "submit")

    # County staff approve the exception outside the plan, then the project.
    page = county.go(f"/projects/{project_id}/")
    page.check("form.plan-decide input[value=approve]")
    _submit(page, "form.plan-decide button[type=submit]")
    assert page.locator(".status-exception-approved").is_visible()
    _action(page, "approve")
    # Approving fixes the budget: a confirmation page says so first (nothing is written yet).
    assert page.locator(".confirm-consequence").is_visible() and Project.objects.get(pk=project_id).status == ProjectStatus.SUBMITTED
    county.shot("05b-approve-confirmation")
    _submit(page, "button[name=confirmed]")
    assert page.locator(".status-approved").is_visible()

    # The official reports progress with a real photo (JPEG with EXIF time and GPS).
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(image_bytes(size=(1600, 1200), exif=exif_with(taken=f"{today:%Y:%m:%d} 09:30:00")))
    page = official.go(f"/projects/{project_id}/progress/new/")
    page.fill("#id_report_date", today.isoformat())
    page.fill("#id_percent_complete", "30")
    page.fill("#id_amount_spent", "120000")
    page.fill("#id_narrative", "主管网铺设完成三成。")
    page.set_input_files("#id_photos", str(photo))
    assert page.locator(".photo-previews img").count() == 1
    official.shot("06-progress-form")
    _submit(page)
    assert page.locator(".messages").is_visible()
    thumb = page.locator(".timeline .thumbs img").first
    thumb.scroll_into_view_if_needed()  # thumbnails load lazily
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.get_by_text("主管网铺设完成三成。").is_visible()
    official.shot("07-project-timeline")

    stored = ProgressPhoto.objects.get(report__project_id=project_id)
    assert stored.content_type == "image/jpeg" and stored.gps_latitude is not None and stored.taken_at is not None
    assert list(ProjectTransition.objects.filter(project_id=project_id).order_by("at", "id").values_list("to_status", flat=True)) == [
        "draft", "submitted", "returned", "submitted", "approved",
    ]
    project.refresh_from_db()
    assert project.budget == 450000 and project.percent_complete == 30

    # A non-image upload is refused on its field, in Chinese, and nothing is written. The phone finds it before
    # anything is kept or sent (static/js/offline.js reads every photo to make it the size the portal keeps): the
    # page stays, with the error on the field.
    fake = tmp_path / "验收单.jpg"
    fake.write_bytes(b"%PDF-1.4 this is a scanned form, not a photo")
    page = official.go(f"/projects/{project_id}/progress/new/")
    page.fill("#id_report_date", today.isoformat())
    page.fill("#id_percent_complete", "35")
    page.fill("#id_amount_spent", "130000")
    page.set_input_files("#id_photos", str(fake))
    page.click("button[type=submit].primary")
    error = page.locator('.field-error[data-field="photos"]')
    error.wait_for()
    assert error.is_visible()
    assert "验收单.jpg" in error.inner_text() and "不是 JPEG、PNG 或 WebP 图片" in error.inner_text()
    official.shot("08-progress-photo-error")
    assert ProgressPhoto.objects.filter(report__project_id=project_id).count() == 1

    # The lists, for the record.
    official.go("/projects/")
    official.shot("09-project-list")
    official.go("/projects/progress/")
    official.shot("10-progress-list")
    official.go("/villages/")
    official.shot("11-village-list")


def test_login_page_and_english_switch_fit_a_phone(phone, programme):
    device = phone()
    page = device.go("/accounts/login/")
    assert "登录" in page.content()
    device.shot("00-login")
    device.login("tianhuangping", PASSWORD)
    # On a phone the language switch and the links are in the header's 菜单 (a <details> disclosure).
    page.click("header details.menu > summary")
    with page.expect_navigation():
        page.select_option("header details.menu select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("header details.menu > summary")
    assert page.get_by_role("link", name="Projects").is_visible()
    device.shot("12-home-english")
