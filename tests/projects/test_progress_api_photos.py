"""POST /api/v1/progress-reports/ with photos (issue 23: the township official's phone queues reports without signal
and sends them later, from its browser session): multipart/form-data with up to nine `photos`, checked by the
progress form's rules; Idempotency-Key retries compared by the photos' bytes; the progress form's body limit."""
import datetime

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from core.body_limits import BodySizeLimitMiddleware, body_limit_of
from core.models import IdempotencyKey, Role
from projects import photos as photo_rules
from projects import services
from projects.models import ProgressPhoto, ProgressReport, ProjectStatus
from tests.factories import user_with
from tests.images import image_bytes, upload

URL = "/api/v1/progress-reports/"
CSRF = "offlinequeuecsrfsecret0123456789"  # a CSRF secret of 32 characters, as the cookie holds it
MIB = 1024 * 1024
# Two different small photos, and a third that differs from the first in its pixels only.
FRONT = image_bytes(size=(320, 240), color=(60, 140, 80))
SIDE = image_bytes(size=(320, 240), color=(200, 120, 40))
OTHER_FRONT = image_bytes(size=(320, 240), color=(20, 40, 160))


def _phone(user) -> APIClient:
    """The phone's browser: a logged-in session, sending the CSRF token in X-CSRFToken (CSRF checks enforced)."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    return client


def _fields(project, **changes) -> dict:
    return {"project": project.pk, "report_date": datetime.date.today().isoformat(), "percent_complete": 45,
            "amount_spent": "160000.00", "narrative": "主管网铺设完成四成。", **changes}


def _send(client, project, photos, key=None, **headers):
    """One multipart POST; fresh file objects each time (a test client reads a file to its end)."""
    data = _fields(project) | {"photos": [upload(name, data=content) for name, content in photos]}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(URL, data, format="multipart", HTTP_X_CSRFTOKEN=CSRF, **headers)


def _written():
    return ProgressReport.objects.count(), ProgressPhoto.objects.count()


def test_a_report_with_two_photos_as_multipart(official, building):
    response = _send(_phone(official), building, [("front.jpg", FRONT), ("side.jpg", SIDE)])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["photos"] == 2 and body["percent_complete"] == 45 and body["project"] == building.pk
    report = ProgressReport.objects.get()
    assert report.pk == body["id"] and report.reporter == official
    assert report.photos.count() == 2
    assert {photo.content_type for photo in report.photos.all()} == {"image/jpeg"}
    building.refresh_from_db()
    assert building.percent_complete == 45


def test_json_without_photos_still_works(official, building):
    response = _phone(official).post(URL, _fields(building), format="json", HTTP_X_CSRFTOKEN=CSRF)
    assert response.status_code == 201 and response.json()["photos"] == 0
    assert _written() == (1, 0)


def test_without_the_csrf_header_the_session_is_refused(official, building):
    client = _phone(official)
    response = client.post(URL, _fields(building) | {"photos": [upload("front.jpg", data=FRONT)]}, format="multipart")
    assert response.status_code == 403 and _written() == (0, 0)


def test_a_retry_with_the_same_photos_is_replayed(official, building):
    phone = _phone(official)
    photos = [("front.jpg", FRONT), ("side.jpg", SIDE)]
    first = _send(phone, building, photos, key="queue-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    retry = _send(phone, building, photos, key="queue-1")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert _written() == (1, 2)
    assert IdempotencyKey.objects.filter(user=official, key="queue-1").count() == 1


def test_the_same_key_with_another_photo_is_refused(official, building):
    """Same fields, same file names, the first photo's bytes differ: another request (the last part alone, or the
    names alone, would not tell them apart)."""
    phone = _phone(official)
    assert _send(phone, building, [("front.jpg", FRONT), ("side.jpg", SIDE)], key="queue-2").status_code == 201
    before = list(ProgressPhoto.objects.values_list("pk", "image"))
    other = _send(phone, building, [("front.jpg", OTHER_FRONT), ("side.jpg", SIDE)], key="queue-2")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    fewer = _send(phone, building, [("front.jpg", FRONT)], key="queue-2")
    assert fewer.status_code == 422
    assert _written() == (1, 2) and list(ProgressPhoto.objects.values_list("pk", "image")) == before


def test_a_broken_photo_refuses_the_report_and_the_key_is_not_kept(official, building, settings):
    phone = _phone(official)
    broken = _send(phone, building, [("front.jpg", FRONT), ("side.jpg", b"not an image, only bytes")], key="queue-3")
    assert broken.status_code == 400, broken.json()
    body = broken.json()
    assert body["code"] == "invalid" and "photos" in body["field_errors"]
    assert _written() == (0, 0) and not IdempotencyKey.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))
    corrected = _send(phone, building, [("front.jpg", FRONT), ("side.jpg", SIDE)], key="queue-3")
    assert corrected.status_code == 201 and corrected.json()["photos"] == 2
    assert _written() == (1, 2)


def test_too_many_photos_are_refused_on_photos(official, building):
    photos = [(f"p{i}.jpg", FRONT) for i in range(photo_rules.MAX_PHOTOS + 1)]
    response = _send(_phone(official), building, photos, key="queue-4")
    assert response.status_code == 400 and "photos" in response.json()["field_errors"]
    assert _written() == (0, 0) and not IdempotencyKey.objects.exists()


def test_a_project_suspended_before_the_send_still_takes_the_report(official, building):
    """Suspending does not close the project to progress reports (projects.models.REPORTABLE_STATUSES)."""
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    services.project_transition(actor=county, project=building, action="suspend", reason="汛期停工")
    response = _send(_phone(official), building, [("front.jpg", FRONT)], key="queue-5")
    assert response.status_code == 201 and _written() == (1, 1)


def test_a_project_cancelled_before_the_send_answers_409_in_chinese(official, building):
    """Queued while the works went on; meanwhile the county suspended, then cancelled the project. (The portal speaks
    Chinese unless its language switch says otherwise, core.locale: the phone's Accept-Language changes nothing.)"""
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    services.project_transition(actor=county, project=building, action="suspend", reason="汛期停工")
    services.project_transition(actor=county, project=building, action="cancel", reason="选址调整")
    building.refresh_from_db()
    assert building.status == ProjectStatus.CANCELLED
    response = _send(_phone(official), building, [("front.jpg", FRONT), ("side.jpg", SIDE)], key="queue-6",
                     HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_transition"
    assert body["message"] == "只有已批准的项目才能填报进度；此项目状态为“已取消”。"
    assert _written() == (0, 0) and not IdempotencyKey.objects.exists()


def test_an_official_of_another_township_is_refused(building, settings):
    neighbour = user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523001"))
    phone = _phone(neighbour)
    response = _send(phone, building, [("front.jpg", FRONT)], key="queue-7")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"project": ["不存在，或不在您的辖区内。"]}
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the portal's language switch (core.locale)
    response = _send(phone, building, [("front.jpg", FRONT)], key="queue-7")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"project": ["Unknown, or outside your area."]}
    assert _written() == (0, 0) and not IdempotencyKey.objects.exists()


