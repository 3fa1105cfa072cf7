"""python manage.py restore FILE [--noinput]

Replaces the contents of the PostgreSQL database of DATABASE_URL with a dump
made by the backup command (pg_dump custom format), with
``pg_restore --clean --if-exists --no-owner --single-transaction``: all or
nothing, and objects are owned by the user of DATABASE_URL. Stop the web,
worker and beat processes first (``docker compose stop web worker beat``):
their open connections would hold locks on the tables being replaced.
"""
import subprocess
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core import backups


class Command(BaseCommand):
    help = (
        "Replace the contents of the PostgreSQL database of DATABASE_URL with a backup file made by the backup "
        "command (pg_restore --clean --if-exists --no-owner --single-transaction)."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .dump file written by the backup command")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help="do not ask for confirmation",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")

    def handle(self, *args, file, interactive, database, **options):
        db = backups.postgresql_settings(database)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Backup file not found: {path}")
        with path.open("rb") as archive:
            if archive.read(len(backups.ARCHIVE_MAGIC)) != backups.ARCHIVE_MAGIC:
                raise CommandError(f"{path} is not a pg_dump custom-format archive (made by the backup command).")
        pg_restore = backups.find_tool("pg_restore")
        if interactive:
            answer = input(
                f"This replaces everything in database {backups.describe(db)} with the contents of {path}.\n"
                "Type 'yes' to continue, or anything else to cancel: "
            )
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        # This process's own connection (if any) must not hold locks on the tables being replaced.
        connections[database].close()
        started = time.monotonic()
        result = subprocess.run(
            [
                pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                *backups.connection_arguments(db), str(path),
            ],
            env=backups.environment(db), capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise CommandError(
                f"pg_restore into {backups.describe(db)} failed (exit {result.returncode}); it ran in a single "
                f"transaction, so the database was left as it was.\n{result.stderr.strip()}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Restored {path} into {backups.describe(db)} in {time.monotonic() - started:.1f} s.")
        )
