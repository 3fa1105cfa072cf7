"""Reports through the API and the pages: 202 with id and status, polling, the download, the waiting message
when the queue is down, and pages that cost the same queries at 1 row and at 50."""
import io
import json

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown
from openpyxl import load_workbook

from reports import services
from reports.models import ReportJob, ReportStatus
from tests.factories import api_token


@pytest.fixture
def api(client, county_world):
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {api_token(county_world['county'])}"
    return client


def _post(client, data):
    return client.post("/api/v1/reports/", json.dumps(data), content_type="application/json")


def test_api_request_poll_and_download(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api, {"kind": "roster", "region": "330523", "format": "xlsx"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) >= {"id", "status", "progress", "download_url"} and response["Location"] == f"/api/v1/reports/{body['id']}/"
    job = api.get(response["Location"]).json()
    assert job["status"] == "succeeded" and job["progress"] == 100 and job["rows"] == 5
    assert job["download_url"] == f"http://testserver/api/v1/reports/{body['id']}/download/"
    download = api.get(job["download_url"])
    assert download.status_code == 200 and download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in download["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book["村庄"].max_row == 6


def test_api_refusals_name_the_field(api):
    response = _post(api, {"kind": "roster", "region": "330522"})
    assert response.status_code == 400 and "region" in response.json()["field_errors"]
    response = _post(api, {"kind": "funding", "region": "330523", "format": "csv"})
    assert response.status_code == 400 and "format" in response.json()["field_errors"]
    response = _post(api, {"kind": "progress", "region": "330523108204"})
    assert response.status_code == 400 and "region" in response.json()["field_errors"]
    assert not ReportJob.objects.exists()


def test_api_download_of_an_unfinished_job_is_404(api, monkeypatch):
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: True)
    response = _post(api, {"kind": "roster", "region": "330523"})
    assert response.json()["status"] == "queued" and response.json()["download_url"] is None
    assert api.get(f"/api/v1/reports/{response.json()['id']}/download/").status_code == 404


def test_broker_down_the_request_is_kept_and_said_so(client, county_world, monkeypatch, django_capture_on_commit_callbacks):
    from reports import tasks

    def refuse(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.generate, "apply_async", refuse)
    client.force_login(county_world["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/new/", {"kind": "roster", "region": "330523", "format": "csv"}, follow=True)
    job = ReportJob.objects.get()
    assert job.status == ReportStatus.QUEUED and job.dispatched_at is None
    assert "队列恢复后将自动生成" in response.content.decode()
    status = client.get(f"/reports/{job.pk}/status.json").json()
    assert status["queued"] is False and status["status"] == "queued"
    # The queue is back: the sweeper sends it (its own dispatch ran a moment ago, so it waits 30 s first).
    monkeypatch.undo()
    ReportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timezone.timedelta(minutes=1))
    assert services.report_sweep() == [job.pk]
    job.refresh_from_db()
    assert job.status == ReportStatus.SUCCEEDED and job.dispatched_at is None  # ran eagerly here, before being marked


def test_job_page_has_a_live_progress_bar_and_the_download(client, county_world, django_capture_on_commit_callbacks):
    client.force_login(county_world["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/new/", {"kind": "progress", "region": "330523", "format": "xlsx"})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f'<progress class="bar big" max="100" value="{job.progress}" id="report-bar"' in page and f'data-status-url="/reports/{job.pk}/status.json"' in page
    assert f'href="/reports/{job.pk}/download/"' in page and "js/reports.js" in page
    status = client.get(f"/reports/{job.pk}/status.json").json()
    assert status["status"] == "succeeded" and status["progress"] == 100 and status["downloadable"]
    assert client.get(f"/reports/{job.pk}/download/")["Content-Disposition"].startswith("attachment")


def test_request_form_offers_the_users_regions(client, county_world):
    client.force_login(county_world["supervisor"])
    page = client.get("/reports/new/").content.decode()
    assert 'value="3305"' in page and "report-formats" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_list_costs_the_same_queries_at_1_and_50_jobs(client, county_world, rows, django_assert_max_num_queries):
    for _ in range(rows):
        ReportJob.objects.create(kind="roster", format="csv", region_id="330523", requester=county_world["county"])
    client.force_login(county_world["county"])
    with django_assert_max_num_queries(8):
        response = client.get("/reports/")
    assert response.status_code == 200 and response.content.decode().count("/reports/") >= rows
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/reports/?region=330523").json()["count"] == rows
