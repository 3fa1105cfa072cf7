"""The portal's least-privilege database role (issue 15, item 19).

The audit table's trigger refuses UPDATE and DELETE, but the role the portal ran as owned the tables: it could
TRUNCATE core_auditentry or disable the trigger. Now the owner role runs migrations, and the portal connects as an
app role granted by `manage.py grant_app_role ROLE` (run by the owner after every migrate): DML on the tables, only
SELECT and INSERT on the audit table, no ownership (so no ALTER TABLE ... DISABLE TRIGGER, no TRUNCATE, no DROP).
"""
import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from core.models import AuditEntry, Role
from tests.conftest import need_service
from tests.factories import ProjectFactory, VillageFactory, region, user_with

ROOT = Path(__file__).resolve().parents[2]
AUDIT = AuditEntry._meta.db_table


def _connect(role: str, dbname: str):
    import psycopg2

    db = connection.settings_dict
    conn = psycopg2.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=role, dbname=dbname,
                            connect_timeout=5)
    conn.autocommit = True
    return conn


def _superuser():
    return _connect(connection.settings_dict["USER"] or "postgres", "postgres")


def _admin(sql: str, *params):
    conn = _superuser()
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params or None)
    finally:
        conn.close()


def _drop_role(role: str, dbname: str):
    """DROP OWNED BY in the database it was granted on (also revokes its database privileges), then DROP ROLE."""
    conn = _connect(connection.settings_dict["USER"] or "postgres", dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
    finally:
        conn.close()
    _admin(f'DROP ROLE IF EXISTS "{role}"')


def _refused(cursor, statement: str, params=None) -> str:
    """Run a statement that must fail for lack of privilege; return the error code."""
    import psycopg2

    with pytest.raises(psycopg2.Error) as caught:
        cursor.execute(statement, params)
    # 42501 insufficient_privilege ("permission denied", "must be owner of table ...")
    assert caught.value.pgcode == "42501", (statement, caught.value.pgcode, str(caught.value))
    return caught.value.pgcode


def assert_least_privilege(conn):
    """What the app role may and may not do, on a database migrated by its owner."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT id FROM django_content_type ORDER BY id LIMIT 1")
        content_type = cursor.fetchone()[0]
        # The audit table: INSERT and SELECT, nothing else.
        cursor.execute(
            f"INSERT INTO {AUDIT} (at, action, content_type_id, object_id, object_repr, changes, note) "
            "VALUES (now(), 'create', %s, '1', 'probe', '{}', 'least-privilege test') RETURNING id",
            [content_type],
        )
        row = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {AUDIT} WHERE id = %s", [row])
        assert cursor.fetchone()[0] == 1
        _refused(cursor, f"UPDATE {AUDIT} SET note = 'rewritten' WHERE id = %s", [row])
        _refused(cursor, f"DELETE FROM {AUDIT} WHERE id = %s", [row])
        _refused(cursor, f"TRUNCATE {AUDIT}")
        _refused(cursor, f"ALTER TABLE {AUDIT} DISABLE TRIGGER ALL")
        _refused(cursor, f"ALTER TABLE {AUDIT} DISABLE TRIGGER core_auditentry_no_update")
        _refused(cursor, f"DROP TABLE {AUDIT}")
        _refused(cursor, "DROP FUNCTION core_auditentry_append_only()")
        _refused(cursor, "SET session_replication_role = replica")  # would silence every trigger
        _refused(cursor, "CREATE TABLE probe (id int)")  # no objects of its own in the schema
        _refused(cursor, "TRUNCATE django_session")  # TRUNCATE is the owner's everywhere
        _refused(cursor, "INSERT INTO django_migrations (app, name, applied) VALUES ('core', 'probe', now())")
        cursor.execute("SELECT count(*) FROM django_migrations")
        # Ordinary tables: read and write.
        cursor.execute("INSERT INTO django_session (session_key, session_data, expire_date) VALUES ('probe', 'x', now())")
        cursor.execute("UPDATE django_session SET session_data = 'y' WHERE session_key = 'probe'")
        cursor.execute("DELETE FROM django_session WHERE session_key = 'probe'")
        assert cursor.rowcount == 1
        cursor.execute(f"SELECT count(*) FROM {AUDIT} WHERE id = %s", [row])
        assert cursor.fetchone()[0] == 1  # the audit row is still there


@pytest.fixture
def app_role(postgres, transactional_db):
    """A uniquely named LOGIN role (trust authentication on 127.0.0.1), dropped with everything granted to it."""
    role = f"qiancun_app_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE ROLE "{role}" LOGIN')
    try:
        yield role
    finally:
        _drop_role(role, connection.settings_dict["NAME"])


def test_app_role_cannot_touch_the_audit_trail(app_role):
    call_command("grant_app_role", app_role, verbosity=0)
    call_command("grant_app_role", app_role, verbosity=0)  # idempotent: run after every migrate
    conn = _connect(app_role, connection.settings_dict["NAME"])
    try:
        assert_least_privilege(conn)
    finally:
        conn.close()


def test_grant_covers_tables_created_after_it(app_role):
    """ALTER DEFAULT PRIVILEGES: a table a later migration creates (by the same owner) is writable at once."""
    call_command("grant_app_role", app_role, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE later_table (id int)")
    try:
        conn = _connect(app_role, connection.settings_dict["NAME"])
        try:
            with conn.cursor() as cursor:
                cursor.execute("INSERT INTO later_table VALUES (1)")
                cursor.execute("DELETE FROM later_table")
        finally:
            conn.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_table")


@contextmanager
def _as_role(role: str):
    """The default Django connection, reconnected as ``role`` (what web, worker and beat do in production)."""
    original = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = original


def test_the_portal_works_as_the_app_role(app_role, settings, tmp_path):
    """A service write with its audit row, a report written by COPY, a dashboard rebuild (its ANALYZE is the
    owner's: a warning, not an error) and pg_dump (make backup), all as the app role; the audit trail stays
    append-only through the ORM too."""
    from dashboard.stats import rebuild
    from reports.models import ReportJob
    from reports.services import report_request, report_run

    call_command("grant_app_role", app_role, verbosity=0)
    village = VillageFactory(code="330523108204")
    ProjectFactory(village=village)
    region("330523")
    county = user_with("county_anji_role", (Role.COUNTY_STAFF, "330523"))
    audit_rows = AuditEntry.objects.count()
    with _as_role(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        from core.services import user_ensure_with_role

        user_ensure_with_role(actor=county, username="new_official", role=Role.TOWNSHIP_OFFICIAL, region_code="330523108",
                              password="correct-horse-battery-staple")
        assert AuditEntry.objects.count() > audit_rows
        job = report_request(actor=county, kind="roster", region_code="330523", format="csv")
        report_run(job_id=job.pk)
        assert ReportJob.objects.get(pk=job.pk).status == "succeeded"
        with transaction.atomic():
            assert rebuild("330523") == 1
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic():
                AuditEntry.objects.all().delete()
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic():
                AuditEntry.objects.update(note="rewritten")
    pg_dump = shutil.which("pg_dump")
    need_service("pg_dump", pg_dump is not None, "apt-get install postgresql-client")
    db = connection.settings_dict
    dump = subprocess.run([pg_dump, "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", app_role,
                           "--format=custom", "-f", str(tmp_path / "backup.dump"), db["NAME"]],
                          capture_output=True, text=True, timeout=120)
    assert dump.returncode == 0, dump.stderr
    assert (tmp_path / "backup.dump").stat().st_size > 10_000


def test_grant_refuses_what_it_cannot_do(postgres):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_app_role", "no_such_role_" + uuid.uuid4().hex[:8], verbosity=0)
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", connection.settings_dict["USER"] or "postgres", verbosity=0)


def test_grant_refuses_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")  # whatever this run's database is
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("grant_app_role", "qiancun_app", verbosity=0)


# --- The shipped setup, end to end: roles.sql as the superuser, migrate and grant as the owner ---------------


def test_roles_sql_then_migrate_as_owner_then_the_app_role_is_least_privileged(postgres, tmp_path):
    """What the compose stack does: deploy/postgres/roles.sql creates the owner, the app role and the database;
    the one-shot `migrate` service runs migrate and grant_app_role as the owner; web connects as the app role."""
    psql = shutil.which("psql")
    need_service("psql", psql is not None, "apt-get install postgresql-client")
    suffix = uuid.uuid4().hex[:8]
    owner, app, dbname = f"qiancun_owner_{suffix}", f"qiancun_app_{suffix}", f"qiancun_roles_{suffix}"
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", str(db["PORT"] or 5432)
    # The very script the postgres container runs on its first start, with this test's names and files.
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "db_owner_password").write_text(f"owner-{suffix}\n")
    (secrets / "db_app_password").write_text(f"app-{suffix}\n")
    initdb = (ROOT / "deploy/postgres/initdb.sh").read_text()
    script = initdb.split("<<'SQL'\n", 1)[1].split("\nSQL\n", 1)[0]
    assert "\\i /qiancun/roles.sql" in script and "/run/secrets/db_app_password" in script
    script = (script.replace("/run/secrets/", f"{secrets}/").replace("/qiancun/roles.sql", str(ROOT / "deploy/postgres/roles.sql"))
              .replace("owner qiancun_owner", f"owner {owner}").replace("app qiancun_app", f"app {app}")
              .replace("db qiancun\n", f"db {dbname}\n"))
    try:
        for _ in range(2):  # idempotent: a second run changes nothing and does not fail
            run = subprocess.run([psql, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", db["USER"] or "postgres",
                                  "-d", "postgres"], input=script, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stdout + run.stderr
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_"))}
        env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1",
                   DATABASE_URL=f"postgres://{owner}@{host}:{port}/{dbname}")
        for command in (["migrate", "--noinput", "-v0"], ["grant_app_role", app]):
            result = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
                                    text=True, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr
        itself = subprocess.run([sys.executable, "manage.py", "grant_app_role", owner], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert itself.returncode != 0 and "the role this command runs as" in itself.stderr, itself.stderr
        check = _connect(db["USER"] or "postgres", "postgres")
        try:
            with check.cursor() as cursor:
                cursor.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname IN (%s, %s)", [owner, app])
                assert cursor.fetchall() == [(False, False, False)] * 2
                cursor.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [dbname])
                assert cursor.fetchone()[0] == owner
                cursor.execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (%s, %s)", [owner, app])
                assert all(password and password.startswith("SCRAM-SHA-256$") for _name, password in cursor.fetchall())
        finally:
            check.close()
        conn = _connect(app, dbname)
        try:
            assert_least_privilege(conn)
            with conn.cursor() as cursor:
                cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s", [AUDIT])
                assert cursor.fetchone()[0] == owner
        finally:
            conn.close()
    finally:
        try:
            _admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        finally:
            for role in (app, owner):
                _admin(f'DROP ROLE IF EXISTS "{role}"')
