"""`make backup` / `make restore` (the backup and restore commands): a round trip
through pg_dump and pg_restore gives back the same database, and the commands
refuse what they cannot do with a clear message."""
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core import backups
from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
CLEAN_PREFIXES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_", "BACKUP_DIR", "PG")
# Money columns whose totals must survive the round trip.
MONEY = {
    "funding_allocation": "amount",
    "funding_disbursement": "amount",
    "funding_fundingsource": "total_amount",
    "projects_project": "budget",
}


def _postgres_up() -> bool:
    import psycopg2

    try:
        psycopg2.connect(dbname="postgres", connect_timeout=2, **PG).close()
        return True
    except psycopg2.Error:
        return False


def _admin(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", **PG)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _manage(*args, database_url: str | None, stdin: str | None = None, timeout: int = 300):
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN_PREFIXES)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout
    )


def _snapshot(dbname: str) -> dict:
    """Row count and content digest of every table, money totals, sequences and triggers of a database."""
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(dbname=dbname, **PG)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
            tables = sorted(row[0] for row in cursor.fetchall())
            rows = {}
            for table in tables:
                cursor.execute(
                    sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t").format(
                        sql.Identifier(table)
                    )
                )
                rows[table] = cursor.fetchone()
            money = {}
            for table, column in MONEY.items():
                cursor.execute(sql.SQL("SELECT coalesce(sum({}), 0) FROM {}").format(sql.Identifier(column), sql.Identifier(table)))
                money[f"{table}.{column}"] = cursor.fetchone()[0]
            cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            sequences = dict(cursor.fetchall())
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            triggers = sorted(row[0] for row in cursor.fetchall())
    finally:
        connection.close()
    return {"rows": rows, "money": money, "sequences": sequences, "triggers": triggers}


def test_backup_then_restore_gives_back_the_same_database(tmp_path):
    need_service("PostgreSQL", _postgres_up(), "no PostgreSQL on 127.0.0.1:5432 (user postgres)")
    need_service("pg_dump and pg_restore", bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "PostgreSQL client tools")
    source, target = f"qiancun_backup_src_{os.getpid()}", f"qiancun_backup_dst_{os.getpid()}"
    source_url, target_url = (f"postgres://postgres@127.0.0.1:5432/{name}" for name in (source, target))
    try:
        for name in (source, target):
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _admin(f'CREATE DATABASE "{name}"')
        for step in (["migrate", "--noinput", "-v0"], ["import_divisions", "-v0"], ["seed_demo", "--county", "330523", "-v0"]):
            result = _manage(*step, database_url=source_url)
            assert result.returncode == 0, (step, result.stderr[-3000:])

        folder = tmp_path / "backups"
        result = _manage("backup", "--dir", str(folder), database_url=source_url)
        assert result.returncode == 0, result.stderr
        (dump,) = folder.iterdir()
        assert re.fullmatch(r"qiancun-\d{8}-\d{6}\.dump", dump.name), dump.name
        assert dump.read_bytes()[:5] == b"PGDMP"
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # password hashes and personal data: owner only
        assert str(dump) in result.stdout

        result = _manage("restore", str(dump), "--noinput", database_url=target_url)
        assert result.returncode == 0, result.stderr
        assert "Restored" in result.stdout

        before, after = _snapshot(source), _snapshot(target)
        assert before["rows"]["projects_project"][0] > 0 and before["rows"]["villages_village"][0] > 0
        assert all(total > 0 for total in before["money"].values()), before["money"]
        assert after["rows"].keys() == before["rows"].keys()
        differing = {table: (before["rows"][table], after["rows"][table]) for table in before["rows"]
                     if before["rows"][table] != after["rows"][table]}
        assert not differing, differing
        assert after["money"] == before["money"]
        assert after["sequences"] == before["sequences"]
        assert "core_auditentry_no_update" in after["triggers"] and after["triggers"] == before["triggers"]

        # Restoring again over a populated database replaces it (--clean --if-exists) in one transaction.
        result = _manage("restore", str(dump), "--noinput", database_url=target_url)
        assert result.returncode == 0, result.stderr
        assert _snapshot(target)["rows"] == before["rows"]
    finally:
        for name in (source, target):
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Refusals (no database server needed: they stop before connecting) -------------------------------------

NOWHERE = "postgres://postgres@127.0.0.1:5432/qiancun_backup_never_created"


