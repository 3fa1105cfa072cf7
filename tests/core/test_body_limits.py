"""Request bodies are bounded before anything reads them (issue 15, item 2): a 500 MB multipart POST to the
login page used to be spooled to disk before any check. core.body_limits.BodySizeLimitMiddleware answers 413
from Content-Length alone: anonymous requests get BODY_LIMIT_ANONYMOUS (64 KiB), logged-in users and token
clients BODY_LIMIT_AUTHENTICATED (2.5 MiB), and only the progress form (nine photos of 10 MB) more."""
import json
import time

import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse

from core.models import Role
from projects import photos
from projects.models import ProgressPhoto, ProgressReport, Project
from tests.factories import user_with
from tests.images import image_bytes, upload

MB = 1024 * 1024


class UnreadableInput:
    """A wsgi.input that fails the test if anything reads it."""

    def __init__(self):
        self.reads = 0

    def _refuse(self, *args, **kwargs):
        self.reads += 1
        raise AssertionError("the request body was read")

    read = readline = readlines = __iter__ = _refuse


# What an attacker has after one GET of the login page: a CSRF cookie, so CSRF checks get as far as the form.
CSRF_COOKIE = f"{django_settings.CSRF_COOKIE_NAME}={'a' * 32}"


def _wsgi(path, *, content_length, content_type="multipart/form-data; boundary=xyz", cookie=CSRF_COOKIE, **headers):
    """Send a POST through the whole WSGI stack (every middleware) with a body nobody may read."""
    environ = RequestFactory()._base_environ(
        PATH_INFO=path, REQUEST_METHOD="POST", CONTENT_TYPE=content_type, HTTP_COOKIE=cookie, **headers
    )
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(content_length)
    else:
        environ.pop("CONTENT_LENGTH", None)
    stream = environ["wsgi.input"] = UnreadableInput()
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = dict(response_headers)

    # As Django's test client does: the request signals must not close the test's connection (its transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, start_response)
        body = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body, stream


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


def _session_cookie(client, user):
    client.force_login(user)
    return f"{CSRF_COOKIE}; {django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def building(db):
    from tests.factories import ProjectFactory, VillageFactory

    return ProjectFactory(village=VillageFactory(code="330523108204"), status="under_construction")


def test_limits_fit_nine_photos_and_nothing_more():
    assert django_settings.BODY_LIMIT_ANONYMOUS == 64 * 1024
    assert django_settings.BODY_LIMIT_AUTHENTICATED == django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2621440
    assert photos.UPLOAD_BODY_LIMIT == photos.MAX_PHOTOS * photos.MAX_BYTES + photos.FORM_ALLOWANCE
    assert photos.MAX_PHOTOS * photos.MAX_BYTES < photos.UPLOAD_BODY_LIMIT <= 92 * MB
    from core.body_limits import body_limit_of
    from projects.views import progress_create

    assert body_limit_of(progress_create) == photos.UPLOAD_BODY_LIMIT


@pytest.mark.django_db
def test_oversized_anonymous_post_to_the_login_page_is_refused_unread():
    status, headers, body, stream = _wsgi("/accounts/login/", content_length=100_000)
    assert status == 413 and stream.reads == 0
    assert headers["Content-Type"].startswith("text/html")
    assert "请求内容过大" in body.decode()


@pytest.mark.django_db
def test_500_mb_is_refused_at_once_without_reading_anything():
    started = time.monotonic()
    status, _headers, _body, stream = _wsgi("/accounts/login/", content_length=500 * MB)
    assert status == 413 and stream.reads == 0
    assert time.monotonic() - started < 1.0


@pytest.mark.django_db
def test_anonymous_limit_applies_to_the_photo_form_too(building):
    status, _h, _b, stream = _wsgi(reverse("projects:progress_create", args=[building.pk]), content_length=5 * MB)
    assert status == 413 and stream.reads == 0


@pytest.mark.django_db
def test_api_answers_413_in_its_error_shape():
    status, headers, body, stream = _wsgi("/api/v1/auth/token/", content_length=70_000, content_type="application/json")
    assert status == 413 and stream.reads == 0
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["code"] == "payload_too_large" and set(error) == {"code", "message", "field_errors"}


