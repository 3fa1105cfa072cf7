"""python manage.py bench_imports: 10,000 project rows, checked (the dry run) and committed, with the time of each
and the peak memory (RSS) of the process that does both, as the Celery job does.

The file is an XLSX written by openpyxl (write-only) into a temporary folder by this process. A forked child does
the work, so its peak RSS (ru_maxrss) is that of a worker that imported one such file: it makes a township of 200
villages (codes 99…, its own region chain) and a township official, uploads the file, runs the dry run
(imports.services.run_check) and the commit (run_commit: 10,000 × projects.services.project_create, each with its
audit row), then rolls everything back. Any migrated database will do; `make bench` runs it on the bench database
(PostgreSQL).

Targets (issue 22): checked in ≤ 30 s, committed in ≤ 60 s, peak RSS ≤ 300 MB.
"""
import datetime
import json
import shutil
import tempfile
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from core.benchmarks import in_child

ROWS = 10_000
VILLAGES = 200
TARGETS = {"check_s": 30.0, "commit_s": 60.0, "peak_rss_mb": 300.0}


def _write_file(path: Path, rows: int) -> None:
    from django.utils import translation
    from openpyxl import Workbook

    from imports.kinds import kind_of

    with translation.override("zh-hans"):
        headers = [str(c.header) for c in kind_of("projects").columns]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("项目")
    sheet.append(headers)
    start = datetime.date(2026, 3, 1)
    for n in range(rows):
        sheet.append([f"990101001{200 + n % VILLAGES:03d}", f"BENCH-{n:05d}", f"村庄整治工程{n}", "污水治理", 100000 + n,
                      start, start + datetime.timedelta(days=200), 2, "李明", "", ""])
    book.save(path)


class Command(BaseCommand):
    help = "Time and peak memory of importing 10,000 project rows (dry run and commit)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=ROWS)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, rows, **options):
        folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
        try:
            path = folder / "projects.xlsx"
            started = time.perf_counter()
            _write_file(path, rows)
            written = time.perf_counter() - started
            result = in_child(lambda: _run(path, rows, folder), measure=True)
            result |= {"rows": rows, "file_mb": round(path.stat().st_size / 1048576, 2), "file_written_s": round(written, 1)}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        passed = all(result[key] <= limit for key, limit in TARGETS.items())
        if options["json"]:
            self.stdout.write(json.dumps(result | {"passed": passed}))
        else:
            self.stdout.write(f"imports: {rows:,} project rows ({result['file_mb']} MB XLSX, database {result['vendor']})")
            self.stdout.write(f"  checked (dry run): {result['check_s']:.1f} s (target ≤ {TARGETS['check_s']:.0f} s), "
                              f"{result['to_create']:,} to create, {result['errors']} errors")
            self.stdout.write(f"  committed:         {result['commit_s']:.1f} s (target ≤ {TARGETS['commit_s']:.0f} s), "
                              f"{result['created']:,} created, {result['audit_rows']:,} audit rows")
            self.stdout.write(f"  peak RSS:          {result['peak_rss_mb']:.0f} MB (target ≤ {TARGETS['peak_rss_mb']:.0f} MB)")
        if not passed:
            raise CommandError("the import benchmark missed a target (see above)")



class _Rollback(Exception):
    pass


def _run(path: Path, rows: int, folder: Path) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from core.models import AuditEntry, Role, RoleAssignment
    from imports import services
    from imports.models import ImportBatch, ImportStatus
    from villages.models import Region, RegionLevel, Village, VillageKind

    out = {}
    with override_settings(MEDIA_ROOT=str(folder / "media")):
        try:
            with transaction.atomic():
                parent = None
                for code, level in (("99", RegionLevel.PROVINCE), ("9901", RegionLevel.CITY), ("990101", RegionLevel.COUNTY),
                                    ("990101001", RegionLevel.TOWNSHIP)):
                    parent, _ = Region.objects.get_or_create(code=code, defaults={"name": f"测试{code}", "level": level, "parent": parent})
                Village.objects.bulk_create([
                    Village(code=f"990101001{200 + n:03d}", name=f"测试{n}村村委会", short_name=f"测试{n}村", township=parent,
                            kind=VillageKind.VILLAGE_COMMITTEE) for n in range(VILLAGES)], ignore_conflicts=True)
                user = get_user_model().objects.create_user("bench-importer", password=None)
                RoleAssignment.objects.create(user=user, role=Role.TOWNSHIP_OFFICIAL, region=parent)
                upload = SimpleUploadedFile("projects.xlsx", path.read_bytes())
                batch = services.import_upload(actor=user, kind="projects", region=parent, upload=upload)  # large: queued
                assert batch.status == ImportStatus.QUEUED, batch.status
                started = time.perf_counter()
                services.run_check(batch.pk)
                out["check_s"] = round(time.perf_counter() - started, 2)
                batch.refresh_from_db()
                out |= {"to_create": batch.to_create, "errors": batch.error_count}
                ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.COMMITTING)
                audit_before = AuditEntry.objects.count()
                started = time.perf_counter()
                services.run_commit(batch.pk)
                out["commit_s"] = round(time.perf_counter() - started, 2)
                batch.refresh_from_db()
                out |= {"created": batch.created, "status": batch.status, "audit_rows": AuditEntry.objects.count() - audit_before,
                        "vendor": connections["default"].vendor}
                if batch.status != ImportStatus.COMMITTED:
                    raise CommandError(f"the import ended {batch.status}: {batch.errors[:3]}")
                raise _Rollback
        except _Rollback:
            pass
    return out
