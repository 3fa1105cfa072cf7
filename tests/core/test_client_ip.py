"""The client's address behind a configured number of trusted proxies (issue 15, item 8).

One function (core.net.client_ip) answers for the audit trail, django-axes, the per-IP login limit and
the API's throttles. nginx appends the address it received from to X-Forwarded-For
($proxy_add_x_forwarded_for), so only the right-most TRUSTED_PROXY_COUNT entries were written by a
proxy we trust; a client can put anything in front of them.
"""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from projects.models import Project
from tests.factories import VillageFactory, user_with

PASSWORD = "correct-horse-battery-staple"
PROXY = "172.18.0.5"  # nginx, as the application server sees it


def _ip(count, settings, remote=PROXY, forwarded=None):
    from core.net import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": remote} if remote is not None else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        request.META.pop("REMOTE_ADDR", None)
    return client_ip(request)


@pytest.mark.parametrize("count, forwarded, expected", [
    # No proxy configured: X-Forwarded-For is the client's own words and is ignored.
    (0, "6.6.6.6, 10.1.2.3", PROXY),
    (0, "6.6.6.6", PROXY),
    # One proxy (nginx): its entry is the right-most one; what the client prepended is ignored.
    (1, "6.6.6.6, 10.1.2.3", "10.1.2.3"),
    (1, "10.1.2.3", "10.1.2.3"),
    (1, "  10.1.2.3  ", "10.1.2.3"),
    (1, "garbage, 10.1.2.3", "10.1.2.3"),
    (1, "10.1.2.3:51234", "10.1.2.3"),  # a port is not part of the address
    (1, "2001:db8::1", "2001:db8::1"),
    (1, "[2001:db8::1]:443", "2001:db8::1"),
    # Two proxies: the client is the second entry from the right.
    (2, "6.6.6.6, 10.1.2.3, 192.168.7.1", "10.1.2.3"),
    # Missing, short or malformed chains fall back to the address that connected (never to a forged one).
    (1, None, PROXY),
    (1, "", PROXY),
    (1, ",,,", PROXY),
    (1, "unknown", PROXY),
    (1, "6.6.6.6, not-an-address", PROXY),
    (1, "6.6.6.6, 999.1.2.3", PROXY),
    (1, "0.0.0.0", PROXY),
    (1, "x" * 20000, PROXY),
    (1, "\u0000\u00ff, 10.1.2.3\u2028", "10.1.2.3"),  # control characters on the client's side, space around
    (1, "10.1.2.3, 10.1.2.4\u0000", PROXY),
    (2, "10.1.2.3", PROXY),  # fewer entries than trusted proxies: nothing in it can be trusted
])
def test_client_ip_counts_trusted_proxies_from_the_right(settings, count, forwarded, expected):
    assert _ip(count, settings, forwarded=forwarded) == expected


def test_client_ip_without_or_with_a_bad_remote_addr(settings):
    assert _ip(0, settings, remote=None) is None
    assert _ip(0, settings, remote="not-an-ip") is None
    assert _ip(0, settings, remote="::ffff:10.1.2.3") == "10.1.2.3"


def test_the_deprecated_use_x_forwarded_for_means_one_proxy(monkeypatch):
    import subprocess
    import sys
    from pathlib import Path

    code = "import django; django.setup(); from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)"
    root = Path(__file__).resolve().parents[2]

    def count(**env):
        import os

        base = {k: v for k, v in os.environ.items() if k not in ("USE_X_FORWARDED_FOR", "TRUSTED_PROXY_COUNT", "DATABASE_REPLICA_URL")}
        base.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
        return subprocess.run([sys.executable, "-c", code], cwd=root, env=base, capture_output=True, text=True).stdout.strip()

    assert count() == "0"
    assert count(USE_X_FORWARDED_FOR="1") == "1"
    assert count(TRUSTED_PROXY_COUNT="2", USE_X_FORWARDED_FOR="1") == "2"