def test_the_route_has_the_progress_forms_body_limit(official, building, settings):
    """A session may send more than the photo-free 2.5 MiB here (up to the progress form's limit); a token client,
    which Django authenticates only inside the view, and the API's other routes stay within it."""
    assert body_limit_of(resolve(reverse("api:progressreport-list")).func) == photo_rules.UPLOAD_BODY_LIMIT
    assert body_limit_of(resolve(reverse("api:project-list")).func) is None
    assert body_limit_of(resolve(reverse("api:progressreport-detail", args=[1])).func) is None
    # A real body of about 3 MiB: a JPEG padded with zeros (decoders stop at its end).
    padded = FRONT + b"\0" * (3 * MIB - len(FRONT))
    phone = _phone(official)
    response = _send(phone, building, [("big.jpg", padded)])
    assert response.status_code == 201, response.content[:500]
    assert _written() == (1, 1)
    # The middleware's answer from the declared length alone (before anything reads the body): None lets it through.
    middleware = BodySizeLimitMiddleware(lambda request: None)

    def verdict(url, length, user=official, **meta):
        request = RequestFactory().post(url, content_type="multipart/form-data; boundary=x", **meta)
        request.META["CONTENT_LENGTH"] = str(length)
        request.user = user
        refused = middleware.process_view(request, resolve(url).func, (), {})
        return refused.status_code if refused is not None else None

    between = settings.BODY_LIMIT_AUTHENTICATED + MIB // 2  # 3 MiB
    assert settings.BODY_LIMIT_AUTHENTICATED < between < photo_rules.UPLOAD_BODY_LIMIT
    assert verdict(URL, between) is None
    assert verdict(URL, photo_rules.UPLOAD_BODY_LIMIT) is None
    assert verdict(URL, photo_rules.UPLOAD_BODY_LIMIT + 1) == 413
    assert verdict(reverse("api:project-list"), between) == 413
    assert verdict(URL, between, user=AnonymousUser(), HTTP_AUTHORIZATION="Token x") == 413
    assert verdict(URL, between, user=AnonymousUser()) == 413
    assert _written() == (1, 1)


def test_a_json_report_echoing_its_photo_count_is_accepted(db):
    """A JSON client sends back a report as it read it (with the read-only `photos` count): not a photo upload."""
    from django.test import Client

    from core.models import Role
    from projects.models import ProjectStatus
    from tests.factories import VillageFactory, project_in, user_with

    project = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=VillageFactory(code="330523108204"))
    client = Client()
    client.force_login(user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")))
    response = client.post("/api/v1/progress-reports/", {
        "project": project.pk, "report_date": "2024-06-01", "percent_complete": 30, "amount_spent": "1000.00",
        "photos": 2}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["photos"] == 0 and project.progress_reports.count() == 1
