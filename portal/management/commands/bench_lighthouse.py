"""python manage.py bench_lighthouse: Lighthouse's scores for the pages officials open most, on a phone (issue 18,
item 19).

The portal is served as in production: gunicorn with DEBUG off, the static files collected by whitenoise's
compressed manifest storage (hashed names, gzip and Brotli, cached for a year), on the database this command runs
against (`make bench`: the province-scale sample). Lighthouse 12.2.3 (npm, pinned in tools/lighthouse/package.json;
a benchmark tool, not a runtime dependency) drives Debian's Chromium in its default mobile mode: a Moto G Power
sized screen, a 4x slower CPU and a slow 4G network, simulated. Each page runs RUNS times as its user: the user's
session cookie is put into the browser's cookie jar first (Playwright over the DevTools protocol; Lighthouse keeps
cookies between runs), so that the page's own requests (the dashboard's JSON) carry it too, as a real browser's
would (Lighthouse's --extra-headers reach the document only). The median of each score is printed and written to
bench-results/lighthouse.json with the audits that cost points. PASS when every page reaches the goals
(performance 90, accessibility 95, best practices 95).

Pages: the township official's home, a village page, a project page and the progress form of the busiest
township; the county dashboard of the busiest county, as its county staff.
"""
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.test import Client

from core.management.serving import free_port, serve
from core.models import Role
from core.services import user_ensure_with_role
from projects.models import ProgressReport, Project, ProjectStatus

ATTEMPTS = 3
GOALS = {"performance": 90, "accessibility": 95, "best-practices": 95}
LIGHTHOUSE = Path(settings.BASE_DIR) / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")


