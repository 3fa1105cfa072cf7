"""/healthz: 200 when the database and the broker answer, 503 naming what is down,
fast, public, and never a stack trace."""
import json
import socket
import time

import pytest
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from core import health
from tests.conftest import need_service

URL = "/healthz"


@pytest.fixture(autouse=True)
def _fresh_broker_client():
    health.reset_broker_client()
    yield
    health.reset_broker_client()


def _body(response):
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def _no_stack_trace(response):
    text = response.content.decode()
    assert "Traceback" not in text and 'File "' not in text and ".py" not in text, text


def test_route_is_healthz():
    assert reverse("healthz") == URL


def test_ok_when_database_and_broker_answer(client, db, settings, django_assert_max_num_queries):
    """Locally the broker is memory:// (eager tasks); in CI CELERY_BROKER_URL is the real Redis."""
    with django_assert_max_num_queries(1):
        response = client.get(URL)
    assert response.status_code == 200, response.content
    body = _body(response)
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker"}
    assert body["checks"]["database"]["ok"] is True and body["checks"]["database"]["ms"] >= 0
    assert body["checks"]["broker"]["ok"] is True
    if settings.CELERY_BROKER_URL == "memory://":
        assert body["checks"]["broker"]["mode"] == "eager"
    else:
        assert "mode" not in body["checks"]["broker"]  # really pinged
    assert response["Cache-Control"] == "no-store"


def test_real_redis_broker_is_pinged(client, db, settings):
    from tests.stack import port_open

    need_service("Redis", port_open(6379), "no Redis on 127.0.0.1:6379")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/9"
    response = client.get(URL)
    assert response.status_code == 200
    assert _body(response)["checks"]["broker"] == {"ok": True, "ms": pytest.approx(0, abs=1000)}


def test_503_naming_the_broker_when_it_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    response = client.get(URL)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = _body(response)
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    assert elapsed < 3, elapsed
    _no_stack_trace(response)


def test_a_broker_that_never_answers_times_out_in_about_a_second(client, db, settings):
    """A hung Redis: the TCP connection opens (the kernel's backlog) but PING gets no reply."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # never accepted, never read
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        response = client.get(URL)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert _body(response)["checks"]["broker"] == {"ok": False, "ms": pytest.approx(1000, abs=600), "error": "TimeoutError"}
    assert 0.9 < elapsed < 3, elapsed


def test_503_naming_the_database_when_it_is_down(client, db, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", lambda: BrokenCursor())
        response = client.get(URL)
    assert response.status_code == 503
    body = _body(response)
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"ok": False, "ms": pytest.approx(0, abs=1000), "error": "OperationalError"}
    assert body["checks"]["broker"]["ok"] is True
    _no_stack_trace(response)
    assert "db.internal" not in response.content.decode()  # details go to the log, not to an anonymous caller


class BrokenCursor:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        raise OperationalError('connection to server at "db.internal" (10.0.0.7), port 5432 failed: Connection refused')


def test_a_failed_database_check_closes_the_connection(transactional_db, monkeypatch):
    """Outside a transaction (as in a real request) the broken connection is dropped, so the next use reconnects;
    inside one (a test's, here never a request's) it is left alone."""
    closed = []

    def check_with_a_broken_cursor():
        with monkeypatch.context() as patch:
            patch.setattr(connection, "cursor", lambda: BrokenCursor())
            patch.setattr(connection, "close", lambda: closed.append(True))
            return health.check_database()

    assert check_with_a_broken_cursor()["ok"] is False
    assert closed == [True]
    with transaction.atomic():
        assert check_with_a_broken_cursor()["ok"] is False
    assert closed == [True]
    assert health.check_database()["ok"] is True


def test_public_without_session_csrf_or_host_check(client, db, settings):
    """Anonymous, plain http to a host outside ALLOWED_HOSTS (Docker's probe), with production security on."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["qiancun.example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get(URL, HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200, response.content
    assert not response.cookies  # no session, no CSRF cookie
    # The exemption is for /healthz only: other pages still redirect to https, and still check the host.
    assert client.get("/accounts/login/", HTTP_HOST="qiancun.example.gov.cn").status_code == 301
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000", secure=True).status_code == 400


def test_post_is_refused_and_not_csrf_checked(client, db):
    csrf_client = client.__class__(enforce_csrf_checks=True)
    assert csrf_client.post(URL).status_code == 405
    assert csrf_client.head(URL).status_code == 200


def test_not_throttled(client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "2/min", "anon": "2/min"}}
    assert [client.get(URL).status_code for _ in range(5)] == [200] * 5


def test_broker_client_is_kept_per_process(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    health.check_broker()
    first = health._redis_client(settings.CELERY_BROKER_URL)
    health.check_broker()
    assert health._redis_client(settings.CELERY_BROKER_URL) is first
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/1"  # another URL: another client
    assert health._redis_client(settings.CELERY_BROKER_URL) is not first


# --- Eager tasks are a development convenience, never a healthy production server (issue 15, item 18) ----------

def test_eager_tasks_are_not_ok_in_production(client, db, settings):
    """No broker (memory://: tasks would run inside web requests) on a process started with DEBUG off: 503."""
    settings.DEVELOPMENT_MODE = False
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get(URL)
    assert response.status_code == 503, response.content
    body = _body(response)
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {"ok": False, "ms": 0.0, "mode": "eager", "error": "EagerTasksInProduction"}
    assert body["checks"]["database"]["ok"] is True


def test_explicitly_eager_tasks_are_not_ok_in_production_even_with_a_broker(client, db, settings):
    settings.DEVELOPMENT_MODE = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # never pinged: eager mode is the finding
    response = client.get(URL)
    assert response.status_code == 503
    assert _body(response)["checks"]["broker"]["error"] == "EagerTasksInProduction"


def test_eager_tasks_are_fine_in_development(client, db, settings):
    settings.DEVELOPMENT_MODE = True
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get(URL)
    assert response.status_code == 200
    assert _body(response)["checks"]["broker"] == {"ok": True, "ms": 0.0, "mode": "eager"}


HEALTHZ_IN_A_FRESH_PROCESS = (
    "import django, json; django.setup(); from django.test import Client; r = Client().get('/healthz'); "
    "print(r.status_code, json.dumps(json.loads(r.content)['checks']['broker']))"
)


def test_a_process_started_with_debug_off_and_eager_tasks_answers_503(tmp_path):
    """The same through real settings: DEBUG=0 with CELERY_TASK_ALWAYS_EAGER=1 starts, but is not healthy."""
    import os
    import subprocess
    import sys

    from tests.stack import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_", "DEBUG", "SECRET_KEY"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", SECRET_KEY="health-" + "k" * 60, ALLOWED_HOSTS="example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    result = subprocess.run([sys.executable, "-c", HEALTHZ_IN_A_FRESH_PROCESS], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    status, broker = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503" and json.loads(broker)["error"] == "EagerTasksInProduction", result.stdout
