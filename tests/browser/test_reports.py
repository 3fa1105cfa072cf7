"""Reports on a phone: county staff request a report, watch its progress bar move while a worker
generates it, and download the file."""
import threading

import pytest

from core.models import Role
from reports import services
from reports.models import ReportJob
from tests.factories import ProjectFactory, VillageFactory, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_request_watch_the_progress_bar_and_download(phone, monkeypatch, settings):
    for i in range(3):
        ProjectFactory(village=VillageFactory(code=f"330523108{204 + i}", township_code="330523108"))
    from dashboard.stats import rebuild

    rebuild("")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    # The task goes nowhere (no worker in this test); the "worker" thread below runs the job while the page watches.
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

    # A slow run, so that the page sees it move: a pause at each checkpoint.
    settings.REPORTS_CHECKPOINT_DELAY = 0.4
    seen = []
    worker = threading.Thread(target=lambda: services.report_run(job_id=job.pk, task_id="browser"))
    worker.start()
    page.wait_for_function("() => document.getElementById('report-status').textContent === '生成中'")
    seen.append(page.evaluate("document.getElementById('report-bar').value"))
    device.shot("41-report-running")
    page.wait_for_selector("#report-download:not([hidden]) a", timeout=30_000)
    worker.join(30)
    seen.append(page.evaluate("document.getElementById('report-bar').value"))
    assert seen[0] < 100 and seen[-1] == 100 and page.locator("#report-status").inner_text() == "已完成"
    assert page.locator("#report-finished").inner_text().startswith("20")
    device.shot("42-report-done")
    with page.expect_download() as download:
        page.click("#report-download a")
    assert download.value.suggested_filename.endswith(".xlsx") and "安吉县" in download.value.suggested_filename
    page = device.go("/reports/")
    assert page.locator("table.cards tbody tr").count() == 1
    device.shot("43-report-list")
    assert not device.outside_requests