class Command(BaseCommand):
    help = "Lighthouse (mobile) scores of the official's and county staff's main pages, served as in production."

    def add_arguments(self, parser):
        parser.add_argument("--province", default="33")
        parser.add_argument("--runs", type=int, default=3, help="runs per page; the median score is reported")
        parser.add_argument("--output", default="bench-results/lighthouse.json")
        parser.add_argument("--only", default="", help="measure only the pages whose name contains this text")

    def handle(self, *args, province, runs, output, only, **options):
        if not LIGHTHOUSE.exists():
            raise CommandError(f"{LIGHTHOUSE} is missing: npm ci --prefix tools/lighthouse (make bench does).")
        if not Path(CHROMIUM).exists():
            raise CommandError(f"{CHROMIUM} is missing (apt-get install chromium).")
        self.output = output
        pages = [page for page in self._pages(province) if only in page[0]]
        workdir = Path(tempfile.mkdtemp(prefix="qiancun-lighthouse-"))
        try:
            port = free_port()
            server = serve(workdir, port, who="bench_lighthouse", collect_static=True)
            browser, debugging = self._browser(workdir)
            try:
                rows = [self._measure(workdir, port, debugging, page, runs) for page in pages]
            finally:
                browser.terminate()
                server.terminate()
                browser.wait(timeout=30)
                server.wait(timeout=30)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self._report(rows, runs, output)

    # --- what and as whom -----------------------------------------------------------------------------------------

    def _pages(self, province):
        by_township = (Project.objects.filter(village__code__startswith=province, status=ProjectStatus.UNDER_CONSTRUCTION)
                       .values("village__township").annotate(n=Count("id")).order_by("-n", "village__township"))
        if not by_township:
            raise CommandError(f"No projects under construction in {province}: run generate_programme first (make bench does).")
        township = by_township[0]["village__township"]
        county = township[:6]
        project = (Project.objects.filter(village__township_id=township, status=ProjectStatus.UNDER_CONSTRUCTION)
                   .annotate(n=Count("progress_reports")).order_by("-n", "pk").first())
        if not ProgressReport.objects.filter(project=project).exists():
            self.stderr.write(f"note: project {project.pk} has no progress report")
        official = self._session("bench_lh_township", Role.TOWNSHIP_OFFICIAL, township)
        county_staff = self._session("bench_lh_county", Role.COUNTY_STAFF, county)
        return [
            ("official's home", "/", official),
            ("village page", f"/villages/{project.village_id}/", official),
            ("project page", f"/projects/{project.pk}/", official),
            ("progress form", f"/projects/{project.pk}/progress/new/", official),
            ("county dashboard", f"/dashboard/{county}/", county_staff),
        ]

    def _session(self, username, role, code) -> str:
        user = user_ensure_with_role(actor=None, username=username, role=role, region_code=code)[0]
        client = Client()
        client.force_login(user)  # a session row in this database, which the server below reads
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    # --- the browser and Lighthouse -----------------------------------------------------------------------------

    def _browser(self, workdir: Path):
        debugging = free_port()
        browser = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             f"--remote-debugging-port={debugging}", f"--user-data-dir={workdir / 'chromium'}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{debugging}/json/version", timeout=2).close()
                return browser, debugging
            except OSError:
                time.sleep(0.3)
        browser.terminate()
        raise CommandError(f"{CHROMIUM} did not open its debugging port in 30 s")

    def _log_in(self, debugging: int, port: int, cookie: str):
        from playwright.sync_api import sync_playwright  # the dev extra; make bench installs it

        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{debugging}")
            jar = browser.contexts[0]
            jar.clear_cookies()
            jar.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": f"http://127.0.0.1:{port}/"}])

    def _measure(self, workdir: Path, port: int, debugging: int, page, runs: int) -> dict:
        name, path, cookie = page
        self._log_in(debugging, port, cookie)
        scores = {category: [] for category in GOALS}
        failing = {}
        for run in range(runs):
            report = workdir / f"report-{run}.json"
            command = [str(LIGHTHOUSE), f"http://127.0.0.1:{port}{path}", "--quiet", "--output=json", f"--output-path={report}",
                       f"--only-categories={','.join(GOALS)}", f"--port={debugging}", "--disable-full-page-screenshot", "--locale=zh"]
            for attempt in range(1, ATTEMPTS + 1):
                # Lighthouse now and then loses a trace on a busy machine (NO_NAVSTART, NO_FCP): that run is taken again.
                done = subprocess.run(command, cwd=workdir, timeout=300, capture_output=True, text=True)
                if done.returncode == 0:
                    break
                self.stderr.write(f"{name}: Lighthouse failed (attempt {attempt} of {ATTEMPTS}): {done.stderr.strip()[-300:]}")
            else:
                raise CommandError(f"{name}: Lighthouse failed {ATTEMPTS} times")
            result = json.loads(report.read_text())
            kept = Path(self.output).with_suffix("") / f"{name.replace(' ', '-').replace(chr(39), '')}.json"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report, kept)  # the last run's whole report, for its details (open it in the Lighthouse viewer)
            final = result.get("finalDisplayedUrl") or result.get("finalUrl", "")
            if not final.endswith(path):
                raise CommandError(f"{name}: Lighthouse ended on {final}, not {path} (is the session cookie accepted?)")
            for category in GOALS:
                scores[category].append(round(result["categories"][category]["score"] * 100))
            for category in GOALS:
                for ref in result["categories"][category]["auditRefs"]:
                    audit = result["audits"][ref["id"]]
                    if ref["weight"] and audit["score"] is not None and audit["score"] < 0.9:
                        failing.setdefault(category, {})[ref["id"]] = audit.get("displayValue") or audit["title"]
            for item in result["audits"]["errors-in-console"].get("details", {}).get("items", []):
                failing.setdefault("console errors", {})[item.get("sourceLocation", {}).get("url", "")] = item.get("description", "")[:200]
            metrics = {key: result["audits"][key]["numericValue"] for key in
                       ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")}
        median = {category: statistics.median(values) for category, values in scores.items()}
        return {"page": name, "path": path, "scores": median, "runs": scores, "metrics_last_run": metrics,
                "below_90_audits": failing,
                "pass": all(median[category] >= goal for category, goal in GOALS.items())}

    def _report(self, rows, runs, output):
        self.stdout.write(f"Lighthouse 12.2.3, mobile (simulated slow 4G, 4x CPU), median of {runs} runs; "
                          f"goals: performance {GOALS['performance']}, accessibility {GOALS['accessibility']}, "
                          f"best practices {GOALS['best-practices']}")
        self.stdout.write(f"{'page':<18} {'perf':>5} {'a11y':>5} {'best':>5}  LCP ms  TBT ms   path")
        for row in rows:
            s, m = row["scores"], row["metrics_last_run"]
            self.stdout.write(f"{row['page']:<18} {s['performance']:>5} {s['accessibility']:>5} {s['best-practices']:>5} "
                              f"{m['largest-contentful-paint']:>7.0f} {m['total-blocking-time']:>6.0f}   {row['path']}")
            for category, audits in row["below_90_audits"].items():
                self.stdout.write(f"    {category}: " + "; ".join(f"{key} ({value})" for key, value in sorted(audits.items())))
        ok = all(row["pass"] for row in rows)
        self.stdout.write(("PASS" if ok else "FAIL") + f": {sum(row['pass'] for row in rows)} of {len(rows)} pages reach the goals")
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps({"goals": GOALS, "runs": runs, "pass": ok, "rows": rows}, indent=2, ensure_ascii=False))
