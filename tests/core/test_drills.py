"""Failure drills on real services, each on a throwaway server of its own started by the test (the
machine's PostgreSQL and Redis are never stopped):

- Redis down: pages and API reads still answer 200; a report request answers within 3 s saying it will
  run when the queue is back; the job is kept and runs once Redis returns (beat's sweeper sends it).
- PostgreSQL restarted under load: requests during the restart get a clean 503 (no stack trace), and
  the next request after it succeeds (persistent connections are health-checked).
"""
import json
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection

from core.models import Role
from reports.models import ReportJob
from tests.conftest import need_service
from tests.factories import user_with
from tests.stack import Browser, Processes, ThrowawayPostgres, ThrowawayRedis, port_open, wait_until

PASSWORD = "correct-horse-battery-staple"
PAGES = ["/", "/villages/", "/projects/", "/dashboard/330523/", "/funding/", "/reports/"]
API_READS = ["/api/v1/ping/", "/api/v1/villages/?region=330523", "/api/v1/projects/?region=330523", "/api/v1/regions/330523/summary/"]


def _test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def redis_drill(transactional_db, tmp_path):
    need_service("PostgreSQL", connection.vendor == "postgresql", "the app's processes must share the test database")
    need_service("redis-server", ThrowawayRedis.available(), "apt-get install redis-server")
    call_command("import_divisions", verbosity=0)
    call_command("seed_demo", county="330523", verbosity=0)
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user = user_with("drill_county", (Role.COUNTY_STAFF, "330523"))
    # The web process checks passwords with the production hashers (tests use a fast one).
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save()
    redis = ThrowawayRedis(tmp_path).start()
    apps = Processes(tmp_path, {
        "DATABASE_URL": _test_database_url(), "DEBUG": "1", "CELERY_BROKER_URL": redis.url(0), "CACHE_URL": redis.url(1),
        "REPORTS_SWEEP_SECONDS": "2", "REPORTS_DISPATCH_GRACE_SECONDS": "1",
    })
    try:
        yield redis, apps
    finally:
        apps.stop()
        if redis.process.poll() is None:
            redis.kill()


def test_redis_down_reads_answer_reports_wait_and_run_when_it_returns(redis_drill):
    redis, apps = redis_drill
    apps.web(workers=2)
    apps.worker()
    apps.beat()
    browser = Browser(apps.url("")).login("drill_county", PASSWORD)
    assert json.loads(browser.request("GET", "/healthz")[1])["status"] == "ok"

    redis.kill()
    started = time.monotonic()
    for path in PAGES + API_READS:
        status, body, _h = browser.request("GET", path)
        assert status == 200, (path, status, body[:300])
    reads = time.monotonic() - started
    status, body, _h = browser.request("GET", "/healthz")
    assert status == 503 and "broker" in json.loads(body)["checks"] and not json.loads(body)["checks"]["broker"]["ok"]

    # A report over the API: answered at once, kept, and said so.
    started = time.monotonic()
    status, body, _h = browser.request("POST", "/api/v1/reports/", json_body={"kind": "roster", "region": "330523"})
    api_seconds = time.monotonic() - started
    answer = json.loads(body)
    assert status == 202 and api_seconds < 3, (status, api_seconds, body)
    assert answer["status"] == "queued" and answer["queued"] is False and "队列恢复后将自动生成" in answer["message"]
    # And from the page.
    started = time.monotonic()
    status, page, _h = browser.post_form("/reports/new/", {"kind": "progress", "region": "330523", "format": "xlsx", "period": ""})
    page_seconds = time.monotonic() - started
    assert status == 200 and page_seconds < 3 and "队列恢复后将自动生成" in page, (status, page_seconds)
    kept = list(ReportJob.objects.order_by("pk").values_list("status", "dispatched_at"))
    assert kept == [("queued", None), ("queued", None)]

    # Redis is back: beat's sweeper sends both jobs, the worker (which kept reconnecting) runs them.
    redis.start()
    wait_until(lambda: set(ReportJob.objects.values_list("status", flat=True)) == {"succeeded"}, 90,
               f"the kept jobs to run after Redis returned\n{apps.logs()}")
    assert ReportJob.objects.filter(attempts=1).count() == 2
    status, body, _h = browser.request("GET", "/healthz")
    assert status == 200, body
    _artifact("drill-redis.txt", (
        f"Redis killed: {len(PAGES)} pages and {len(API_READS)} API reads answered 200 in {reads:.2f} s in all; "
        f"/healthz 503 naming the broker; report request answered 202 in {api_seconds:.2f} s (API) and "
        f"{page_seconds:.2f} s (page) with the waiting message; both jobs kept (queued, not dispatched). "
        "Redis restarted: both jobs sent by the sweeper and generated once each (attempts 1).\n"
    ))


