"""Dashboards: every figure against an independent computation, the summary tables against a fresh
recomputation after random writes, and the same queries at every scope and size."""
import datetime
import io
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import Assessment, FollowUp
from core.exceptions import DomainError
from core.models import Role
from dashboard import selectors, stats
from dashboard.models import (
    ASSET_KINDS,
    KINDS,
    STATUSES,
    TYPES,
    AreaOutput,
    AreaSums,
    CountyMonth,
    CountyStats,
    TownshipMonth,
    TownshipStats,
    VillageStats,
)
from funding import services as funding_services
from funding.models import GOVERNMENT_KINDS, Allocation, Disbursement, SourceKind
from maintenance import services as maintenance_services
from maintenance.models import Fault
from planning import services as planning_services
from projects import services as project_services
from projects.models import ProgressReport, Project, ProjectStatus, ProjectTransition, ProjectType
from tests.factories import (
    AllocationFactory,
    AssessmentSchemeFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)
from tests.images import upload
from villages.models import Region, Village

D = Decimal
S = ProjectStatus
TODAY = datetime.date.today()


def test_summary_columns_cover_every_choice():
    names = {f.name for f in VillageStats._meta.get_fields()}
    assert {f"status_{s}" for s in ProjectStatus.values} <= names
    assert {f"type_{t}" for t in ProjectType.values} <= names
    assert {f"allocated_{k}" for k in SourceKind.values} <= names
    assert (STATUSES, TYPES, KINDS) == (list(ProjectStatus.values), list(ProjectType.values), list(SourceKind.values))
    from villages.models import VillageCategory

    assert {f"category_{c}" for c in VillageCategory.values} <= {f.name for f in TownshipStats._meta.get_fields()}


def _fixture(rng: random.Random, villages_per_township=3):
    """Two counties, two townships each, villages with projects of every kind, money, reports, assessments."""
    townships = ["330523108", "330523001", "330522001", "330522002", "320481101"]  # and one of 江苏省 (the nation's)
    villages = []
    for t in townships:
        for i in range(villages_per_township):
            villages.append(VillageFactory(
                township_code=t, code=f"{t}{200 + i:03d}", category=rng.choice(["renovation", "demonstration", "boutique"]),
                latitude=D("30.5") if i % 2 else None, longitude=D("119.6") if i % 2 else None,
            ))
    sources = [
        FundingSourceFactory(name=f"来源{k}-{rng.randint(0, 10**9)}", kind=k, region=region("33"), total_amount=D("100000000")) for k in SourceKind.values
    ]
    for village in villages:
        for _ in range(rng.randint(0, 4)):
            status = rng.choice(ProjectStatus.values)
            start = TODAY - datetime.timedelta(days=rng.randint(40, 400))
            end = start + datetime.timedelta(days=rng.randint(30, 500))
            extra = {}
            if status in (S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED, S.SUSPENDED):
                extra["actual_start"] = start
            if status in (S.COMPLETED, S.ACCEPTED):
                extra["actual_end"] = start + datetime.timedelta(days=20)
            if status == S.ACCEPTED:
                extra.update(maintenance_body="village_collective", maintenance_owner="村委会")
            project = ProjectFactory(
                village=village, status=status, type=rng.choice(ProjectType.values), budget=D(rng.randint(1, 90) * 10000),
                planned_start=start, planned_end=end, percent_complete=rng.randint(0, 100), **extra,
            )
            last = None
            for _ in range(rng.randint(0, 3)):
                day = TODAY - datetime.timedelta(days=rng.randint(0, 330))
                ProgressReportFactory(project=project, report_date=day, percent_complete=project.percent_complete)
                last = max(last or day, day)
            if last:
                Project.objects.filter(pk=project.pk).update(last_reported_on=last)
            if status not in (S.DRAFT, S.SUBMITTED, S.RETURNED):
                for _ in range(rng.randint(0, 2)):
                    allocation = AllocationFactory(source=rng.choice(sources), project=project, amount=D(rng.randint(1, 50) * 1000))
                    if rng.random() < 0.7:
                        DisbursementFactory(allocation=allocation, amount=allocation.amount / 2,
                                            paid_on=TODAY - datetime.timedelta(days=rng.randint(0, 300)))
    scheme = AssessmentSchemeFactory(name=f"年度考核{rng.randint(0, 10**9)}", year=TODAY.year, region=region("33"))
    for i, village in enumerate(villages):
        a = Assessment.objects.create(scheme=scheme, village=village, period=str(TODAY.year), status="finalised",
                                      total_score=D(40 + i * 3), grade="pass", finalised_at=timezone.now())
        if i < 3:
            FollowUp.objects.create(assessment=a, village=village, rank=1, ranked_among=1,
                                    due_date=TODAY + datetime.timedelta(days=30))
    stats.rebuild("")
    return villages


