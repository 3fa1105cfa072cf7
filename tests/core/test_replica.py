"""Reads on a replica (issue 24, item 3; core/replica.py).

The first tests check the router's and the middleware's decisions on any database (the replica's health is faked).
The tests marked ``standby`` run against a real hot standby (DATABASE_REPLICA_URL; .ci/standby starts one on port
5433): they look at which connection ran the queries. They skip without a standby and fail in CI
(QIANCUN_REQUIRE_SERVICES=1). With TEST MIRROR, the replica alias reads the same test database as default, on the
standby's server: rows a test commits on the primary reach it by streaming replication, so those tests commit
(transaction=True) and wait for the standby to replay.
"""
from __future__ import annotations

import fcntl
import logging
import socket
import time

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core import replica
from core.models import Role
from tests.conftest import need_service
from tests.factories import ProjectFactory, VillageFactory, api_token, user_with

COUNTY = "330523"
DASHBOARD = reverse("dashboard:region", args=[COUNTY])
PROJECTS_API = "/api/v1/projects/"
TOKEN_API = "/api/v1/auth/token/"


# --- Decisions (no standby needed) ------------------------------------------------------------------

@pytest.fixture
def fake_replica(db, settings, monkeypatch):
    """The router believes a healthy replica is configured; every read still runs on default, and the router's
    answers are recorded."""
    settings.REPLICA_READS = True
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "usable", lambda: True)
    answers = []
    decide = replica.ReplicaRouter.db_for_read

    def recording(self, model, **hints):
        answer = decide(self, model, **hints)
        answers.append((model._meta.label, answer))
        return replica.PRIMARY

    monkeypatch.setattr(replica.ReplicaRouter, "db_for_read", recording)
    return answers


def _to_replica(answers) -> set[str]:
    return {label for label, alias in answers if alias == replica.REPLICA}


def test_without_a_replica_everything_reads_and_writes_the_primary(db):
    assert "replica" not in settings.DATABASES or not replica.configured()
    router = replica.ReplicaRouter()
    from villages.models import Region

    with replica.replica_reads():
        assert router.db_for_read(Region) == "default"
        assert router.db_for_write(Region) == "default"
    assert router.allow_migrate("default", "villages") is True
    assert router.allow_migrate("replica", "villages") is False


def test_the_router_reads_the_replica_only_inside_a_marked_scope(db, settings, monkeypatch):
    settings.REPLICA_READS = True
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "usable", lambda: True)
    router = replica.ReplicaRouter()
    from django.contrib.sessions.models import Session

    from villages.models import Region

    assert router.db_for_read(Region) == "default"  # no scope: a command, a task
    with replica.request_scope():
        assert router.db_for_read(Region) == "default"  # a request, unmarked
    with replica.replica_reads(sticky_writes=True) as scope:
        assert router.db_for_read(Region) == "replica"
        assert router.db_for_read(Session) == "default"  # sessions, tokens, login records: the primary
        with transaction.atomic():
            assert router.db_for_read(Region) == "default"  # inside a transaction on the primary
        assert router.db_for_write(Region) == "default"
        assert scope.wrote
        assert router.db_for_read(Region) == "default"  # read-your-writes within the scope
    with replica.replica_reads() as scope:  # a task: its progress writes do not move its reads
        router.db_for_write(Region)
        assert router.db_for_read(Region) == "replica"
    monkeypatch.setattr(replica, "usable", lambda: False)
    with replica.replica_reads():
        assert router.db_for_read(Region) == "default"  # lagging or down


def test_dashboard_and_api_reads_are_marked_writes_and_other_pages_are_not(fake_replica, settings):
    user = user_with("anji", (Role.COUNTY_STAFF, COUNTY))
    other = user_with("deqing", (Role.COUNTY_STAFF, COUNTY))
    ProjectFactory(village=VillageFactory())
    token, other_token = api_token(user), api_token(other)
    client = Client()
    client.force_login(user)

    assert client.get(DASHBOARD).status_code == 200
    assert _to_replica(fake_replica), "the dashboard's reads were not routed to the replica"
    assert "sessions.Session" not in _to_replica(fake_replica)
    fake_replica.clear()

    api = APIClient()
    assert api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert "projects.Project" in _to_replica(fake_replica)
    assert "knox.AuthToken" not in _to_replica(fake_replica)
    fake_replica.clear()

    assert client.get("/projects/").status_code == 200  # a page not marked
    assert client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert not _to_replica(fake_replica)

    # A write (DELETE revokes the token it is sent with) pins its user: their next reads are on the primary...
    second = api_token(user)
    assert api.delete(TOKEN_API, HTTP_AUTHORIZATION=f"Token {token}").status_code in (200, 204)
    assert not _to_replica(fake_replica)
    assert api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {second}").status_code == 200
    assert client.get(DASHBOARD).status_code == 200
    assert not _to_replica(fake_replica)
    # ... another user's are not ...
    assert api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {other_token}").status_code == 200
    assert "projects.Project" in _to_replica(fake_replica)
    fake_replica.clear()
    # ... and once the pin expires, theirs go to the replica again.
    from django.core.cache import cache

    cache.delete(replica._pin_key(user.pk))
    assert api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {second}").status_code == 200
    assert "projects.Project" in _to_replica(fake_replica)
    fake_replica.clear()

    # A session user's POST pins them too.
    client.post("/i18n/setlang/", {"language": "zh-hans"})
    assert client.get(DASHBOARD).status_code == 200
    assert not _to_replica(fake_replica)


