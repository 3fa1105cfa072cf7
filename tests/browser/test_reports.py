"""Reports on a phone: county staff request a report, watch its progress bar move while the job is
generated, and download the file."""
import pytest

from core.models import Role
from reports import services
from reports.models import ReportJob
from tests.factories import ProjectFactory, VillageFactory, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_request_watch_the_progress_bar_and_download(phone, monkeypatch):
    for i in range(3):
        ProjectFactory(village=VillageFactory(code=f"330523108{204 + i}", township_code="330523108"))
    from dashboard.stats import rebuild

    rebuild("")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    # The task goes nowhere (no worker in this test); the test runs the job below while the page watches.
    from reports import tasks

    monkeypatch.setattr(tasks.generate, "apply_async", lambda *args, **kwargs: None)
    device = phone()
    device.login("anji", "correct-horse-battery-staple")
    page = device.go("/reports/new/")
    page.select_option("#id_kind", "progress")
    assert page.locator("#id_format option[value=csv]").is_disabled()  # progress comes as XLSX or PDF
    page.select_option("#id_format", "xlsx")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/reports/*/")
    job = ReportJob.objects.get()
    assert page.locator("#report-status").inner_text() == "排队中" and page.locator("#report-waiting").is_hidden()
    device.shot("40-report-queued")

    # The job runs here, in the test's own thread, and stops at each of its checkpoints until the page shows
    # that progress: the page is seen at known states, whatever the machine's load. Not on a thread of its
    # own: on SQLite the test database is an in-memory database in shared-cache mode, whose locks are per
    # table and are not waited for (no busy timeout applies); a "worker" thread with its own connection
    # writing reports_reportjob while the live server read it failed with "database table is locked:
    # reports_reportjob". The live server shares the test thread's connection, so here nothing collides.
    real_checkpoint = services._checkpoint
    seen = []

    def checkpoint(job_id, token, progress):
        real_checkpoint(job_id, token, progress)
        if seen and seen[-1] == progress:
            return  # a heartbeat, not a new step
        page.wait_for_function(
            "p => document.getElementById('report-status').textContent === '生成中'"
            " && document.getElementById('report-bar').value === p"
            " && document.getElementById('report-percent').textContent === p + '%'",
            arg=progress,
        )
        if not seen:
            device.shot("41-report-running")
        seen.append(progress)

    monkeypatch.setattr(services, "_checkpoint", checkpoint)
    finished = services.report_run(job_id=job.pk, task_id="browser")
    assert finished.status == "succeeded", finished.error
    page.wait_for_selector("#report-download:not([hidden]) a", timeout=30_000)
    assert len(seen) >= 2 and seen == sorted(set(seen)) and seen[-1] < 100, seen  # the bar moved forward while it ran
    assert page.evaluate("document.getElementById('report-bar').value") == 100
    assert page.locator("#report-status").inner_text() == "已完成"
    assert page.locator("#report-finished").inner_text().startswith("20")
    device.shot("42-report-done")
    with page.expect_download() as download:
        page.click("#report-download a")
    assert download.value.suggested_filename.endswith(".xlsx") and "安吉县" in download.value.suggested_filename
    page = device.go("/reports/")
    assert page.locator("table.cards tbody tr").count() == 1
    device.shot("43-report-list")
    assert not device.outside_requests