def _independent(code: str) -> dict:
    """The figures of a region computed in Python from the rows themselves (no summary tables)."""
    projects = [p for p in Project.objects.all() if p.village_id.startswith(code)]
    live = [p for p in projects if p.status != S.CANCELLED]
    open_statuses = {S.APPROVED, S.UNDER_CONSTRUCTION, S.SUSPENDED}
    cutoff = TODAY - datetime.timedelta(days=30)

    def stale(p):
        return p.status == S.UNDER_CONSTRUCTION and (
            (p.last_reported_on and p.last_reported_on < cutoff) or (p.last_reported_on is None and p.actual_start and p.actual_start < cutoff)
        )

    allocations = [a for a in Allocation.objects.select_related("source", "project") if a.project.village_id.startswith(code)]
    payments = [d for d in Disbursement.objects.select_related("allocation__source", "allocation__project")
                if d.allocation.project.village_id.startswith(code)]
    villages = [v for v in Village.objects.all() if v.code.startswith(code)]
    months = Counter()
    for r in ProgressReport.objects.select_related("project"):
        if r.project.village_id.startswith(code):
            months[r.report_date.replace(day=1)] += 1
    paid_months = Counter()
    for d in payments:
        paid_months[d.paid_on.replace(day=1)] += d.amount
    # Last month's reporting discipline, from the rule in its own words (dashboard.stats).
    month = (TODAY.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    last = TODAY.replace(day=1) - datetime.timedelta(days=1)
    cancelled_on = {t.project_id: timezone.localdate(t.at) for t in ProjectTransition.objects.filter(to_status=S.CANCELLED).order_by("at")}
    reporting = Counter()
    for p in projects:
        if p.actual_start is None or p.status in (S.DRAFT, S.SUBMITTED, S.RETURNED):
            continue
        if p.status == S.CANCELLED and p.id not in cancelled_on:
            continue
        end = cancelled_on[p.id] if p.status == S.CANCELLED else p.actual_end
        if p.actual_start > last or (end is not None and end < month):
            continue
        reporting["expected"] += 1
        entered = [timezone.localdate(r.created_at) for r in p.progress_reports.all() if month <= r.report_date <= last]
        if entered:
            reporting["reported"] += 1
            reporting["on_time"] += min(entered) <= last + datetime.timedelta(days=stats.REPORTING_GRACE_DAYS)
    return {
        "reporting": reporting,
        "villages": len(villages),
        "by_category": Counter(v.category for v in villages),
        "projects": len(projects),
        "by_status": Counter(p.status for p in projects),
        "by_type": Counter(p.type for p in live),
        "completion": (D(sum(p.percent_complete for p in live)) / len(live)).quantize(D("0.1")) if live else None,
        "overdue": sum(1 for p in projects if p.planned_end < TODAY and p.status in open_statuses),
        "stale_villages": len({p.village_id for p in projects if stale(p)}),
        "budget": sum((p.budget for p in live), D("0")),
        "allocated": sum((a.amount for a in allocations), D("0")),
        "government": sum((a.amount for a in allocations if a.source.kind in GOVERNMENT_KINDS), D("0")),
        "by_kind": {k: sum((a.amount for a in allocations if a.source.kind == k), D("0")) for k in SourceKind.values},
        "disbursed": sum((d.amount for d in payments), D("0")),
        "months": months,
        "paid_months": paid_months,
        "open_follow_ups": sum(1 for f in FollowUp.objects.all() if f.village_id.startswith(code) and f.status != "closed"),
        "located": sum(1 for v in villages if v.latitude is not None),
    }


@pytest.mark.parametrize("code", ["", "33", "3305", "330523", "330523108"])
def test_every_figure_matches_an_independent_computation(db, code):
    _fixture(random.Random(7))
    root = user_with("root")
    root.is_superuser = True
    root.save()
    board = selectors.dashboard(user=root, region=Region.objects.get(code=code) if code else selectors.nation())
    expected = _independent(code)
    t = board.totals
    assert t.villages == expected["villages"] and t.located == expected["located"]
    assert {c: n for c, _l, n in board.by_category if n} == dict(expected["by_category"])
    assert t.projects == expected["projects"]
    assert {s: n for s, _l, n in board.by_status if n} == dict(expected["by_status"])
    assert {k: n for k, _l, n in board.by_type if n} == dict(expected["by_type"])
    assert t.completion == expected["completion"]
    assert t.overdue_projects == expected["overdue"]
    assert t.stale_villages == expected["stale_villages"]
    assert (t.budget, t.allocated, t.allocated_government, t.disbursed) == (
        expected["budget"], expected["allocated"], expected["government"], expected["disbursed"])
    assert {k: a for k, _l, a in board.by_kind} == expected["by_kind"]
    if expected["allocated"]:
        assert t.execution_rate == (expected["disbursed"] / expected["allocated"]).quantize(D("0.0001"))
    if expected["government"]:
        assert t.leverage_ratio == ((expected["allocated"] - expected["government"]) / expected["government"]).quantize(D("0.0001"))
    for month in board.trend:
        assert month["reports"] == expected["months"].get(month["month"], 0)
        assert month["disbursed"] == expected["paid_months"].get(month["month"], D("0"))
    assert board.open_follow_ups == expected["open_follow_ups"]
    r = board.totals.reporting
    assert (r.expected, r.reported, r.on_time) == tuple(expected["reporting"][k] for k in ("expected", "reported", "on_time"))
    assert r.expected > 0, r
    if len(code) < 9:
        assert sum(c.reporting.expected for c in board.children) == r.expected
    # Children add up to the whole.
    assert sum(c.projects for c in board.children) == t.projects
    assert sum((c.disbursed for c in board.children), D("0")) == t.disbursed
    # Ranking: top is best first, bottom worst first.
    assert [a.total_score for a in board.top] == sorted((a.total_score for a in board.top), reverse=True)
    assert board.bottom and board.bottom[0].total_score == min(
        a.total_score for a in Assessment.objects.all() if a.village_id.startswith(code))


def _assert_fresh():
    """The stored summary rows equal a recomputation from scratch."""
    fields = [f.name for f in VillageStats._meta.concrete_fields if f.name not in ("computed_at",)]
    stored = {v.village_id: [getattr(v, f) for f in fields] for v in VillageStats.objects.all()}
    fresh = {v.village_id: [getattr(v, f) for f in fields] for v in stats.compute_village_stats("", TODAY)}
    assert stored == fresh
    tfields = [f.name for f in TownshipStats._meta.concrete_fields if f.name != "computed_at"]
    stored_townships = {t.township_id: [getattr(t, f) for f in tfields] for t in TownshipStats.objects.all()}
    fresh_townships = {t.township_id: [getattr(t, f) for f in tfields] for t in stats.compute_township_stats("", TODAY)}
    assert stored_townships == fresh_townships
    month_fields = ("township_id", "month", "reports", "disbursed", "expected", "reported", "on_time")
    stored_months = sorted(tuple(getattr(m, f) for f in month_fields) for m in TownshipMonth.objects.all())
    fresh_months = sorted(tuple(getattr(m, f) for f in month_fields) for m in stats.compute_township_months("", TODAY))
    assert stored_months == fresh_months
    # The counties' rows: their townships' added up here, field by field (the latest report: the latest of theirs).
    counties_fresh: dict = {}
    for t in stats.compute_township_stats("", TODAY):
        row = counties_fresh.setdefault(t.township_id[:6], {"last_report_on": None, **dict.fromkeys(AreaSums.summed_fields(), 0)})
        for name in AreaSums.summed_fields():
            row[name] += getattr(t, name)
        if t.last_report_on and (row["last_report_on"] is None or t.last_report_on > row["last_report_on"]):
            row["last_report_on"] = t.last_report_on
    stored_counties = {c.county_id: {name: getattr(c, name) for name in ["last_report_on", *AreaSums.summed_fields()]}
                       for c in CountyStats.objects.all()}
    assert stored_counties == counties_fresh and stored_counties
    county_months: dict = {}
    for m in fresh_months:
        key = (m[0][:6], m[1])
        county_months[key] = [a + b for a, b in zip(county_months.get(key, [0, 0, 0, 0, 0]), m[2:])]
    assert {(m.county_id, m.month): [m.reports, m.disbursed, m.expected, m.reported, m.on_time]
            for m in CountyMonth.objects.all()} == county_months
    stored_outputs = sorted((o.region_id, o.level, o.year, o.kind, o.output) for o in AreaOutput.objects.all())
    fresh = stats.compute_township_outputs("")
    fresh_outputs = sorted((o.region_id, o.level, o.year, o.kind, o.output) for o in fresh)
    counties: dict = {}
    for o in fresh:
        counties[(o.region_id[:6], o.year, o.kind)] = counties.get((o.region_id[:6], o.year, o.kind), 0) + o.output
    fresh_outputs = sorted(fresh_outputs + [(c, "county", y, k, v) for (c, y, k), v in counties.items()])
    assert stored_outputs == fresh_outputs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_tables_equal_a_recomputation_after_any_writes(db, seed, django_capture_on_commit_callbacks, eager_celery):
    rng = random.Random(seed)
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    county = user_with("county", (Role.COUNTY_STAFF, "330523"))
    villages = [VillageFactory(code=f"330523108{200 + i:03d}") for i in range(4)]
    source = FundingSourceFactory(total_amount=D("10000000"), kind=rng.choice(SourceKind.values))
    stats.rebuild("")
    projects, allocations, payments, assets = [], [], [], []
    done = Counter()
    asset_data = {"name": "设施", "quantity": D("1"), "unit": "stations", "commissioned_on": TODAY - datetime.timedelta(days=400),
                  "owner_kind": "village_collective", "maintenance_body": "village_collective"}
    data = {"type": "road", "name": "道路", "budget": D("100000"), "planned_start": TODAY - datetime.timedelta(days=90),
            "planned_end": TODAY + datetime.timedelta(days=90), "responsible_person": "张"}
    for _step in range(120):  # enough steps for every kind of write with the lifecycle of issue 18
        op = "create" if len(projects) < 3 else rng.choice(
            ["create", "move", "move", "move", "report", "report", "allocate", "allocate", "pay", "pay", "reverse",
             "asset", "inspect", "inspect", "schedule", "fault", "repair", "repair", "retire", "upkeep", "upkeep"])
        with django_capture_on_commit_callbacks(execute=True):
            try:
                if op == "create" or not projects:
                    project = project_services.project_create(actor=official, village=rng.choice(villages),
                                                              data={**data, "type": rng.choice(ProjectType.values)})
                    # Outside the plan, with the county's exception (规划先行: approval needs one or a plan item).
                    citation = planning_services.citation_set(actor=official, project=project, out_of_plan_reason="应急排险")
                    planning_services.exception_decide(actor=county, citation=citation, approve=True)
                    projects.append(project)
                elif op == "move":
                    project = Project.objects.get(pk=rng.choice(projects).pk)
                    actions = project_services.available_actions(official, project) + project_services.available_actions(county, project)
                    forward = [a for a in actions if a.name in ("submit", "approve", "start")]
                    if actions:
                        action = rng.choice(forward if forward and rng.random() < 0.8 else actions)
                        actor = official if action.permission in ("project.submit", "project.start", "project.complete", "project.withdraw", "project.discard") else county
                        # Acceptance records the maintenance arrangement and the accepted output (plan against actual).
                        accept = {"maintenance": {"maintenance_body": "village_collective", "maintenance_owner": "村委会"},
                                  "actual_output": D(rng.randint(1, 500)) / 4} if action.name == "accept" else {}
                        # Construction started in an earlier month (the months a project must report in, issue 21).
                        started = {"on_date": TODAY - datetime.timedelta(days=rng.randint(31, 120))} if action.name == "start" else {}
                        project_services.project_transition(actor=actor, project=project, action=action.name, reason="理由",
                                                            **accept, **started)
                elif op == "report" and _live(projects):
                    project = rng.choice(_live(projects))
                    # Dated in this month or the one or two before (not before the start): reported, on time or late.
                    day = max(project.actual_start or project.planned_start, TODAY - datetime.timedelta(days=rng.randint(0, 50)))
                    project_services.progress_report_create(
                        actor=official, project=project, report_date=day,
                        percent_complete=max(project.percent_complete, rng.randint(0, 100)), amount_spent=D("1000"))
                elif op == "allocate" and _live(projects):
                    allocations.append(funding_services.allocation_create(
                        actor=county, source=source, project=rng.choice(_live(projects)), amount=D(rng.randint(1, 9) * 1000)))
                elif op == "pay" and allocations:
                    payments.append(funding_services.disbursement_create(
                        actor=county, allocation=rng.choice(allocations), amount=D("500"),
                        paid_on=TODAY, voucher_no=f"V{_step}"))
                elif op == "reverse" and payments:
                    funding_services.disbursement_reverse(actor=county, disbursement=payments.pop(), reason="冲销")
                elif op == "asset":  # upkeep (issue 19): assets, inspections, faults feed the maintenance columns
                    assets.append(maintenance_services.asset_register(
                        actor=official, village=rng.choice(villages), data={**asset_data, "kind": rng.choice(ASSET_KINDS)}))
                elif op == "inspect" and assets:
                    found = {"severity": rng.choice(["minor", "major", "urgent"]), "description": "损坏"} if rng.random() < 0.5 else None
                    maintenance_services.inspection_record(
                        actor=official, asset=rng.choice(assets), done_on=TODAY - datetime.timedelta(days=rng.randint(0, 60)),
                        condition=rng.randint(1, 5), fault=found)
                elif op == "schedule" and assets:
                    maintenance_services.inspections_open_due(today=TODAY + datetime.timedelta(days=rng.randint(0, 120)))
                elif op == "fault" and assets:
                    maintenance_services.fault_report(actor=official, asset=rng.choice(assets), severity="minor",
                                                      description="灯不亮", reported_on=TODAY - datetime.timedelta(days=rng.randint(0, 40)))
                elif op == "repair" and Fault.objects.exists():
                    fault = rng.choice(list(Fault.objects.exclude(status="verified")) or [None])
                    if fault is None:
                        continue
                    if fault.status == "reported":
                        maintenance_services.fault_start_repair(actor=official, fault=fault)
                    elif fault.status == "repairing":
                        maintenance_services.fault_mark_repaired(actor=official, fault=fault, repaired_on=TODAY, notes="已修复",
                                                                 photos=[upload()])
                    else:
                        maintenance_services.fault_verify(actor=official, fault=fault)
                elif op == "upkeep" and assets:  # upkeep money (管护经费): apart from the construction money
                    allocations.append(funding_services.upkeep_allocation_create(
                        actor=county, source=source, asset=rng.choice(assets), amount=D(rng.randint(1, 5) * 1000)))
                elif op == "retire" and assets:
                    maintenance_services.asset_retire(actor=official, asset=assets.pop(rng.randrange(len(assets))))
                else:
                    continue
                done[op] += 1
            except DomainError as refused:  # a refused step (illegal move, over-commit ...) writes nothing
                assert refused.code  # refused on purpose by a service rule
        _assert_fresh()
    # Every kind of write happened (otherwise the test would prove little).
    assert set(done) >= {"create", "move", "report", "allocate", "pay", "asset", "inspect", "fault", "repair", "upkeep"}, done
    # Projects were expected to report, and did, in more than one month (the reporting discipline columns).
    months = TownshipMonth.objects.filter(expected__gt=0)
    assert months.count() > 1 and months.filter(reported__gt=0).exists(), list(months.values())


def _live(projects):
    return list(Project.objects.filter(pk__in=[p.pk for p in projects], status__in=[S.APPROVED, S.UNDER_CONSTRUCTION]))


def _query_count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_same_queries_at_every_scope_and_size(client, db):
    _fixture(random.Random(3), villages_per_township=1)
    root = user_with("root")
    root.is_superuser = True
    root.save()
    client.force_login(root)
    scopes = ["33", "3305", "330523", "330523108"]
    small = {code: _query_count(client, reverse("dashboard:region", args=[code])) for code in scopes}
    small["nation"] = _query_count(client, reverse("dashboard:nation"))
    _fixture(random.Random(4), villages_per_township=6)
    large = {code: _query_count(client, reverse("dashboard:region", args=[code])) for code in scopes}
    large["nation"] = _query_count(client, reverse("dashboard:nation"))
    # The same at every scope and size; the nation has no row of its own to read and no region above it to name.
    assert len({n for scope, n in (small | large).items() if scope != "nation"}) == 1, (small, large)
    assert small["nation"] == large["nation"] == small["33"] - 2, (small, large)


def test_export_and_map(client, db):
    _fixture(random.Random(5))
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    client.force_login(county)
    book = load_workbook(io.BytesIO(client.get(reverse("dashboard:export", args=["330523"])).content), read_only=True)
    assert len(book.sheetnames) == 8
    summary = dict(book[book.sheetnames[0]].iter_rows(min_row=2, values_only=True))
    assert len(summary) == 11
    points = client.get(reverse("dashboard:map", args=["330523"])).json()["points"]
    assert len(points) == Village.objects.filter(code__startswith="330523", latitude__isnull=False).count()
    assert all(p[3].startswith("330523") for p in points)
    assert client.get(reverse("dashboard:region", args=["330522"])).status_code == 404
    assert client.get(reverse("dashboard:region", args=["33"])).status_code == 404


def test_an_unreachable_broker_does_not_fail_the_write(db, django_capture_on_commit_callbacks, monkeypatch, caplog):
    """The change is committed before the refresh is queued: a broker outage is logged, not raised."""
    from kombu.exceptions import OperationalError

    from dashboard import tasks

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.refresh_village_stats, "delay", down)
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    village = VillageFactory(code="330523108204")
    data = {"type": "road", "name": "道路", "budget": D("100000"), "planned_start": TODAY, "planned_end": TODAY,
            "responsible_person": "张"}
    with django_capture_on_commit_callbacks(execute=True):
        project = project_services.project_create(actor=official, village=village, data=data)
    assert Project.objects.filter(pk=project.pk).exists()
    assert "the sweeper will catch up" in caplog.text