def _artifact(name: str, text: str) -> None:
    from tests.stack import ROOT

    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)


@pytest.fixture
def postgres_drill(tmp_path):
    server = ThrowawayPostgres(tmp_path)
    need_service("a PostgreSQL server binary (initdb, pg_ctl) and runuser", server.available(), "apt-get install postgresql")
    need_service("Redis", port_open(6379), "no Redis on 127.0.0.1:6379")
    server.start()
    apps = Processes(tmp_path, {
        "DATABASE_URL": server.url(), "DEBUG": "0", "SECRET_KEY": "drill-" + "x" * 60, "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "BEHIND_HTTPS_PROXY": "0",
        "STATIC_ROOT": str(tmp_path / "static"), "CELERY_BROKER_URL": "redis://127.0.0.1:6379/10", "CONN_MAX_AGE": "60",
        "DATABASE_CONNECT_TIMEOUT": "2", "LOG_FORMAT": "json",
    })
    try:
        apps.manage("migrate", "--noinput", "-v0")
        apps.manage("import_divisions", "-v0")
        apps.manage("seed_demo", "--county", "330523", "--force", "-v0")  # DEBUG=0: a production-like server
        apps.manage("grant_role", "drill_county", "county_staff", "330523", "--password", PASSWORD)
        apps.manage("collectstatic", "--noinput", "-v0")
        yield server, apps
    finally:
        apps.stop()
        server.stop()


def test_postgres_restart_under_load_fails_cleanly_then_recovers(postgres_drill):
    server, apps = postgres_drill
    apps.web(workers=2, threads=4)
    browser = Browser(apps.url("")).login("drill_county", PASSWORD)
    for path in ("/villages/", "/api/v1/villages/?region=330523"):
        assert browser.request("GET", path)[0] == 200

    answers: list[tuple[float, str, int, str, dict]] = []
    stop = threading.Event()

    def load(path):
        while not stop.is_set():
            status, body, headers = browser.request("GET", path, timeout=30)
            answers.append((time.monotonic(), path, status, body, headers))

    threads = [threading.Thread(target=load, args=(path,)) for path in ("/villages/", "/api/v1/villages/?region=330523",
                                                                        "/projects/", "/api/v1/ping/")]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    restart_started = time.monotonic()
    server.pg_ctl("restart", "-m", "fast")
    restart_done = time.monotonic()
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(60)

    statuses = {status for _t, _p, status, _b, _h in answers}
    assert statuses <= {200, 503}, [(p, s, b[:300]) for _t, p, s, b, _h in answers if s not in (200, 503)]
    failed = [(p, b, h) for _t, p, s, b, h in answers if s == 503]
    for path, body, headers in failed:
        assert "Traceback" not in body and "File \"" not in body and "OperationalError" not in body, body[:500]
        assert headers.get("Retry-After")
        if path.startswith("/api/"):
            assert json.loads(body)["code"] == "service_unavailable"
        else:
            assert "数据库" in body or "database" in body.lower()
    # The first requests after the restart succeed: stale connections are health-checked and replaced.
    after = [browser.request("GET", path)[0] for path in ("/villages/", "/api/v1/villages/?region=330523") * 4]
    assert after == [200] * 8
    during = [s for t, _p, s, _b, _h in answers if restart_started <= t <= restart_done + 0.5]
    _artifact("drill-postgres.txt", (
        f"PostgreSQL restarted (pg_ctl restart -m fast, {restart_done - restart_started:.2f} s) under 4 threads of load: "
        f"{len(answers)} requests, statuses {sorted(statuses)}; "
        f"{len(failed)} answered 503 (clean page / JSON, Retry-After, no stack trace), "
        f"{len(during)} answered while it restarted; the 8 requests right after all 200.\n"
    ))
