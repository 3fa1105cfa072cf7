"""The official's phone without signal, in Chromium (issue 23): the pages kept after one online visit, a progress
report typed offline with a real photo and kept across reloads, sent once when the network returns (also when
the connection drops in the middle of the upload), a refused report corrected and sent again, a broken photo and a
full storage said plainly without losing what waits, logout and another user emptying the store, and Chromium
finding the app installable."""
import datetime
import random
import re
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from core.models import Role
from projects.models import ProgressPhoto, ProgressReport, ProjectStatus
from tests.browser.conftest import CHROMIUM, PHONE
from tests.factories import ProgressReportFactory, VillageFactory, project_in, user_with
from tests.images import exif_with, image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
TODAY = datetime.date.today()


@pytest.fixture
def field(db):
    """天荒坪镇 (余村 with a road being built and a finished one; 银坑村) and 递铺街道 next door, with their officials."""
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(code="330523108205", name="银坑村村委会")
    far = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    road = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=yucun, name="余村村道硬化工程",
                      planned_start=TODAY - datetime.timedelta(days=90), planned_end=TODAY + datetime.timedelta(days=200))
    ProgressReportFactory(project=road, report_date=TODAY - datetime.timedelta(days=10), percent_complete=40,
                          amount_spent=Decimal("200000"))
    return {
        "road": road,
        "done": project_in(ProjectStatus.ACCEPTED, village=yucun, name="余村公厕改造"),
        "far": project_in(ProjectStatus.UNDER_CONSTRUCTION, village=far, name="鲁家村污水管网"),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001")),
    }


def _ready(device, username="tianhuangping"):
    """Log in, and wait until the phone has kept the user's pages and the service worker controls the page."""
    page = device.login(username, PASSWORD)
    page.wait_for_selector("html[data-offline-kept]", state="attached", timeout=60_000)
    page.evaluate("navigator.serviceWorker.ready.then(function () { return true; })")
    return page


def _kept_urls(page):
    return set(page.evaluate(
        "caches.open('qiancun-pages').then(function (c) { return c.keys(); })"
        ".then(function (keys) { return keys.map(function (r) { return new URL(r.url).pathname; }); })"
    ))


def _queued(page):
    return page.evaluate(
        "qiancunOffline.reports().then(function (rows) { return rows.map(function (r) {"
        " return {id: r.id, key: r.key, status: r.status, photos: r.photos.length, percent: r.fields.percent_complete,"
        " error: r.error}; }); })"
    )


def _fill(page, percent, spent, narrative="", correction=""):
    page.fill("#id_report_date", TODAY.isoformat())
    page.fill("#id_percent_complete", str(percent))
    page.fill("#id_amount_spent", str(spent))
    page.fill("#id_narrative", narrative)
    page.fill("#id_correction_reason", correction)


def _queue_offline(device, project, percent, spent, narrative="", photo=None):
    """Without network: open the kept form, fill it, submit: the report waits on the phone (the 待上传 page)."""
    device.context.set_offline(True)
    page = device.go(f"/projects/{project.pk}/progress/new/")
    assert page.locator("html").get_attribute("data-kept-copy") == "1"
    _fill(page, percent, spent, narrative)
    if photo:
        page.set_input_files("#id_photos", str(photo))
    before = len(_queued(page))
    with page.expect_navigation(url=re.compile(r"/offline/queue/$")):
        page.click("button[type=submit].primary")
    expect(page.locator("[data-queue-list] > li")).to_have_count(before + 1)
    assert len(_queued(page)) == before + 1
    return page


def _all_queued(page):
    """Every report in the phone's store, whoever it belongs to (offline.js lists only the user's own)."""
    return page.evaluate(
        "idb.openDB('qiancun-offline').then(function (db) { return db.getAll('reports'); })"
        ".then(function (rows) { return rows.map(function (r) { return [r.owner, r.fields.percent_complete]; }); })")