def test_the_pin_lasts_replica_pin_seconds(settings, monkeypatch):
    settings.REPLICA_PIN_SECONDS = 10
    now = [1000.0]
    monkeypatch.setattr(replica.time, "time", lambda: now[0])
    replica.pin(7)
    assert replica.pinned(7) and not replica.pinned(8)
    now[0] += 10.5
    assert not replica.pinned(7)


def test_the_health_check_is_cached_and_logged_once_per_change(settings, monkeypatch, caplog):
    settings.REPLICA_READS = True
    settings.REPLICA_CHECK_SECONDS = 0
    monkeypatch.setattr(replica, "configured", lambda: True)
    results = iter([(True, "lag 0.0 s", 0.0), (True, "lag 0.1 s", 0.1), (False, "unreachable: refused", None),
                    (False, "unreachable: refused", None), (True, "lag 0.0 s", 0.0)])
    monkeypatch.setattr(replica, "probe", lambda: next(results))
    monkeypatch.setattr(replica, "_health", replica._Health())  # nothing logged yet in this process
    with caplog.at_level(logging.INFO, logger="core.replica"):
        assert [replica.usable() for _ in range(5)] == [True, True, False, False, True]
    messages = [record.getMessage() for record in caplog.records if record.name == "core.replica"]
    assert len(messages) == 3, messages  # up (first check), down, up again
    assert "unreachable" in messages[1]
    settings.REPLICA_CHECK_SECONDS = 60
    monkeypatch.setattr(replica, "probe", lambda: pytest.fail("checked again within REPLICA_CHECK_SECONDS"))
    assert replica.usable() is True
    replica.reset()


# --- A real hot standby -----------------------------------------------------------------------------

def _standby_reachable() -> bool:
    if "replica" not in settings.DATABASES or connection.vendor != "postgresql":
        return False
    ok, reason, _lag = replica.probe()
    return ok or "lagging" in reason


