"""python manage.py bench_nation: what the national data set costs (`make bench-nation`, README "The nation").

On a database that holds every province (import_divisions villages/data/nation, generate_programme --province all),
it prints the database's size and row counts, then times the dashboard page (in-process, the whole middleware stack)
as a superuser at county, city, province and national scope (/dashboard/nation/): p50, p95 and the query count.
Target: the national p95 at most twice the province's, the same queries at every scope below the nation (the nation
has no row of its own to read and no region above it: two fewer)."""
import json
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard.management.commands.bench_dashboard import _percentile
from projects.models import ProgressReport, Project
from villages.models import Region, Village


def largest_scopes(province: str) -> list[tuple[str, str]]:
    """The county of ``province`` with the most villages, and the city above it: the scopes measured below a
    province (the busiest, so the slowest)."""
    county = (
        Village.objects.filter(code__startswith=province).values("township__parent_id")
        .annotate(n=Count("code")).order_by("-n", "township__parent_id").values_list("township__parent_id", flat=True).first()
    )
    if county is None:
        raise CommandError(f"No village under {province}: run import_divisions first.")
    return [("county", county), ("city", county[:4]), ("province", province)]


class Command(BaseCommand):
    help = "Size of the national data set, and the dashboard page at county, city, province and national scope."

    def add_arguments(self, parser):
        parser.add_argument("--province", default="51", help="The province measured below the nation (default 51).")
        parser.add_argument("--requests", type=int, default=20)
        parser.add_argument("--output", default="bench-results/nation.json")

    def handle(self, *args, province, requests, output, **options):
        provinces = Region.objects.filter(level="province").count()
        if provinces < 2:
            raise CommandError("One province or none: this measures the national data set (make bench-nation).")
        user = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
            "bench_nation", password=None)
        size = self._size()
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(user)
        scopes = [*largest_scopes(province), ("nation", "")]
        rows = []
        for scope, code in scopes:
            url = reverse("dashboard:region", args=[code]) if code else reverse("dashboard:nation")
            for _ in range(3):
                assert client.get(url).status_code == 200
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            rows.append({"scope": scope, "code": code, "p50_ms": round(statistics.median(times), 1),
                         "p95_ms": round(_percentile(times, 0.95), 1), "queries": len(ctx.captured_queries)})
        self.stdout.write(f"Database {connection.settings_dict['NAME']}: {size['pretty']}; {provinces} provinces, "
                          f"{size['villages']:,} villages, {size['projects']:,} projects, {size['reports']:,} progress reports")
        self.stdout.write(f"The dashboard page, superuser, {requests} requests per scope:")
        self.stdout.write(f"{'scope':<10} {'code':<8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for r in rows:
            self.stdout.write(f"{r['scope']:<10} {r['code'] or '-':<8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['queries']:>8}")
        nation, top = rows[-1], rows[-2]
        checks = {
            "nation p95 <= 2 x province p95": nation["p95_ms"] <= 2 * top["p95_ms"],
            "same queries at every scope (the nation: two fewer)": len({r["queries"] for r in rows[:-1]}) == 1
            and nation["queries"] == top["queries"] - 2,
        }
        for name, ok in checks.items():
            self.stdout.write(("PASS " if ok else "FAIL ") + name)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps({"size": size, "rows": rows, "checks": checks}, indent=2))

    def _size(self) -> dict:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database()), pg_size_pretty(pg_database_size(current_database()))")
            size, pretty = cursor.fetchone()
        return {"bytes": size, "pretty": pretty, "villages": Village.objects.count(), "projects": Project.objects.count(),
                "reports": ProgressReport.objects.count()}