def _a_real_photo(tmp_path):
    """A phone's photo: 4000×3000 JPEG taken sideways (EXIF orientation 6), with its capture time and GPS."""
    photo = tmp_path / "村道现场.jpg"
    photo.write_bytes(image_bytes(size=(4000, 3000), exif=exif_with(taken=f"{TODAY:%Y:%m:%d} 09:30:00", orientation=6)))
    return photo


def test_a_report_typed_without_signal_is_kept_and_sent_once_with_its_photo(phone, field, tmp_path):
    official = phone()
    page = _ready(official)
    road = field["road"]

    # After one online visit the phone keeps the official's own pages, and nothing of another township.
    kept = _kept_urls(page)
    assert {"/", "/villages/", "/offline/queue/", "/villages/330523108204/", "/villages/330523108205/",
            f"/projects/{road.pk}/", f"/projects/{road.pk}/progress/new/"} <= kept
    assert f"/projects/{field['far'].pk}/" not in kept and "/villages/330523001211/" not in kept
    assert f"/projects/{field['done'].pk}/progress/new/" not in kept  # an accepted project takes no report

    # No network: the village, the project and its form open from the phone, read-only but for the form.
    official.context.set_offline(True)
    page = official.go("/villages/330523108204/")
    assert page.locator("html").get_attribute("data-kept-copy") == "1"
    expect(page.locator("[data-offline-banner]")).to_be_visible()
    assert "余村村道硬化工程" in page.locator("main").inner_text()  # the village's open project is listed
    page = official.go(f"/projects/{road.pk}/")
    assert page.locator("html").get_attribute("data-kept-copy") == "1"
    assert "余村村道硬化工程" in page.locator("h1").inner_text()
    # Read-only: its actions wait for the network; logging out does not (a shared phone is emptied at once).
    expect(page.locator("form.action-form button").first).to_be_disabled()
    expect(page.locator("form.logout button").first).to_be_enabled()
    official.shot("offline-00-project-without-network")
    page = official.go(f"/projects/{road.pk}/progress/new/")
    page.reload()  # the form again, still from the phone
    expect(page.locator("[data-offline-banner]")).to_be_visible()
    official.shot("offline-01-form-without-network")
    before = ProgressReport.objects.filter(project=road).count()

    page = _queue_offline(official, road, 55, 260000, "路基完成，开始铺设面层。", photo=_a_real_photo(tmp_path))
    expect(page.locator("[data-queue-list] > li.waiting")).to_have_count(1)
    expect(page.locator(".queue-badge [data-queue-count]").first).to_have_text("1")
    assert "余村村道硬化工程" in page.locator("[data-queue-list]").inner_text()
    official.shot("offline-02-waiting-to-upload")
    # The photo was made no larger than the portal keeps (2560 px) before it was stored, upright.
    width, height = page.evaluate(
        "qiancunOffline.reports().then(function (rows) { return createImageBitmap(rows[0].photos[0].blob); })"
        ".then(function (bitmap) { return [bitmap.width, bitmap.height]; })")
    assert max(width, height) == 2560 and height > width

    page.reload()  # still queued after a reload without network
    expect(page.locator("[data-queue-list] > li")).to_have_count(1)
    assert ProgressReport.objects.filter(project=road).count() == before

    # The network returns: the waiting report is sent by itself, once, with its photo.
    official.context.set_offline(False)
    page.reload()
    # "Nothing waiting" is said only once the phone's store has been read and found empty (right after the reload
    # the list is empty because it has not been drawn yet).
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-queue-list] > li")).to_have_count(0)
    expect(page.locator(".queue-badge")).to_be_hidden()
    assert ProgressReport.objects.filter(project=road).count() == before + 1
    report = ProgressReport.objects.filter(project=road).latest("id")
    assert (report.percent_complete, report.amount_spent, report.narrative) == (55, Decimal("260000"), "路基完成，开始铺设面层。")
    assert report.reporter == field["official"]
    stored = ProgressPhoto.objects.get(report=report)
    # Upright once (not turned twice), the size the portal keeps, the capture time and place kept through the resize.
    assert (stored.width, stored.height) == (1920, 2560)
    assert stored.taken_at is not None and stored.gps_latitude is not None and stored.gps_longitude is not None
    official.shot("offline-03-uploaded")


