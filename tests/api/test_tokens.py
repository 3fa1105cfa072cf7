"""API tokens (issue 15, item 9): stored hashed, expire, revoked by a password change or deactivation,
revocable by their owner over the API (DELETE /api/v1/auth/token/) and on /accounts/tokens/."""
import datetime
import io
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from tests.factories import user_with

PASSWORD = "correct-horse-battery-staple"
NEW_PASSWORD = "another-long-passphrase-2025"
TOKEN_URL = "/api/v1/auth/token/"


def _token_model():
    from knox.models import AuthToken

    return AuthToken


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def api_only(db):
    return user_with("gov_system", (Role.API_CLIENT, "33"))


def _obtain(username="anji", password=PASSWORD, **extra):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def _ping(token):
    return APIClient().get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_a_token_is_issued_with_its_expiry_and_stored_hashed(county, settings):
    assert settings.API_TOKEN_TTL_DAYS == 30
    response = _obtain()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    expiry = datetime.datetime.fromisoformat(body["expiry"])
    assert abs(expiry - (timezone.now() + datetime.timedelta(days=30))) < datetime.timedelta(minutes=1)
    assert _ping(body["token"]) == 200
    # No column of the token table holds the token itself.
    row = _token_model().objects.get(user=county)
    assert body["token"] not in {str(value) for value in row.__dict__.values()}
    # A form body works as before, for existing clients.
    form = APIClient().post(TOKEN_URL, {"username": "anji", "password": PASSWORD})
    assert form.status_code == 200 and form.json()["token"] != body["token"]


def test_wrong_credentials_answer_401_in_the_error_shape(county):
    response = _obtain(password="wrong-password-here")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    missing = APIClient().post(TOKEN_URL, {"username": "anji"}, format="json")
    assert missing.status_code == 400 and "password" in missing.json()["field_errors"]


def test_the_lifetime_is_configurable_and_expired_tokens_are_refused(county, settings):
    settings.API_TOKEN_TTL_DAYS = 2
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(days=2)}
    body = _obtain().json()
    assert datetime.datetime.fromisoformat(body["expiry"]) < timezone.now() + datetime.timedelta(days=2, minutes=1)
    _token_model().objects.filter(user=county).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert _ping(body["token"]) == 401


def test_delete_revokes_the_token_of_the_request_only(county):
    first, second = _obtain().json()["token"], _obtain().json()["token"]
    before = AuditEntry.objects.count()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.delete(TOKEN_URL).status_code == 204
    assert _ping(first) == 401 and _ping(second) == 200
    assert AuditEntry.objects.count() == before + 1
    assert client.delete(TOKEN_URL).status_code == 401  # already gone


def test_delete_needs_a_token(county):
    assert APIClient().delete(TOKEN_URL).status_code == 401
    session = APIClient()
    session.force_login(county)
    token = _obtain().json()["token"]
    response = session.delete(TOKEN_URL)
    assert response.status_code == 400 and response.json()["code"] == "no_token"
    assert "/accounts/tokens/" in response.json()["message"]
    assert _ping(token) == 200


def test_a_user_holds_a_limited_number_of_tokens(county, settings):
    limit = settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]
    assert limit == settings.API_TOKENS_PER_USER == 10
    for _ in range(limit):
        assert _obtain().status_code == 200
    refused = _obtain()
    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_tokens" and "/accounts/tokens/" in refused.json()["message"]
    assert _token_model().objects.filter(user=county).count() == limit
    # Expired tokens do not count.
    _token_model().objects.filter(user=county).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert _obtain().status_code == 200


def _revoked_by(change, county):
    token = _obtain().json()["token"]
    assert _ping(token) == 200
    before = AuditEntry.objects.filter(object_id=str(county.pk)).count()
    change(get_user_model().objects.get(pk=county.pk))
    assert _ping(token) == 401
    assert not _token_model().objects.filter(user=county).exists()
    assert AuditEntry.objects.filter(object_id=str(county.pk)).count() > before


def test_set_password_and_save_revokes_the_tokens(county):
    def change(user):
        user.set_password(NEW_PASSWORD)
        user.save()
    _revoked_by(change, county)


def test_set_password_with_update_fields_revokes_the_tokens(county):
    def change(user):
        user.set_password(NEW_PASSWORD)
        user.save(update_fields=["password"])
    _revoked_by(change, county)


def test_deactivation_revokes_the_tokens(county):
    def change(user):
        user.is_active = False
        user.save(update_fields=["is_active"])
    _revoked_by(change, county)


def test_changepassword_command_revokes_the_tokens(county):
    def change(user):
        with mock.patch("getpass.getpass", return_value=NEW_PASSWORD):
            call_command("changepassword", "anji", stdout=io.StringIO())
    _revoked_by(change, county)


