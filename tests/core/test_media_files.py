"""Files through the gate, sent by nginx (issue 15, item 3): with MEDIA_ACCEL_REDIRECT set, the photo and report
views check access as before, then answer with X-Accel-Redirect naming the file under nginx's internal location
instead of streaming it through a gunicorn worker. Without it (development, tests) Django streams the file."""

from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from reports.models import ReportJob
from tests.factories import (
    ProgressPhotoFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    api_token,
    region,
    user_with,
)

ACCEL = "/protected-media/"


@pytest.fixture
def world(db, settings):
    settings.MEDIA_ACCEL_REDIRECT = ACCEL
    project = ProjectFactory(village=VillageFactory(code="330523108204"))
    photo = ProgressPhotoFactory(report=ProgressReportFactory(project=project))
    job = ReportJob(kind="roster", format="csv", region=region("330523108"), scheduled=True, status="succeeded", progress=100,
                    started_at=timezone.now(), finished_at=timezone.now(), rows=1)
    job.file.save("reports/test/村庄名册 1.csv", ContentFile("村代码\n330523108204\n".encode()), save=False)
    job.save()
    return {
        "photo": photo, "job": job,
        "official": user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "county": user_with("county", (Role.COUNTY_STAFF, "330523")),
    }


def test_photo_is_handed_to_nginx_after_the_gate(client, world):
    photo = world["photo"]
    client.force_login(world["official"])
    response = client.get(reverse("projects:photo", args=[photo.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == ACCEL + photo.image.name
    assert response.content == b""  # nginx sends the bytes
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=86400" and response["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(reverse("projects:photo_thumbnail", args=[photo.pk]))
    assert thumb["X-Accel-Redirect"] == ACCEL + photo.thumbnail.name


def test_refused_requests_name_no_file(client, world):
    photo = world["photo"]
    response = client.get(reverse("projects:photo", args=[photo.pk]))
    assert response.status_code == 302 and "X-Accel-Redirect" not in response
    client.force_login(world["neighbour"])
    response = client.get(reverse("projects:photo", args=[photo.pk]))
    assert response.status_code == 404 and "X-Accel-Redirect" not in response
    assert client.get(reverse("reports:download", args=[world["job"].pk])).status_code == 404


def test_report_download_is_handed_to_nginx_as_an_attachment(client, world):
    job = world["job"]
    client.force_login(world["county"])
    response = client.get(reverse("reports:download", args=[job.pk]))
    assert response.status_code == 200 and response.content == b""
    # The name is percent-encoded for the header; nginx decodes it to find the file.
    assert job.file.name.startswith("reports/test/村庄名册")
    assert response["X-Accel-Redirect"] == ACCEL + quote(job.file.name)
    assert response["X-Accel-Redirect"].startswith(ACCEL + "reports/test/%E6%9D%91")
    assert response["Content-Disposition"].startswith("attachment;") and "filename*=utf-8''" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_api_report_download_too(client, world):
    token = api_token(world["county"])
    response = client.get(f"/api/v1/reports/{world['job'].pk}/download/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and response["X-Accel-Redirect"].startswith(ACCEL + "reports/test/")


def test_a_missing_file_is_404_not_an_nginx_error(client, world):
    photo = world["photo"]
    photo.image.storage.delete(photo.image.name)
    client.force_login(world["official"])
    response = client.get(reverse("projects:photo", args=[photo.pk]))
    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_without_the_setting_django_streams_the_file(client, world, settings):
    settings.MEDIA_ACCEL_REDIRECT = ""
    client.force_login(world["official"])
    response = client.get(reverse("projects:photo", args=[world["photo"].pk]))
    assert response.status_code == 200 and "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