def test_a_dropped_upload_retried_makes_one_report(phone, field):
    official = phone()
    page = _ready(official)
    road = field["road"]
    before = ProgressReport.objects.filter(project=road).count()
    page = _queue_offline(official, road, 60, 280000, "面层铺设过半。")
    official.context.set_offline(False)

    # The first upload reaches the server, which keeps the report; the answer is lost on the way back.
    answers = []

    def drop_the_first_answer(route):
        response = route.fetch()
        answers.append((response.status, response.headers.get("idempotent-replayed")))
        if len(answers) == 1:
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    page.route("**/api/v1/progress-reports/", drop_the_first_answer)
    page.click("[data-sync-now]")
    expect(page.locator("[data-sync-status]")).not_to_be_empty()
    assert answers[0] == (201, None)
    assert ProgressReport.objects.filter(project=road).count() == before + 1  # kept by the server, answer lost

    # Tried again (on demand here; the phone also retries by itself) with the same Idempotency-Key: the server
    # answers as the first time and writes nothing.
    if len(answers) == 1:
        page.click("[data-sync-now]")
    expect(page.locator("[data-queue-empty]")).to_be_visible()
    expect(page.locator("[data-queue-list] > li")).to_have_count(0)
    assert answers == [(201, None), (201, "true")]
    assert ProgressReport.objects.filter(project=road).count() == before + 1


def test_a_refused_report_shows_its_error_and_is_corrected_and_sent(phone, field):
    official = phone()
    page = _ready(official)
    road = field["road"]
    # Below the last report's 40 % without a correction reason: the server refuses it on its field.
    page = _queue_offline(official, road, 35, 210000, "复核后调整。")
    official.context.set_offline(False)
    page.click("[data-sync-now]")
    refused = page.locator("[data-queue-list] > li.refused")
    expect(refused).to_have_count(1)
    assert "低于上一次报告" in refused.inner_text() or "40%" in refused.inner_text()
    official.shot("offline-04-refused")
    assert not ProgressReport.objects.filter(project=road, percent_complete=35).exists()

    # Edit: the form opens with the report and the error on the percentage, in Chinese.
    with page.expect_navigation():
        refused.locator("a.button").click()
    error = page.locator('.field-error[data-field="percent_complete"]')
    expect(error).to_be_visible()
    assert error.inner_text().startswith("完成百分比") or "40" in error.inner_text()
    assert page.input_value("#id_percent_complete") == "35"
    official.shot("offline-05-correcting")
    page.fill("#id_correction_reason", "上次多报了面积，经复核更正。")
    with page.expect_navigation(url=re.compile(rf"/projects/{road.pk}/$")):
        page.click("button[type=submit].primary")
    expect(page.locator(".messages")).to_contain_text("进度已填报")
    report = ProgressReport.objects.get(project=road, percent_complete=35)
    assert report.correction_reason == "上次多报了面积，经复核更正。"
    assert _queued(page) == []


def test_a_project_cancelled_meanwhile_is_said_on_the_report(phone, field):
    official = phone()
    page = _ready(official)
    road = field["road"]
    page = _queue_offline(official, road, 50, 250000)
    type(road).objects.filter(pk=road.pk).update(status=ProjectStatus.CANCELLED)
    official.context.set_offline(False)
    page.click("[data-sync-now]")
    refused = page.locator("[data-queue-list] > li.refused")
    expect(refused).to_have_count(1)
    assert "已取消" in refused.inner_text()
    assert not ProgressReport.objects.filter(project=road, percent_complete=50).exists()
    # The official deletes it from the phone.
    page.once("dialog", lambda dialog: dialog.accept())
    refused.locator("button.danger").click()
    expect(page.locator("[data-queue-list] > li")).to_have_count(0)
    expect(page.locator("[data-queue-empty]")).to_be_visible()


