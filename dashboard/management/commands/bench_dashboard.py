"""python manage.py bench_dashboard: server time of the dashboard at township, county, city and
province scope (p50, p95 over N requests, in-process through the whole middleware stack), its query
count, and the raw SQL time of its own queries replayed on their own. Meant for PostgreSQL at scale
(`make bench` prepares that database)."""
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

from core.models import Role
from core.services import user_ensure_with_role
from villages.models import Region, Village

SCOPES = [("township", "330523108"), ("county", "330523"), ("city", "3305"), ("province", "33")]


def _scopes_of(province: str) -> list[tuple[str, str]]:
    from dashboard.management.commands.bench_nation import largest_scopes

    county, city, whole = largest_scopes(province)
    township = (
        Village.objects.filter(code__startswith=county[1]).values("township_id").annotate(n=Count("code"))
        .order_by("-n", "township_id").values_list("township_id", flat=True).first()
    )
    return [("township", township), county, city, whole]


def _percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Command(BaseCommand):
    help = "Benchmark the dashboard at four scopes (server time p50/p95, queries, raw SQL time)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=40)
        parser.add_argument("--warmup", type=int, default=5)
        parser.add_argument("--output", default="bench-results/dashboard.json")
        parser.add_argument("--province", default="33",
                            help="33 (default): 安吉县's township, county and city; another province: its county with the "
                                 "most villages, that county's largest township, and its city (the national data set).")

    def handle(self, *args, requests, warmup, output, province="33", **options):
        self.scopes = SCOPES if province == "33" else _scopes_of(province)
        missing = [code for _s, code in self.scopes if not Region.objects.filter(code=code).exists()]
        if missing:
            raise CommandError(f"Regions {missing} are missing: run import_divisions and generate_programme first.")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        user, *_ = user_ensure_with_role(actor=None, username="bench_supervisor", role=Role.SUPERVISOR, region_code=province)
        client = Client()
        client.force_login(get_user_model().objects.get(pk=user.pk))
        pages = {
            "dashboard": self._measure(client, "dashboard:region", {}, requests, warmup),
            # The plan-against-actual panel, which the dashboard's script asks for once the page is shown.
            "targets panel": self._measure(client, "dashboard:targets", {"X-Requested-With": "fetch"}, requests, warmup),
        }
        vendor = connection.vendor
        checks = {}
        for page, rows in pages.items():
            self.stdout.write(f"The {page} on {vendor} ({connection.settings_dict['NAME']}), {requests} requests per scope:")
            self.stdout.write(f"{'scope':<10} {'code':<10} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'raw SQL ms':>11}")
            for r in rows:
                self.stdout.write(f"{r['scope']:<10} {r['code']:<10} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['queries']:>8} {r['raw_sql_ms']:>11}")
            county, province = rows[1], rows[3]
            checks.update({
                f"{page}: province p50 <= 2 x county p50": province["p50_ms"] <= 2 * county["p50_ms"],
                f"{page}: province p95 < 100 ms": province["p95_ms"] < 100,
                f"{page}: same queries at every scope": len({r["queries"] for r in rows}) == 1,
            })
        for name, ok in checks.items():
            self.stdout.write(("PASS " if ok else "FAIL ") + name)
        rows = pages["dashboard"]
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps({"vendor": vendor, "rows": rows, "panel_rows": pages["targets panel"], "checks": checks}, indent=2))

    def _measure(self, client, view, headers, requests, warmup) -> list[dict]:
        rows = []
        for scope, code in self.scopes:
            url = reverse(view, args=[code])
            for _ in range(warmup):
                assert client.get(url, headers=headers).status_code == 200
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(url, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                client.get(url, headers=headers)
            queries = [q["sql"] for q in ctx.captured_queries]
            sql_times = []
            with connection.cursor() as cursor:
                for _ in range(10):
                    started = time.perf_counter()
                    for sql in queries:
                        cursor.execute(sql)
                        if cursor.description:
                            cursor.fetchall()
                    sql_times.append((time.perf_counter() - started) * 1000)
            rows.append({
                "scope": scope, "code": code, "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(_percentile(times, 0.95), 1), "queries": len(queries),
                "raw_sql_ms": round(statistics.median(sql_times), 1), "requests": requests,
            })
        return rows
