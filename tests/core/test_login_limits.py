"""Password spraying is throttled per client address across usernames (issue 15, item 6).

Failed logins are counted per client IP (core.net.client_ip) on the login page, the token endpoint and
the admin login together; past LOGIN_FAILURES_PER_IP failures in LOGIN_FAILURE_WINDOW_MINUTES every
login attempt from that address is refused with 429 and Retry-After, before any password is checked.
"""
import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

PASSWORD = "correct-horse-battery-staple"
ATTACKER = "10.66.0.1"
NEIGHBOUR = "10.66.0.2"


@pytest.fixture
def wang(db):
    return get_user_model().objects.create_user("wang", password=PASSWORD)


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", password=PASSWORD)


def _html(path):
    def attempt(username, password, ip):
        return Client().post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)
    return attempt


def _api(username, password, ip):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip)


ENDPOINTS = {
    "login": (_html("/accounts/login/"), "wang"),
    "token": (_api, "wang"),
    "admin": (_html("/admin/login/"), "root"),
}


def _succeeded(name, response):
    return response.status_code == (200 if name == "token" else 302)


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_spraying_200_usernames_from_one_ip_is_stopped(name, wang, admin_user, settings):
    attempt, good_user = ENDPOINTS[name]
    limit = settings.LOGIN_FAILURES_PER_IP
    assert limit == 30 and settings.LOGIN_FAILURE_WINDOW_MINUTES == 15
    codes = [attempt(f"user{i:03d}", "Spring2024!", ATTACKER).status_code for i in range(200)]
    first_refusal = codes.index(429)
    assert first_refusal == limit, codes[: limit + 2]  # the 31st attempt is refused, not the 200th
    assert set(codes[first_refusal:]) == {429}
    refused = attempt("user999", "Spring2024!", ATTACKER)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    if name == "token":
        body = refused.json()
        assert body["code"] == "throttled" and set(body) == {"code", "message", "field_errors"}
    else:
        assert "登录失败次数过多" in refused.content.decode()
    # A correct password from the limited address is refused too while the limit lasts: nothing is checked.
    assert attempt(good_user, PASSWORD, ATTACKER).status_code == 429
    # Another address is not affected.
    assert _succeeded(name, attempt(good_user, PASSWORD, NEIGHBOUR))


def test_the_three_endpoints_share_one_count(wang, admin_user, settings):
    settings.LOGIN_FAILURES_PER_IP = 6
    for i in range(2):
        assert _html("/accounts/login/")(f"a{i}", "x" * 12, ATTACKER).status_code == 200
        assert _api(f"b{i}", "x" * 12, ATTACKER).status_code == 401
        assert _html("/admin/login/")(f"c{i}", "x" * 12, ATTACKER).status_code == 200
    assert _api("wang", PASSWORD, ATTACKER).status_code == 429
    assert _html("/accounts/login/")("wang", PASSWORD, ATTACKER).status_code == 429


def test_successful_logins_do_not_count(wang, settings):
    settings.LOGIN_FAILURES_PER_IP = 3
    for _ in range(10):
        assert _html("/accounts/login/")("wang", PASSWORD, ATTACKER).status_code == 302
        assert _api("wang", PASSWORD, ATTACKER).status_code == 200


def test_the_limit_resets_after_the_window(wang, settings):
    settings.LOGIN_FAILURES_PER_IP = 5
    login = _html("/accounts/login/")
    for i in range(5):
        assert login(f"nobody{i}", "x" * 12, ATTACKER).status_code == 200
    assert login("wang", PASSWORD, ATTACKER).status_code == 429
    later = time.time() + settings.LOGIN_FAILURE_WINDOW_MINUTES * 60 + 10
    with mock.patch("time.time", return_value=later):
        assert login("wang", PASSWORD, ATTACKER).status_code == 302


def test_the_html_refusal_is_the_login_page_with_a_chinese_message(wang, settings):
    settings.LOGIN_FAILURES_PER_IP = 1
    _html("/accounts/login/")("nobody", "x" * 12, ATTACKER)
    page = Client().post(reverse("login"), {"username": "wang", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert page.status_code == 429
    html = page.content.decode()
    assert 'lang="zh-hans"' in html and "登录失败次数过多" in html and 'name="username"' in html
    assert "_auth_user_id" not in page.client.session


def test_an_axes_lockout_on_the_token_endpoint_answers_429_in_the_api_shape(wang):
    for _ in range(4):
        assert _api("wang", "wrong-password", ATTACKER).status_code == 401
    assert _api("wang", "wrong-password", ATTACKER).status_code == 429  # the fifth failure locks wang from this address
    locked = _api("wang", PASSWORD, ATTACKER)
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out" and int(locked["Retry-After"]) > 0
    assert _api("wang", PASSWORD, NEIGHBOUR).status_code == 200