def test_outline_serves_counties_named_by_code_with_figures_in_fixed_queries(client, db):
    """The map's outlines: 湖州市's five counties named by their codes, each county's figures; a county's own outline;
    the same number of queries with one village or many."""
    from villages import outlines

    client.force_login(user_with("hz", (Role.SUPERVISOR, "3305")))
    counts = []
    for n in (1, 6):
        for i in range(n):
            VillageFactory(township_code="330523108", code=f"330523108{300 + len(counts) * 10 + i}")
        stats.rebuild("")
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(reverse("dashboard:outline", args=["3305"])).json()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert sorted(f["properties"]["name"] for f in body["geo"]["features"]) == ["330502", "330503", "330521", "330522", "330523"]
    assert body["drill"] is True and body["missing"] == []
    assert [a["code"] for a in body["areas"]] == ["330523"] and body["areas"][0]["villages"] == 7
    county = client.get(reverse("dashboard:outline", args=["330523"])).json()
    assert [f["properties"]["label"] for f in county["geo"]["features"]] == ["安吉县"] and county["drill"] is False
    assert outlines.contains("330523", 119.68, 30.64) and not outlines.contains("330523", 120.3, 30.9)
    assert set(outlines.MISSING) == {c for c in outlines.county_names() if not outlines.outlined([c])}


