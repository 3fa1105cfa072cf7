"""Shared pytest fixtures and the rule that, in CI, a missing service fails.

Tests that need PostgreSQL, Redis, a Celery worker or Chromium call
``need_service(name, available, why)``. Locally that skips when the service
is missing; with QIANCUN_REQUIRE_SERVICES=1 (set by .ci/run) it fails, so CI
can never go green by skipping.
"""
import os
import shutil

import pytest
from django.db import connection

REQUIRE_SERVICES = os.environ.get("QIANCUN_REQUIRE_SERVICES") == "1"


def need_service(name: str, available: bool, why: str = "") -> None:
    if available:
        return
    message = f"needs {name}{': ' + why if why else ''}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (QIANCUN_REQUIRE_SERVICES=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def postgres(db):
    """Use in tests that only make sense on PostgreSQL (row locks, COPY, window functions at scale)."""
    need_service("PostgreSQL", connection.vendor == "postgresql", "DATABASE_URL is not a PostgreSQL URL")
    return connection


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 costs most of a second per hash; tests don't need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager_celery():
    """Run tasks in-process for this test, whatever broker the environment configures
    (CI points CELERY_BROKER_URL at Redis; these tests check what the task does, not the broker)."""
    from config.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture(autouse=True)
def _reads_on_the_primary(settings):
    """Every read on the primary, even when DATABASE_REPLICA_URL names a standby (CI): a test's rows are not
    committed, or not replayed yet, and the replica alias mirrors default's test database. tests/core/test_replica.py
    turns the replica on (REPLICA_READS) for its own tests."""
    settings.REPLICA_READS = False


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and other cached state do not leak from one test to the next."""
    from django.core.cache import cache

    cache.clear()


# Mutation testing (`make mutate`, tools/mutate.py): mutmut runs the tests of every mutant in a fresh pytest
# session of its own, forked from one that has imported everything. Creating and migrating the test database
# costs about 4 s a session, more than most mutants' tests; so tools/mutate.py migrates one SQLite template
# (QIANCUN_MUTATION_DB) and each session works on its own copy of it (with --reuse-db), deleted at its end.
MUTATION_TEMPLATE = os.environ.get("QIANCUN_MUTATION_DB")
if MUTATION_TEMPLATE:

    @pytest.fixture(scope="session")
    def django_db_modify_db_settings():
        from django.conf import settings

        copy = f"{MUTATION_TEMPLATE}.{os.getpid()}"
        shutil.copyfile(MUTATION_TEMPLATE, copy)
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = copy
        yield
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(copy + suffix):
                os.remove(copy + suffix)


# A township official of 天荒坪镇 and county staff of 安吉县, and 余村: the people and the place of the lifecycle,
# to-do and offered-action tests (tests/projects, tests/portal). A test module may define its own instead.
@pytest.fixture
def people(db):
    from core.models import Role
    from tests.factories import user_with

    return {
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
    }


@pytest.fixture
def village(db):
    from tests.factories import VillageFactory

    return VillageFactory(code="330523108204", name="余村村委会")
