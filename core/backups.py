"""What the `backup` and `restore` commands share: running pg_dump / pg_restore
against a database of ``settings.DATABASES`` (that is, of DATABASE_URL).

Connection parameters go to the tools the way Django's ``dbshell`` passes them
to psql: host, port and user as arguments, the password and TLS options
through libpq's environment variables (PGPASSWORD, PGSSLMODE...), so the
password never appears on a command line (``ps`` shows those to every user).
"""
from __future__ import annotations

import os
import shutil

from django.conf import settings
from django.core.management.base import CommandError

# libpq environment variable for each OPTIONS key of a PostgreSQL database setting.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
ARCHIVE_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format archive


def postgresql_settings(alias: str) -> dict:
    """The settings of database ``alias``; CommandError unless it is PostgreSQL."""
    try:
        db = settings.DATABASES[alias]
    except KeyError:
        raise CommandError(f"No database {alias!r} in settings.DATABASES.") from None
    if db["ENGINE"] != "django.db.backends.postgresql":
        engine = db["ENGINE"].rsplit(".", 1)[-1]
        raise CommandError(
            f"backup and restore need PostgreSQL, but DATABASE_URL points to a {engine} database ({db.get('NAME')}). "
            "Set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME."
        )
    return db


def describe(db: dict) -> str:
    """'NAME on HOST:PORT', for messages (never the password)."""
    return f"{db.get('NAME') or '(default)'} on {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"


def connection_arguments(db: dict) -> list[str]:
    args = []
    if db.get("USER"):
        args.append(f"--username={db['USER']}")
    if db.get("HOST"):
        args.append(f"--host={db['HOST']}")
    if db.get("PORT"):
        args.append(f"--port={db['PORT']}")
    if db.get("NAME"):
        args.append(f"--dbname={db['NAME']}")
    # Fail instead of waiting for a password prompt nobody will answer.
    args.append("--no-password")
    return args


def environment(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for option, variable in LIBPQ_OPTIONS.items():
        value = (db.get("OPTIONS") or {}).get(option)
        if value not in (None, ""):
            env[variable] = str(value)
    return env


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise CommandError(
            f"{name} not found on PATH: install the PostgreSQL client tools (Debian/Ubuntu: apt-get install "
            f"postgresql-client), of the server's major version or newer."
        )
    return path
