import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-very-long-password"


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("wang", password=PASSWORD)


def _login(client, password, ip="10.0.0.5", username="wang"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_page_is_chinese_by_default(client, db):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="zh-hans"' in html and "登录" in html and "用户名" in html


def test_login_and_logout(client, user):
    response = _login(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # logout only by POST
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_passwords_need_twelve_characters(user):
    with pytest.raises(ValidationError):
        password_validation.validate_password("Short-pass1", user)
    password_validation.validate_password("twelve-chars-ok", user)


def test_five_failures_lock_the_user_out_from_that_ip_for_15_minutes(client, user, settings):
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    for _ in range(4):
        assert _login(client, "wrong-password").status_code == 200  # the form again, with an error
    assert _login(client, "wrong-password").status_code == 429  # the fifth failure locks
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address, or another user from this address, is not locked.
    assert _login(Client(), PASSWORD, ip="10.0.0.6").status_code == 302
    get_user_model().objects.create_user("li", password=PASSWORD)
    assert _login(Client(), PASSWORD, username="li").status_code == 302


def test_lockout_expires(client, user, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    for _ in range(5):
        _login(client, "wrong-password")
    assert _login(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)
    assert _login(Client(), PASSWORD).status_code == 302


def test_csrf_is_enforced(user):
    client = Client(enforce_csrf_checks=True)
    assert _login(client, PASSWORD).status_code == 403
    page = client.get(reverse("login"))
    token = page.cookies["csrftoken"].value
    ok = client.post(reverse("login"), {"username": "wang", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert ok.status_code == 302


def test_every_post_form_in_the_templates_carries_a_csrf_token():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", text, re.S | re.I):
            if "{% csrf_token %}" not in match.group(1):
                offenders.append(str(template.relative_to(ROOT)))
    assert not offenders


def test_cookies_are_hardened(client, user, settings):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    response = _login(client, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