def test_a_broken_photo_and_a_full_storage_are_said_and_nothing_waiting_is_lost(phone, field, tmp_path):
    official = phone()
    # A phone with little room: 4 MB for this site (Chromium fixes an origin's quota when its storage is first used).
    page = official.go("/accounts/login/")
    cdp = official.context.new_cdp_session(page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": official.base, "quotaSize": 4 * 1024 * 1024})
    page = _ready(official)
    road = field["road"]
    page = _queue_offline(official, road, 45, 220000, "第一份。")

    # A damaged photo: said on its field; nothing is kept until it is removed.
    broken = tmp_path / "损坏.jpg"
    broken.write_bytes(image_bytes()[:600])
    page = official.go(f"/projects/{road.pk}/progress/new/")
    _fill(page, 48, 230000, "第二份。")
    page.set_input_files("#id_photos", str(broken))
    page.click("button[type=submit].primary")
    error = page.locator('.field-error[data-field="photos"]')
    expect(error).to_be_visible()
    assert "损坏.jpg" in error.inner_text() and "不是 JPEG、PNG 或 WebP 图片" in error.inner_text()
    official.shot("offline-06-broken-photo")
    assert len(_queued(page)) == 1 and page.input_value("#id_narrative") == "第二份。"

    # The storage is full: said plainly; the report waiting before is still there, the form keeps what was typed.
    photo = tmp_path / "大图.jpg"
    noise = Image.frombytes("RGB", (2560, 1920), random.Random(23).randbytes(2560 * 1920 * 3))
    noise.save(photo, "JPEG", quality=95)
    assert 4 * 1024 * 1024 < photo.stat().st_size < 10 * 1024 * 1024
    page.set_input_files("#id_photos", str(photo))
    page.click("button[type=submit].primary")
    expect(page.locator("[data-offline-errors]")).to_contain_text("存储空间已满")
    official.shot("offline-07-storage-full")
    assert [row["percent"] for row in _queued(page)] == ["45"]
    assert page.input_value("#id_narrative") == "第二份。"


def test_logout_empties_the_phone_and_another_user_sees_nothing_of_the_last(phone, field, live_server):
    official = phone()
    page = _ready(official)
    road = field["road"]
    page = _queue_offline(official, road, 52, 240000)
    official.context.set_offline(False)
    page.route("**/api/v1/progress-reports/", lambda route: route.abort("internetdisconnected"))
    page = official.go("/villages/")

    # Logging out with a report waiting asks first; declined, nothing changes.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("details.menu > summary")  # on a phone, logout is in the 菜单
    page.locator(".menu-panel form.logout button").click()
    page.wait_for_timeout(300)
    assert len(_queued(page)) == 1 and page.url.endswith("/villages/")

    # Accepted: the queue and the kept pages are gone (the answer also says Clear-Site-Data).
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.url.endswith("/accounts/logout/")) as logout:
        page.locator(".menu-panel form.logout button").click()
    assert logout.value.all_headers().get("clear-site-data") == '"cache", "storage"'
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert not page.evaluate("caches.has('qiancun-pages')")
    assert "qiancun-offline" not in page.evaluate(
        "indexedDB.databases().then(function (dbs) { return dbs.map(function (d) { return d.name; }); })")

    # The same phone, another official: nothing of the first is kept or shown.
    page = _ready(official, "dipu")
    assert _queued(page) == []
    kept = _kept_urls(page)
    assert f"/projects/{field['far'].pk}/" in kept and f"/projects/{road.pk}/" not in kept
    assert "/villages/330523108204/" not in kept


