"""python manage.py backup [--dir DIR | --output FILE]

Dumps the PostgreSQL database of DATABASE_URL with ``pg_dump --format=custom``
into ``DIR/qiancun-YYYYmmdd-HHMMSS.dump`` (DIR: --dir, else $BACKUP_DIR, else
``backups``). Restore it with ``python manage.py restore FILE``.
"""
import os
import subprocess
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from core import backups


class Command(BaseCommand):
    help = (
        "Dump the PostgreSQL database of DATABASE_URL with pg_dump (custom format) into "
        "DIR/qiancun-YYYYmmdd-HHMMSS.dump. Restore it with the restore command."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", dest="directory", default=os.environ.get("BACKUP_DIR") or "backups",
            help="folder of the backup files (default: $BACKUP_DIR, else ./backups); created if missing",
        )
        parser.add_argument("--output", metavar="FILE", help="write exactly this file instead (it must not exist)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")

    def handle(self, *args, directory, output, database, **options):
        db = backups.postgresql_settings(database)
        pg_dump = backups.find_tool("pg_dump")
        target = Path(output) if output else Path(directory) / f"qiancun-{timezone.localtime():%Y%m%d-%H%M%S}.dump"
        if target.exists():
            raise CommandError(f"{target} already exists; a backup never overwrites another.")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed when complete, so a file with the final name is always a
        # whole dump. Readable by its owner only: it holds password hashes and personal data.
        partial = target.with_name(f".{target.name}.partial")
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        started = time.monotonic()
        try:
            result = subprocess.run(
                [pg_dump, "--format=custom", f"--file={partial}", *backups.connection_arguments(db)],
                env=backups.environment(db), capture_output=True, text=True,
            )
            if result.returncode != 0:
                raise CommandError(
                    f"pg_dump of {backups.describe(db)} failed (exit {result.returncode}); no backup was written.\n"
                    f"{result.stderr.strip()}"
                )
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        if result.stderr.strip():
            self.stderr.write(result.stderr.strip())
        size = target.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {backups.describe(db)} to {target} ({size / 1_048_576:.1f} MB) in {time.monotonic() - started:.1f} s."
            )
        )