def test_restore_refuses_a_missing_file():
    result = _manage("restore", "backups/qiancun-19700101-000000.dump", "--noinput", database_url=NOWHERE)
    assert result.returncode != 0
    assert "Backup file not found: backups/qiancun-19700101-000000.dump" in result.stderr
    assert "Traceback" not in result.stderr


def test_restore_refuses_a_file_that_is_not_a_dump(tmp_path):
    fake = tmp_path / "notes.dump"
    fake.write_text("SELECT 1;")
    result = _manage("restore", str(fake), "--noinput", database_url=NOWHERE)
    assert result.returncode != 0 and "is not a pg_dump custom-format archive" in result.stderr


def test_restore_requires_a_file():
    result = _manage("restore", "--noinput", database_url=NOWHERE)
    assert result.returncode != 0 and "required: file" in result.stderr


@pytest.mark.parametrize("command", [["backup"], ["restore", "x.dump", "--noinput"]])
def test_both_refuse_a_database_that_is_not_postgresql(command):
    result = _manage(*command, database_url="sqlite:////tmp/qiancun-not-postgres.sqlite3")
    assert result.returncode != 0
    assert "need PostgreSQL, but DATABASE_URL points to a sqlite3 database" in result.stderr


def test_restore_asks_before_replacing_the_database(tmp_path):
    need_service("pg_restore", bool(shutil.which("pg_restore")), "PostgreSQL client tools")
    archive = tmp_path / "qiancun-20250101-000000.dump"
    archive.write_bytes(b"PGDMP" + b"\0" * 64)
    result = _manage("restore", str(archive), database_url=NOWHERE, stdin="no\n")
    assert result.returncode != 0
    assert "Type 'yes' to continue" in result.stdout and "Restore cancelled; nothing was changed." in result.stderr


def test_make_restore_refuses_without_file_and_make_backup_passes_backup_dir():
    need_service("make", bool(shutil.which("make")), "GNU make")
    env = {k: v for k, v in os.environ.items() if k not in ("FILE", "BACKUP_DIR")}
    refused = subprocess.run(["make", "-n", "restore"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "FILE is not set" in refused.stderr
    restore = subprocess.run(["make", "-n", "restore", "FILE=backups/a.dump", "NOINPUT=1"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert 'manage.py restore "backups/a.dump" --noinput' in restore.stdout
    backup = subprocess.run(["make", "-n", "backup", "BACKUP_DIR=/srv/backups"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert 'manage.py backup --dir "/srv/backups"' in backup.stdout


# --- The password travels in the environment, never on the command line ----------------------------------

def test_password_and_tls_options_go_through_the_environment(monkeypatch, tmp_path):
    db = {
        "ENGINE": "django.db.backends.postgresql", "NAME": "qiancun", "USER": "qiancun", "PASSWORD": "s3cret-pw",
        "HOST": "db.internal", "PORT": 5433, "OPTIONS": {"sslmode": "verify-full", "connect_timeout": 5},
    }
    calls = []

    def fake_run(args, env, **kwargs):
        calls.append((args, env))
        Path(next(a for a in args if a.startswith("--file=")).split("=", 1)[1]).write_bytes(b"PGDMP")
        return subprocess.CompletedProcess(args, 0, stdout="", stderr="")

    monkeypatch.setattr(backups, "postgresql_settings", lambda alias: db)
    monkeypatch.setattr(backups, "find_tool", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr("core.management.commands.backup.subprocess.run", fake_run)
    call_command("backup", output=str(tmp_path / "x.dump"))
    ((args, env),) = calls
    assert not any("s3cret-pw" in arg for arg in args)
    assert {"--username=qiancun", "--host=db.internal", "--port=5433", "--dbname=qiancun", "--no-password",
            "--format=custom"} <= set(args)
    assert env["PGPASSWORD"] == "s3cret-pw" and env["PGSSLMODE"] == "verify-full" and env["PGCONNECT_TIMEOUT"] == "5"
    assert (tmp_path / "x.dump").exists() and not list(tmp_path.glob(".*partial"))


def test_a_failed_dump_leaves_no_file(monkeypatch, tmp_path):
    monkeypatch.setattr(backups, "postgresql_settings", lambda alias: {"ENGINE": "x", "NAME": "qiancun"})
    monkeypatch.setattr(backups, "find_tool", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        "core.management.commands.backup.subprocess.run",
        lambda args, **kwargs: subprocess.CompletedProcess(args, 1, stdout="", stderr="pg_dump: error: connection refused"),
    )
    with pytest.raises(CommandError, match="connection refused"):
        call_command("backup", directory=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
