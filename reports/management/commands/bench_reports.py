"""python manage.py bench_reports: generate province-scale reports and report their time, rows per second and
peak memory (RSS) of the process that generated each one.

Each report runs through the same service as the Celery task (reports.services.report_run) in a forked
child process, so its peak RSS (from wait4's rusage) is that of a worker process generating that report:
Django loaded, a warm-up report of one county (see WARMUP_REGION), then the measured report. Meant for
PostgreSQL at scale (`make bench` prepares that database).
Targets (issue 17): the province's progress workbook in at most 15 s, its roster (CSV or XLSX) in at most 10 s
(median of the runs), every report at most 200 MB peak RSS. Reports are background jobs: no rows/s target.
"""
import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone, translation

from reports.models import NATION, ReportJob, ReportKind
from reports.services import report_run
from villages.models import Region

CASES = [
    # (kind, format, period), over the region given on the command line (default the province).
    (ReportKind.PROGRESS, "xlsx", "month"),
    (ReportKind.ROSTER, "csv", ""),
    (ReportKind.ROSTER, "xlsx", ""),
    (ReportKind.FUNDING, "xlsx", ""),
    (ReportKind.RANKING, "xlsx", "latest"),
    (ReportKind.PROGRESS, "pdf", "month"),
    (ReportKind.LEDGER, "xlsx", ""),  # the ledger pages' export (issue 15: 117 s inside a request before)
    (ReportKind.MAINTENANCE, "xlsx", "year"),  # 长效管护 (issue 19): every asset of the province with its keeper
    (ReportKind.TARGETS, "xlsx", "year"),  # 规划目标 (issue 20): the province's targets, actuals and its cities'
    (ReportKind.TARGETS, "pdf", "year"),
]
# Seconds targets (median); the other reports have the RSS target only.
TARGETS = {"progress.xlsx": 15, "roster.csv": 10, "roster.xlsx": 10}
# A worker process serves report after report over one database connection: before the measured report the
# child generates the same kind for one county, so that the measurement is of a report, not of a new process
# and a new database session (PostgreSQL's catalogue caches, Python's imports).
WARMUP_REGION = "330523"
RSS_LIMIT_MB = 200