@pytest.fixture
def standby(settings):
    need_service("PostgreSQL standby", _standby_reachable(),
                 "DATABASE_REPLICA_URL naming a reachable hot standby of DATABASE_URL's server (.ci/standby start)")
    settings.REPLICA_READS = True
    settings.REPLICA_CHECK_SECONDS = 0
    replica.reset()
    # One test at a time across pytest-xdist workers: they share the standby, and one of them pauses its replay.
    with open("/tmp/qiancun-replica-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield connections["replica"]
        finally:
            with connections["replica"].cursor() as cursor:
                cursor.execute("SELECT pg_wal_replay_resume()")
            replica.reset()
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replayed(timeout: float = 20.0) -> None:
    """Waits until the standby has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0", [lsn])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"the standby did not replay up to {lsn} within {timeout} s")
        time.sleep(0.05)


def _tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


def _run(call):
    """Runs ``call`` and returns (response, queries on default, queries on the replica)."""
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections["replica"]) as standby:
        response = call()
    return response, primary.captured_queries, standby.captured_queries


def _world():
    user = user_with("anji", (Role.COUNTY_STAFF, COUNTY))
    other = user_with("deqing", (Role.COUNTY_STAFF, COUNTY))
    ProjectFactory(village=VillageFactory())
    return user, other


# Without a replica alias there is nothing to allow: the standby fixture then skips (fails in CI).
_standby_django_db = pytest.mark.django_db(transaction=True, databases=["default", "replica"] if "replica" in settings.DATABASES else ["default"])


def standby_db(test):
    """A test against the real standby: it commits, and is marked ``standby`` so that CI runs these tests on their own,
    after the suite (.ci/run): beside the suite's bulk writes on two processes, the standby's replay lag is the
    suite's, not the test's."""
    return pytest.mark.standby(_standby_django_db(test))


@standby_db
def test_dashboard_and_api_lists_read_the_standby_writes_and_other_pages_the_primary(standby):
    user, _other = _world()
    token, second = api_token(user), api_token(user)
    client = Client()
    client.force_login(user)
    _replayed()

    response, primary, standby_queries = _run(lambda: client.get(DASHBOARD))
    assert response.status_code == 200
    assert "villages_region" in _tables(standby_queries), "the dashboard did not read the standby"
    assert "django_session" in _tables(primary) and "django_session" not in _tables(standby_queries)

    api = APIClient()
    response, primary, standby_queries = _run(lambda: api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {token}"))
    assert response.status_code == 200 and response.json()["count"] == 1
    assert "projects_project" in _tables(standby_queries)
    assert "projects_project" not in _tables(primary)
    assert "knox_authtoken" in _tables(primary)  # the token lookup: the primary

    response, primary, standby_queries = _run(lambda: client.get("/projects/"))  # not marked
    assert response.status_code == 200
    assert not standby_queries and "projects_project" in _tables(primary)

    response, primary, standby_queries = _run(lambda: api.delete(TOKEN_API, HTTP_AUTHORIZATION=f"Token {token}"))
    assert response.status_code in (200, 204)
    assert not standby_queries and "DELETE" in _tables(primary)
    del second


@standby_db
def test_a_user_reads_the_primary_after_their_write_until_the_pin_expires(standby, settings):
    settings.REPLICA_PIN_SECONDS = 2
    user, other = _world()
    token, second, other_token = api_token(user), api_token(user), api_token(other)
    api = APIClient()
    _replayed()

    response, _primary, standby_queries = _run(lambda: api.delete(TOKEN_API, HTTP_AUTHORIZATION=f"Token {token}"))
    assert response.status_code in (200, 204) and not standby_queries

    response, primary, standby_queries = _run(lambda: api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {second}"))
    assert response.status_code == 200
    assert not standby_queries and "projects_project" in _tables(primary)

    response, primary, standby_queries = _run(lambda: api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {other_token}"))
    assert response.status_code == 200
    assert "projects_project" in _tables(standby_queries)

    time.sleep(2.2)
    response, primary, standby_queries = _run(lambda: api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {second}"))
    assert response.status_code == 200
    assert "projects_project" in _tables(standby_queries) and "projects_project" not in _tables(primary)


@standby_db
def test_a_lagging_standby_is_not_read_until_it_catches_up(standby, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    user, _other = _world()
    client = Client()
    client.force_login(user)
    _replayed()
    _response, _primary, standby_queries = _run(lambda: client.get(DASHBOARD))
    assert standby_queries

    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    ProjectFactory(village=VillageFactory())  # committed on the primary, not replayed
    time.sleep(1.5)
    ok, reason, lag = replica.probe()
    assert not ok and "lagging" in reason and lag > 1
    response, primary, standby_queries = _run(lambda: client.get(DASHBOARD))
    assert response.status_code == 200
    assert not standby_queries and "villages_region" in _tables(primary)

    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    _replayed()
    response, _primary, standby_queries = _run(lambda: client.get(DASHBOARD))
    assert response.status_code == 200 and "villages_region" in _tables(standby_queries)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@standby_db
def test_an_unreachable_standby_means_the_primary_without_an_error(standby, caplog):
    user, _other = _world()
    token = api_token(user)
    client, api = Client(), APIClient()
    client.force_login(user)
    _replayed()

    port = standby.settings_dict["PORT"]
    standby.close()
    standby.settings_dict["PORT"] = _closed_port()
    try:
        with caplog.at_level(logging.WARNING, logger="core.replica"), CaptureQueriesContext(connections["default"]) as primary:
            assert client.get(DASHBOARD).status_code == 200
            assert api.get(PROJECTS_API, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
        assert "villages_region" in _tables(primary.captured_queries)
        assert "projects_project" in _tables(primary.captured_queries)
        assert [record.getMessage() for record in caplog.records if "unreachable" in record.getMessage()]
        assert standby.connection is None  # nothing tried to read through the replica alias
    finally:
        standby.close()
        standby.settings_dict["PORT"] = port

    replica.reset()
    response, _primary, standby_queries = _run(lambda: client.get(DASHBOARD))
    assert response.status_code == 200 and "villages_region" in _tables(standby_queries)