def test_renamed_counties_have_todays_codes(db):
    from villages import outlines

    names = {code: entry["name"] for code, entry in outlines.outlined(outlines.county_names()).items()}
    assert names["330112"] == "临安区" and names["331083"] == "玉环市"
    assert len(names) == 87  # 90 counties, less 临平区, 钱塘区, 龙港市


def test_an_area_with_no_completion_shows_a_dash_without_a_percent_sign(client, db):
    """A township with villages but no project has no completion: "—", not "—%" (a screenshot, issue 18 item 20)."""
    VillageFactory(code="330523108204")
    ProjectFactory(village=VillageFactory(township_code="330523001", code="330523001211"), status=S.UNDER_CONSTRUCTION,
                   percent_complete=40, actual_start=TODAY - datetime.timedelta(days=30))
    stats.rebuild("")
    client.force_login(user_with("anji", (Role.COUNTY_STAFF, "330523")))
    page = client.get(reverse("dashboard:region", args=["330523"])).content.decode()
    assert "—%" not in page
    assert 'data-value="-1">—</td>' in page  # 天荒坪镇: no project
    assert 'data-value="40.0">40.0%</td>' in page  # 递铺街道


def test_the_nation_is_the_provinces_added_up_and_only_for_a_whole_country_scope(client, db):
    """全国: the provinces as its areas, each with its own dashboard's figures, the totals their sum; a province's
    dashboard links up to it for the superuser; for every portal role (none is held above a province) a 404."""
    _fixture(random.Random(8))
    root = user_with("root")
    root.is_superuser = True
    root.save()
    nation = selectors.dashboard(user=root, region=selectors.nation())
    provinces = {code: selectors.dashboard(user=root, region=Region.objects.get(code=code)) for code in ("32", "33")}
    assert [c.code for c in nation.children] == ["32", "33"]
    for child in nation.children:
        assert (child.villages, child.projects, child.budget, child.disbursed) == (
            provinces[child.code].totals.villages, provinces[child.code].totals.projects,
            provinces[child.code].totals.budget, provinces[child.code].totals.disbursed)
    assert nation.totals.projects == sum(p.totals.projects for p in provinces.values()) > 0
    assert [m["reports"] for m in nation.trend] == [sum(p.trend[i]["reports"] for p in provinces.values()) for i in range(12)]
    client.force_login(root)
    page = client.get(reverse("dashboard:nation"))
    assert page.status_code == 200
    assert f'href="{reverse("dashboard:region", args=["32"])}"' in page.text
    assert 'data-outline=' not in page.text and "export.xlsx" not in page.text  # no national map or export
    assert f'href="{reverse("dashboard:nation")}"' in client.get(reverse("dashboard:region", args=["33"])).text
    supervisor = user_with("province", (Role.SUPERVISOR, "33"))
    client.force_login(supervisor)
    assert client.get(reverse("dashboard:nation")).status_code == 404
    assert f'href="{reverse("dashboard:nation")}"' not in client.get(reverse("dashboard:region", args=["33"])).text