def test_the_admin_password_form_revokes_the_tokens(county):
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)

    def change(user):
        client = Client()
        client.force_login(admin)
        response = client.post(reverse("admin:auth_user_password_change", args=[user.pk]),
                               {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
        assert response.status_code == 302, response.content.decode()[:2000]
    _revoked_by(change, county)


def test_logins_and_other_saves_keep_the_tokens(county):
    token = _obtain().json()["token"]
    client = Client()
    assert client.post(reverse("login"), {"username": "anji", "password": PASSWORD}).status_code == 302  # last_login saved
    user = get_user_model().objects.get(pk=county.pk)
    user.first_name = "张"
    user.save()
    # A hash upgrade at login (check_password re-hashing with the current hasher) is not a password change.
    with mock.patch("django.contrib.auth.hashers.MD5PasswordHasher.must_update", return_value=True):
        assert user.check_password(PASSWORD)
    assert _ping(token) == 200


def test_expired_tokens_are_purged_by_a_periodic_task(county, api_only):
    from config.beat import CELERY_BEAT_SCHEDULE
    from core.tasks import purge_expired_tokens

    assert any(entry["task"] == "core.purge_expired_tokens" for entry in CELERY_BEAT_SCHEDULE.values())
    live, old = _obtain().json()["token"], _obtain().json()["token"]
    _token_model().objects.filter(token_key=old[:15]).update(expiry=timezone.now() - datetime.timedelta(days=1))
    assert purge_expired_tokens() == 1
    assert _token_model().objects.filter(user=county).count() == 1 and _ping(live) == 200


# --- the tokens page and the password page ---------------------------------------------------------------------

def _portal(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_tokens_page_lists_the_users_tokens_in_chinese(county, api_only):
    mine = _obtain().json()["token"]
    theirs = APIClient().post(TOKEN_URL, {"username": "gov_system", "password": PASSWORD}, format="json").json()["token"]
    page = _portal(county).get("/accounts/tokens/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "API 令牌" in html and mine[:8] in html and theirs[:8] not in html and mine not in html
    # An API-only account may open it (and the password page), though not the portal's other pages.
    client = _portal(api_only)
    assert client.get("/accounts/tokens/").status_code == 200
    assert client.get("/accounts/password/").status_code == 200
    assert client.get("/").status_code == 403


def test_revoking_one_token_on_the_page(county):
    keep, drop = _obtain().json()["token"], _obtain().json()["token"]
    row = next(t for t in _token_model().objects.filter(user=county) if drop.startswith(t.token_key))
    client = _portal(county)
    confirm = client.get("/accounts/tokens/revoke/", {"token": row.digest})
    assert confirm.status_code == 200 and drop[:8] in confirm.content.decode() and "撤销" in confirm.content.decode()
    assert _ping(drop) == 200  # asking is not revoking
    done = client.post("/accounts/tokens/revoke/", {"token": row.digest})
    assert done.status_code == 302 and done["Location"] == "/accounts/tokens/"
    assert _ping(drop) == 401 and _ping(keep) == 200


def test_revoking_all_tokens_on_the_page(county):
    tokens = [_obtain().json()["token"] for _ in range(3)]
    client = _portal(county)
    assert client.post("/accounts/tokens/revoke/", {"token": "all"}).status_code == 302
    assert [_ping(t) for t in tokens] == [401, 401, 401]


def test_another_users_token_cannot_be_revoked_on_the_page(county, api_only):
    APIClient().post(TOKEN_URL, {"username": "gov_system", "password": PASSWORD}, format="json")
    theirs = _token_model().objects.get(user=api_only)
    client = _portal(county)
    assert client.get("/accounts/tokens/revoke/", {"token": theirs.digest}).status_code == 404
    assert client.post("/accounts/tokens/revoke/", {"token": theirs.digest}).status_code == 404
    assert _token_model().objects.filter(user=api_only).count() == 1


def test_the_password_page_changes_the_password_and_revokes_the_tokens(county):
    token = _obtain().json()["token"]
    client = _portal(county)
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "令牌" in page.content.decode()  # the page says tokens will be revoked
    done = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                                "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert _ping(token) == 401
    assert client.get("/accounts/tokens/").status_code == 200  # the session survives its own password change
    assert get_user_model().objects.get(pk=county.pk).check_password(NEW_PASSWORD)


def test_the_header_links_to_both_pages(county):
    html = _portal(county).get("/").content.decode()
    assert 'href="/accounts/tokens/"' in html and 'href="/accounts/password/"' in html


# --- moving DRF authtoken keys into knox ------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)  # a schema editor (DDL) outside the test's transaction, as migrate runs it
def test_existing_plaintext_tokens_are_moved_and_the_table_dropped(county, settings):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("core.migrations.0005_move_authtoken_keys_to_knox")
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # a DRF authtoken key: 40 hex characters
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp with time zone NOT NULL,"
                       " user_id bigint NOT NULL UNIQUE)")
        cursor.execute("INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
                       [key, timezone.now() - datetime.timedelta(days=400), county.pk])
    with connection.schema_editor() as editor:
        migration.move_authtoken_keys(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    moved = _token_model().objects.get(user=county)
    assert moved.digest != key and moved.token_key == key[:15]
    expected = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert abs(moved.expiry - expected) < datetime.timedelta(minutes=1)
    assert _ping(key) == 200  # the existing client goes on working, until the expiry
    # Run again (a database that never had DRF tokens): nothing happens.
    with connection.schema_editor() as editor:
        migration.move_authtoken_keys(apps, editor)
    assert _token_model().objects.filter(user=county).count() == 1


def test_rest_framework_authtoken_is_gone(settings, db):
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert "authtoken_token" not in connection.introspection.table_names()