class Command(BaseCommand):
    help = "Benchmark report generation at province scale (rows/s and peak RSS per report)."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="33", help="A region's code, or 'nation' (the roster only).")
        parser.add_argument("--repeat", type=int, default=3, help="runs per report; the best and the median are shown")
        parser.add_argument("--output", default="bench-results/reports.json")
        parser.add_argument("--only", default="", help="comma-separated reports to run, e.g. roster.csv,progress.xlsx")

    def handle(self, *args, region, repeat, output, only, **options):
        place = None if region == NATION else Region.objects.filter(code=region).first()
        if place is None and region != NATION:
            raise CommandError(f"No region {region}: run import_divisions and generate_programme first.")
        if region == NATION and not only.startswith("roster"):
            raise CommandError("--region nation: the roster only (--only roster.csv,roster.xlsx).")
        from reports.selectors import latest_ranking_period

        user, _created = get_user_model().objects.get_or_create(username="bench_reports")
        # What a worker process has loaded once and keeps (not a per-report cost): the translation catalogues
        # and the content types the audit rows refer to. The forked children start from here.
        with translation.override(settings.LANGUAGE_CODE):
            translation.gettext("Summary")
        ContentType.objects.get_for_model(ReportJob)
        period_of = {"month": timezone.localdate().strftime("%Y-%m"), "latest": (latest_ranking_period(place.code) or "") if place else "", "": "",
                     "year": str(timezone.localdate().year)}
        results = []
        load = os.getloadavg()
        self.stdout.write(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores (a busy machine "
                          "stretches the seconds, not the CPU seconds)")
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        for kind, fmt, period in CASES:
            if wanted and f"{kind}.{fmt}" not in wanted:
                continue
            runs = []
            for _ in range(repeat):
                job = ReportJob.objects.create(kind=kind, format=fmt, region=place, period=period_of[period], requester=user,
                                               language=settings.LANGUAGE_CODE)
                warmup = ReportJob.objects.create(kind=kind, format=fmt, region_id=WARMUP_REGION, period=period_of[period],
                                                  requester=user, language=settings.LANGUAGE_CODE)
                seconds, cpu, rss_kb = self._run_in_child(job.pk, warmup.pk)
                warmup.refresh_from_db()
                if warmup.file.name:
                    (Path(settings.MEDIA_ROOT) / warmup.file.name).unlink(missing_ok=True)
                ReportJob.objects.filter(pk=warmup.pk).delete()
                job.refresh_from_db()
                if job.status != "succeeded":
                    raise CommandError(f"{kind}/{fmt} failed: {job.error}")
                runs.append({"seconds": seconds, "cpu": cpu, "rows": job.rows, "bytes": job.size, "rss_mb": rss_kb / 1024})
                (Path(settings.MEDIA_ROOT) / job.file.name).unlink(missing_ok=True)
                ReportJob.objects.filter(pk=job.pk).delete()
            best = min(runs, key=lambda r: r["seconds"])
            median = sorted(r["seconds"] for r in runs)[len(runs) // 2]
            row = {
                "report": f"{kind}.{fmt}", "region": region, "rows": best["rows"], "bytes": best["bytes"],
                "best_s": round(best["seconds"], 3), "median_s": round(median, 3),
                "median_cpu_s": round(sorted(r["cpu"] for r in runs)[len(runs) // 2], 3),
                "rows_per_s_best": round(best["rows"] / best["seconds"]), "rows_per_s_median": round(best["rows"] / median),
                "peak_rss_mb": round(max(r["rss_mb"] for r in runs), 1),
            }
            target = TARGETS.get(f"{kind}.{fmt}")
            row["target_s"] = target
            row["meets_target"] = (target is None or row["median_s"] <= target) and row["peak_rss_mb"] <= RSS_LIMIT_MB
            results.append(row)
            self.stdout.write(
                f"{row['report']:<16} {row['rows']:>8,} rows  {row['bytes'] / 1e6:6.1f} MB  best {row['best_s']:6.2f} s  "
                f"median {row['median_s']:6.2f} s (CPU {row['median_cpu_s']:5.2f} s)  {row['rows_per_s_median']:>9,} rows/s (median)  peak RSS {row['peak_rss_mb']:6.1f} MB"
                f"  {f'target ≤ {target} s, ' if target else ''}RSS ≤ {RSS_LIMIT_MB} MB: "
                f"{'PASS' if row['meets_target'] else 'FAIL'}"
            )
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps({"measured_at": timezone.now().isoformat(), "load_average": load, "results": results}, indent=2))
        self.stdout.write(f"written {output}")

    def _run_in_child(self, job_id: int, warmup_id: int) -> tuple[float, float, int]:
        """(seconds, CPU seconds of the worker process, peak RSS in kB) of the measured report. The CPU seconds
        leave out the database's work and time spent waiting for a core on a busy machine."""
        connections.close_all()  # the child opens its own connection
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: generate, report the time, leave without running the parent's cleanup
            code = 1
            try:
                os.close(read_end)
                report_run(job_id=warmup_id, task_id="bench-warmup")
                started, cpu = time.perf_counter(), time.process_time()
                report_run(job_id=job_id, task_id="bench")
                os.write(write_end, f"{time.perf_counter() - started:.6f} {time.process_time() - cpu:.6f}".encode())
                code = 0
            finally:
                connections.close_all()
                os._exit(code)
        os.close(write_end)
        _pid, status, usage = os.wait4(pid, 0)
        elapsed = os.read(read_end, 64).decode().split()
        os.close(read_end)
        if status != 0 or not elapsed:
            raise CommandError(f"the child generating job {job_id} exited with status {status}")
        return float(elapsed[0]), float(elapsed[1]), usage.ru_maxrss  # kilobytes on Linux