def test_a_session_ended_without_logout_shows_nothing_to_the_next_user_and_keeps_the_reports(phone, field):
    """The first official's session ends without logging out (it expired): the login page drops the pages kept for
    them, the next user sees nothing of theirs, and their waiting report stays on the phone, unsent, until they log
    in again and it is sent as theirs."""
    from django.contrib.sessions.models import Session

    official = phone()
    page = _ready(official)
    road = field["road"]
    _queue_offline(official, road, 53, 245000)
    official.context.set_offline(False)
    Session.objects.all().delete()
    official.context.clear_cookies()
    page = _ready(official, "dipu")
    assert _queued(page) == []
    expect(page.locator(".queue-badge")).to_be_hidden()
    assert _all_queued(page) == [[field["official"].pk, "53"]]  # kept, but not the neighbour's to see or send
    kept = _kept_urls(page)
    assert f"/projects/{road.pk}/" not in kept and f"/projects/{field['far'].pk}/" in kept
    assert not ProgressReport.objects.filter(project=road, percent_complete=53).exists()

    # The first official logs in again: the report is theirs again and goes.
    Session.objects.all().delete()
    official.context.clear_cookies()
    page = _ready(official)
    expect(page.locator(".queue-badge")).to_be_hidden(timeout=30_000)
    report = ProgressReport.objects.get(project=road, percent_complete=53)
    assert report.reporter == field["official"]
    assert f"/projects/{field['far'].pk}/" not in _kept_urls(page)


def test_a_waiting_report_is_edited_and_sent_as_edited(phone, field):
    official = phone()
    page = _ready(official)
    road = field["road"]
    page = _queue_offline(official, road, 56, 250000, "初稿。")
    [queued] = _queued(page)
    with page.expect_navigation():
        page.locator("[data-queue-list] > li a.button").click()
    assert page.input_value("#id_percent_complete") == "56"
    expect(page.locator("[data-offline-editing]")).to_be_visible()
    page.fill("#id_percent_complete", "58")
    page.fill("#id_narrative", "改稿。")
    with page.expect_navigation(url=re.compile(r"/offline/queue/$")):
        page.click("button[type=submit].primary")
    [edited] = _queued(page)
    assert (edited["id"], edited["key"], edited["percent"]) == (queued["id"], queued["key"], "58")
    official.context.set_offline(False)
    page.click("[data-sync-now]")
    expect(page.locator("[data-queue-empty]")).to_be_visible()
    expect(page.locator("[data-queue-list] > li")).to_have_count(0)
    report = ProgressReport.objects.get(project=road, percent_complete=58)
    assert report.narrative == "改稿。" and not ProgressReport.objects.filter(project=road, percent_complete=56).exists()


def test_logging_out_without_network_empties_the_phone_at_once(phone, field):
    official = phone()
    page = _ready(official)
    page = _queue_offline(official, field["road"], 57, 255000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("details.menu > summary")
    with page.expect_navigation(url=re.compile(r"/offline/$")):
        page.locator(".menu-panel form.logout button").click()
    assert "qiancun-offline" not in page.evaluate(
        "indexedDB.databases().then(function (dbs) { return dbs.map(function (d) { return d.name; }); })")
    assert not page.evaluate("caches.has('qiancun-pages')")
    # Back online, the next page ends the session too.
    official.context.set_offline(False)
    official.go("/villages/")
    official.page.wait_for_url(re.compile(r"/accounts/login/"))


def test_chromium_finds_the_app_installable(chromium, live_server, field, tmp_path, screenshots):
    """Installability is judged in a profile that is not incognito (Playwright's contexts are)."""
    context = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, viewport=PHONE, is_mobile=True, has_touch=True,
        locale="zh-CN", args=["--disable-gpu", "--disable-dev-shm-usage"])
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "tianhuangping")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(live_server.url + "/")
        page.evaluate("navigator.serviceWorker.ready.then(function () { return true; })")
        page.reload()  # controlled by the worker now
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        page.screenshot(path=str(screenshots / "offline-00-installable-home.png"), full_page=True)
    finally:
        context.close()