def test_axes_drf_and_the_audit_trail_use_the_one_function(settings):
    from axes.helpers import get_client_ip_address

    from core.throttling import AnonRateThrottle, UserRateThrottle

    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3")
    assert get_client_ip_address(request) == "10.1.2.3"
    assert AnonRateThrottle().get_ident(request) == "10.1.2.3"
    assert UserRateThrottle().get_ident(request) == "10.1.2.3"
    assert [c.rsplit(".", 1)[-1] for c in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]] == ["UserRateThrottle", "AnonRateThrottle"]
    assert all(c.startswith("core.throttling.") for c in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"])


@pytest.fixture
def official(db):
    VillageFactory(code="330523108204", name="余村村委会")
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


def _create_project(official, **headers):
    client = Client()
    client.force_login(official)
    body = {"village": "330523108204", "type": "road", "name": "村道硬化工程", "budget": "300000",
            "planned_start": "2025-03-01", "planned_end": "2025-10-31", "responsible_person": "李明"}
    response = client.post("/api/v1/projects/", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    project = Project.objects.get(pk=response.json()["id"])
    return AuditEntry.objects.filter(object_id=str(project.pk), action="create").latest("id")


def test_the_audit_row_records_the_client_not_a_forged_address(settings, official):
    settings.TRUSTED_PROXY_COUNT = 1
    entry = _create_project(official, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3")
    assert entry.ip == "10.1.2.3"


def test_without_a_trusted_proxy_the_audit_row_ignores_x_forwarded_for(settings, official):
    settings.TRUSTED_PROXY_COUNT = 0
    entry = _create_project(official, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert entry.ip == "10.1.2.3"


def test_garbage_forwarded_headers_do_not_break_a_write(settings, official):
    settings.TRUSTED_PROXY_COUNT = 1
    entry = _create_project(official, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="%%%, ]]]:::[[[")
    assert entry.ip == PROXY


def _login(client, password, client_address, username="wang"):
    # nginx in front: every request reaches Django from the proxy; the client is the right-most entry.
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def test_behind_the_proxy_a_lockout_locks_the_pair_not_everyone(settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    get_user_model().objects.create_user("wang", password=PASSWORD)
    attacker = Client()
    for _ in range(4):
        assert _login(attacker, "wrong-password", "10.1.2.3").status_code == 200
    assert _login(attacker, "wrong-password", "10.1.2.3").status_code == 429  # the fifth failure locks wang from A
    assert _login(Client(), PASSWORD, "10.1.2.3").status_code == 429  # even with the right password, from A
    # Prepending another client's address does not escape: the proxy's entry is still A.
    assert _login(Client(), PASSWORD, "10.9.9.9, 10.1.2.3").status_code == 429
    # The real owner, from another client behind the same proxy, logs in.
    owner = Client()
    assert _login(owner, PASSWORD, "10.9.9.9").status_code == 302
    assert "_auth_user_id" in owner.session


def test_without_a_trusted_proxy_forged_headers_do_not_escape_a_lockout(settings, db):
    settings.TRUSTED_PROXY_COUNT = 0
    get_user_model().objects.create_user("wang", password=PASSWORD)
    for i in range(5):
        _login(Client(), "wrong-password", f"10.1.2.{i}")
    assert _login(Client(), PASSWORD, "10.77.77.77").status_code == 429


def test_forged_headers_do_not_escape_the_api_throttle(settings, db):
    from rest_framework.throttling import AnonRateThrottle

    settings.TRUSTED_PROXY_COUNT = 0
    original = AnonRateThrottle.THROTTLE_RATES
    AnonRateThrottle.THROTTLE_RATES = {**original, "anon": "2/min"}
    try:
        # The token endpoint is open to anonymous callers, so the anonymous rate applies (an empty body: 400).
        codes = [APIClient().post("/api/v1/auth/token/", {}, format="json", REMOTE_ADDR="10.1.2.3",
                                  HTTP_X_FORWARDED_FOR=f"6.6.6.{i}").status_code for i in range(3)]
        other = APIClient().post("/api/v1/auth/token/", {}, format="json", REMOTE_ADDR="10.1.2.4").status_code
    finally:
        AnonRateThrottle.THROTTLE_RATES = original
    assert codes == [400, 400, 429]
    assert other == 400
