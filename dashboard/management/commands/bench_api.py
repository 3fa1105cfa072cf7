"""python manage.py bench_api: throughput of the village list (a page of 50) beside a bare DRF
endpoint (/api/v1/ping/), in the same run, token-authenticated, in-process. Target: the village list
reaches at least 12 % of the bare endpoint's throughput."""
import json
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from rest_framework.throttling import UserRateThrottle

from core.models import Role
from core.services import token_issue, tokens_revoke_all, user_ensure_with_role


class Command(BaseCommand):
    help = "Benchmark the village list API (page of 50) against a bare endpoint."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=300)
        parser.add_argument("--output", default="bench-results/api.json")
        parser.add_argument("--region", default="33", help="The area of the API client and of the list (default 33).")

    def handle(self, *args, requests, output, region="33", **options):
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        UserRateThrottle.THROTTLE_RATES = {**UserRateThrottle.THROTTLE_RATES, "user": "1000000/min"}
        user, *_ = user_ensure_with_role(actor=None, username="bench_platform", role=Role.API_CLIENT, region_code=region)
        tokens_revoke_all(actor=None, user=user, reason="bench_api run")  # earlier runs' tokens (a per-user limit)
        token, _row = token_issue(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        endpoints = {"ping": "/api/v1/ping/", "villages (50)": f"/api/v1/villages/?page_size=50&region={region}"}
        rows = {}
        for name, url in endpoints.items():
            for _ in range(20):
                assert client.get(url).status_code == 200
            connection.force_debug_cursor = True
            connection.queries_log.clear()
            body = client.get(url)
            queries = len(connection.queries_log)
            connection.force_debug_cursor = False
            assert name == "ping" or len(body.json()["results"]) == 50
            times = []
            started = time.perf_counter()
            for _ in range(requests):
                t = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            elapsed = time.perf_counter() - started
            rows[name] = {"rps": round(requests / elapsed, 1), "p50_ms": round(statistics.median(times), 2),
                          "queries": queries}
        ratio = rows["villages (50)"]["rps"] / rows["ping"]["rps"]
        self.stdout.write(f"API on {connection.vendor}, {requests} sequential requests each:")
        self.stdout.write(f"{'endpoint':<15} {'req/s':>8} {'p50 ms':>8} {'queries':>8}")
        for name, r in rows.items():
            self.stdout.write(f"{name:<15} {r['rps']:>8} {r['p50_ms']:>8} {r['queries']:>8}")
        ok = ratio >= 0.12
        self.stdout.write(("PASS" if ok else "FAIL") + f" village list at {ratio:.1%} of the bare endpoint's throughput (target 12 %)")
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps({"vendor": connection.vendor, "rows": rows, "ratio": ratio, "pass": ok}, indent=2))