@pytest.mark.django_db
def test_token_clients_get_the_authenticated_limit(client):
    """DRF authenticates tokens after the middleware: a request with an Authorization header gets the API's limit
    (the API takes JSON only). 100 kB reaches the view (here: an unknown token, 401), 3 MiB does not."""
    body = json.dumps({"name": "x" * 100_000})
    response = client.post("/api/v1/projects/", body, content_type="application/json", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    status, _h, body, stream = _wsgi("/api/v1/projects/", content_length=3 * MB, content_type="application/json",
                                     HTTP_AUTHORIZATION="Token nope")
    assert status == 413 and stream.reads == 0 and json.loads(body)["code"] == "payload_too_large"


def test_authenticated_oversized_non_photo_post_is_refused_and_changes_nothing(client, official, building):
    before = Project.objects.count()
    client.force_login(official)
    response = client.post(reverse("projects:create"), {
        "village": "330523108204", "type": "road", "name": "村道硬化工程", "budget": "300000",
        "planned_start": "2025-03-01", "planned_end": "2025-10-31", "responsible_person": "李明",
        "description": "长" * (1 * MB),  # 3 MB of UTF-8
    })
    assert response.status_code == 413
    assert "请求内容过大" in response.content.decode()
    assert Project.objects.count() == before


def test_authenticated_post_over_the_photo_limit_is_refused_unread(client, official, building):
    cookie = _session_cookie(client, official)
    status, _h, _b, stream = _wsgi(reverse("projects:progress_create", args=[building.pk]),
                                   content_length=photos.UPLOAD_BODY_LIMIT + 1, cookie=cookie)
    assert status == 413 and stream.reads == 0


def test_nine_photos_of_the_largest_size_go_through(client, official, building):
    """A progress report at the limit: nine photos of exactly MAX_BYTES each (a real JPEG padded after its end
    marker) and the form's fields."""
    jpeg = image_bytes(size=(800, 600))
    padded = jpeg + b"\0" * (photos.MAX_BYTES - len(jpeg))
    assert len(padded) == photos.MAX_BYTES
    client.force_login(official)
    response = client.post(reverse("projects:progress_create", args=[building.pk]), {
        "report_date": "2025-05-10", "percent_complete": "45", "amount_spent": "160000", "narrative": "管网铺设",
        "photos": [upload(f"现场{i}.jpg", data=padded) for i in range(photos.MAX_PHOTOS)],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ProgressReport.objects.count() == 1 and ProgressPhoto.objects.count() == photos.MAX_PHOTOS


@pytest.mark.django_db
def test_a_chunked_body_without_length_is_refused():
    """Django reads no body without Content-Length (it would silently see an empty form); gunicorn passes chunked
    bodies that way. 411, unread. (nginx in front always sends a length.)"""
    status, _h, body, stream = _wsgi("/accounts/login/", content_length=None, HTTP_TRANSFER_ENCODING="chunked")
    assert status == 411 and stream.reads == 0


@pytest.mark.django_db
def test_an_invalid_content_length_is_refused():
    for value in ("abc", "-5", "1e9"):
        status, _h, _b, stream = _wsgi("/accounts/login/", content_length=value)
        assert status == 400 and stream.reads == 0, value


@pytest.mark.django_db
def test_small_anonymous_posts_still_work(client):
    """The login form itself (a few hundred bytes) is untouched."""
    user_with("someone", (Role.COUNTY_STAFF, "330523"))
    response = client.post(reverse("login"), {"username": "someone", "password": "correct-horse-battery-staple"})
    assert response.status_code in (200, 302)
    assert response.status_code != 413


def test_limits_are_settings(client, official, building, settings):
    client.force_login(official)
    form = {"name": "x" * 150_000}
    assert client.post(reverse("projects:create"), form).status_code == 200  # the form's errors: not refused
    settings.BODY_LIMIT_AUTHENTICATED = 100_000
    assert client.post(reverse("projects:create"), form).status_code == 413
    settings.BODY_LIMIT_ANONYMOUS = 100
    client.logout()
    assert client.post(reverse("login"), {"username": "u" * 200}).status_code == 413
