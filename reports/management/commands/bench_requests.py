"""python manage.py bench_requests: the database time of the most expensive requests a logged-in user can make, at
province scale (issue 15: no request should cost more than about 1 s of database time).

Every page and API list, as the users who see the most (a province supervisor, a province API client, the
superuser) and the users with the biggest areas below them (the county with most projects, its busiest township),
with the parameters that cost the most: the deepest page a list serves by number, the largest page size, every
ordering, searches, filters that match most rows, the cursor feed, detail pages of the busiest objects, the
dashboards, the map, the exports that stay inside a request, and the admin's lists. Each request runs through
Django's test client in-process; its database time is the sum of its queries' execution times (a wrapper around
every statement). Prints the worst 25 and writes bench-results/requests.json; PASS when every request stays at or
under LIMIT_MS of database time."""
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
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from assessment.models import Assessment, AssessmentScheme
from core.models import Role
from core.pagination import last_page_number
from core.services import user_ensure_with_role
from funding.models import Allocation, FundingSource
from projects.models import ProgressReport, Project

LIMIT_MS = 1000


class _Timer:
    def __init__(self):
        self.ms, self.queries = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000
            self.queries += 1


class Command(BaseCommand):
    help = "The database time of the most expensive requests a logged-in user can make (province scale)."

    def add_arguments(self, parser):
        parser.add_argument("--province", default="33")
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--output", default="bench-results/requests.json")
        parser.add_argument("--only", default="", help="run only the requests whose URL contains this text")

    def handle(self, *args, province, repeat, output, only, **options):
        if not Project.objects.filter(village__code__startswith=province).exists():
            raise CommandError(f"No projects in {province}: run generate_programme first (make bench does).")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        UserRateThrottle.THROTTLE_RATES = {**UserRateThrottle.THROTTLE_RATES, "user": "10000000/min"}
        AnonRateThrottle.THROTTLE_RATES = {**AnonRateThrottle.THROTTLE_RATES, "anon": "10000000/min"}
        places = self._places(province)
        clients = self._clients(province, places)
        cases = self._cases(province, places)
        rows = []
        for who, url in cases:
            if only and only not in url:
                continue
            client = clients[who]
            timings = []
            status = None
            for attempt in range(repeat + 1):
                timer = _Timer()
                started = time.perf_counter()
                with connection.execute_wrapper(timer):
                    response = client.get(url)
                    if getattr(response, "streaming", False):
                        b"".join(response.streaming_content)
                wall = (time.perf_counter() - started) * 1000
                status = response.status_code
                if attempt:  # the first run warms the caches
                    timings.append((timer.ms, wall, timer.queries))
            db = statistics.median(t[0] for t in timings)
            rows.append({"who": who, "url": url, "status": status, "db_ms": round(db, 1),
                         "wall_ms": round(statistics.median(t[1] for t in timings), 1), "queries": timings[-1][2]})
        rows.sort(key=lambda r: -r["db_ms"])
        self.stdout.write(f"{len(rows)} requests at province scale ({province}) on {connection.vendor}, median of {repeat}:")
        self.stdout.write(f"{'db ms':>8} {'wall ms':>8} {'queries':>7} {'status':>6}  who        url")
        for row in rows[:25]:
            self.stdout.write(f"{row['db_ms']:>8} {row['wall_ms']:>8} {row['queries']:>7} {row['status']:>6}  {row['who']:<10} {row['url']}")
        errors = [r for r in rows if r["status"] >= 500]
        over = [r for r in rows if r["db_ms"] > LIMIT_MS]
        ok = not over and not errors
        self.stdout.write(("PASS" if ok else "FAIL") + f": the worst request costs {rows[0]['db_ms']} ms of database time "
                          f"(limit {LIMIT_MS} ms); {len(over)} over the limit, {len(errors)} server errors")
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps({"vendor": connection.vendor, "limit_ms": LIMIT_MS, "pass": ok, "rows": rows},
                                           indent=2, ensure_ascii=False))

    # --- who and what ------------------------------------------------------------------------------------------

    def _places(self, province):
        busiest_county = (Project.objects.filter(village__code__startswith=province)
                          .values("village__township__parent").annotate(n=Count("id")).order_by("-n")[0]["village__township__parent"])
        busiest_township = (Project.objects.filter(village__code__startswith=busiest_county)
                            .values("village__township").annotate(n=Count("id")).order_by("-n")[0]["village__township"])
        village = (Project.objects.filter(village__code__startswith=province).values("village")
                   .annotate(n=Count("id")).order_by("-n")[0]["village"])
        project = (ProgressReport.objects.filter(project__village__code__startswith=province).values("project")
                   .annotate(n=Count("id")).order_by("-n")[0]["project"])
        source = (Allocation.objects.filter(source__region_id=busiest_county).values("source")
                  .annotate(n=Count("id")).order_by("-n")[0]["source"])
        allocation = Allocation.objects.filter(project__village__code__startswith=busiest_county).annotate(
            n=Count("disbursements")).order_by("-n").values_list("pk", flat=True)[0]
        scheme = AssessmentScheme.objects.filter(region_id=busiest_county).order_by("-year").first()
        assessment = Assessment.objects.filter(village__code__startswith=busiest_county).order_by("-pk").first()
        from maintenance.models import Inspection

        asset = (Inspection.objects.filter(asset__village__code__startswith=busiest_county).values("asset")
                 .annotate(n=Count("id")).order_by("-n").values_list("asset", flat=True).first())
        from planning.models import Plan

        plan = Plan.objects.filter(area_code=village).values_list("pk", flat=True).first()
        return {"county": busiest_county, "plan": plan, "township": busiest_township, "city": busiest_county[:4], "village": village,
                "asset": asset,
                "project": project, "source": source, "allocation": allocation, "scheme": scheme, "assessment": assessment,
                "province_source": FundingSource.objects.filter(region__code__startswith=province).order_by("-total_amount").first()}

    def _clients(self, province, places):
        def user(name, role, code):
            return user_ensure_with_role(actor=None, username=name, role=role, region_code=code)[0]

        made = {
            "province": user("bench_req_province", Role.SUPERVISOR, province),
            "county": user("bench_req_county", Role.COUNTY_STAFF, places["county"]),
            "township": user("bench_req_township", Role.TOWNSHIP_OFFICIAL, places["township"]),
        }
        admin, _created = get_user_model().objects.get_or_create(username="bench_req_admin", defaults={"is_superuser": True, "is_staff": True})
        made["admin"] = admin
        clients = {}
        for who, account in made.items():
            client = Client()
            client.force_login(account)
            clients[who] = client
        api = APIClient()
        api.force_authenticate(user("bench_req_api", Role.API_CLIENT, province))
        clients["api"] = api
        return clients

    def _cases(self, province, p):
        deep = last_page_number(50)
        deep_api = last_page_number(200)
        html_lists = ["/villages/", "/projects/", "/projects/progress/", "/funding/", "/funding/allocations/", "/funding/payments/",
                      "/assessment/", "/assessment/follow-ups/", "/reports/",
                      "/maintenance/", "/maintenance/inspections/", "/maintenance/faults/", "/maintenance/keepers/", "/funding/upkeep/",
                      "/plans/", "/plans/creation/"]
        cases = []
        for who in ("province", "admin", "county", "township"):
            cases += [(who, "/")]
            for url in html_lists:
                cases += [(who, url), (who, f"{url}?page={deep}")]
        for who in ("province", "admin"):
            cases += [
                (who, "/villages/?q=村"), (who, "/villages/?q=33"), (who, "/villages/?ordering=-updated"),
                (who, "/projects/?q=污水"), (who, "/projects/?q=33"), (who, "/projects/?overdue=true"),
                (who, f"/projects/?overdue=true&page={deep}"),
                (who, "/projects/?ordering=budget"), (who, f"/projects/?ordering=-budget&page={deep}"),
                (who, "/projects/?ordering=progress"), (who, "/projects/?ordering=planned_end"),
                (who, "/projects/?status=under_construction&type=sewage"),
                (who, "/projects/progress/?ordering=date"), (who, f"/projects/progress/?ordering=-id&page={deep}"),
                (who, f"/projects/progress/?region={p['city']}&page={deep}"),
                (who, "/projects/progress/?date_after=2020-01-01"),
                (who, "/funding/?q=资金"), (who, "/funding/allocations/?kind=county_budget"),
                (who, f"/funding/payments/?region={province}&page={deep}"),
                (who, f"/funding/figures/?region={province}"), (who, f"/funding/figures/?region={p['city']}"),
                (who, f"/dashboard/{province}/"), (who, f"/dashboard/{province}/map.json"), (who, f"/dashboard/{province}/export.xlsx"),
                (who, f"/dashboard/{p['city']}/"), (who, f"/dashboard/{p['county']}/"),
                (who, f"/dashboard/{province}/targets/"), (who, f"/dashboard/{p['county']}/targets/"),
                (who, f"/villages/{p['village']}/"), (who, f"/projects/{p['project']}/"),
                (who, f"/funding/sources/{p['source']}/"), (who, f"/funding/sources/{p['province_source'].pk}/"),
                (who, f"/funding/allocations/{p['allocation']}/"),
                (who, "/assessment/follow-ups/?status=open"),
                # 长效管护 (issue 19): the filters that match most rows, and the busiest asset's page.
                (who, "/maintenance/?no_keeper=true"), (who, "/maintenance/inspections/?overdue=true"),
                (who, "/maintenance/inspections/?status=done&kind=sewage_station"), (who, "/maintenance/faults/?overdue=true"),
                (who, f"/maintenance/faults/?overdue=true&page={deep}"), (who, "/maintenance/?q=污水"),
            ]
            if p["asset"]:
                cases += [(who, f"/maintenance/assets/{p['asset']}/")]
            # Plans and targets (issue 20): the targets of the province and the busiest county, the plan list's
            # widest filters, the busiest village's plan.
            cases += [(who, f"/plans/targets/?region={province}"), (who, f"/plans/targets/?region={p['county']}"),
                      (who, "/plans/?status=current&kind=construction"), (who, "/plans/?q=村"),
                      (who, f"/plans/creation/?county={p['county']}")]
            if p["plan"]:
                cases += [(who, f"/plans/{p['plan']}/")]
        if p["assessment"]:
            cases += [("county", f"/assessment/{p['assessment'].pk}/")]
        if p["scheme"]:
            cases += [("county", f"/assessment/rounds/{p['scheme'].pk}/{p['scheme'].year}/{p['county']}/")]
        cases += [("county", f"/dashboard/{p['county']}/map.json"), ("county", f"/funding/figures/?region={p['county']}"),
                  ("township", f"/dashboard/{p['township']}/")]
        api_lists = ["villages", "regions", "projects", "progress-reports", "funding-sources", "allocations", "disbursements",
                     "assessments", "reports", "assets", "inspections", "faults", "plans"]
        for name in api_lists:
            cases += [("api", f"/api/v1/{name}/?page_size=200"), ("api", f"/api/v1/{name}/?page_size=200&page={deep_api}"),
                      ("api", f"/api/v1/{name}/?page_size=200&cursor=")]
        cases += [
            ("api", "/api/v1/projects/?page_size=200&ordering=-budget"), ("api", "/api/v1/projects/?page_size=200&overdue=true"),
            ("api", "/api/v1/projects/?page_size=200&updated_since=2020-01-01T00:00:00Z&cursor="),
            ("api", "/api/v1/villages/?page_size=200&q=村"), ("api", f"/api/v1/regions/{province}/summary/"),
            ("api", f"/api/v1/villages/{p['village']}/status/"), ("api", f"/api/v1/projects/{p['project']}/"),
            ("api", "/api/v1/progress-reports/?page_size=200&ordering=-date"),
            ("api", f"/api/v1/targets/?region={province}"), ("api", f"/api/v1/targets/?region={p['county']}"),
            ("api", f"/api/v1/targets/?region={p['township']}"),
        ]
        for model in ("projects/project", "projects/progressreport", "funding/allocation", "funding/disbursement",
                      "villages/village", "assessment/assessment", "core/auditentry", "maintenance/asset",
                      "maintenance/inspection", "maintenance/fault", "planning/plan", "planning/planitem",
                      "planning/plancitation", "planning/target"):
            cases += [("admin", f"/admin/{model}/"), ("admin", f"/admin/{model}/?p={deep}")]
        cases += [("admin", f"/admin/projects/project/?q={p['village']}"), ("admin", "/admin/projects/progressreport/?q=污水")]
        return cases
