"""A synthetic programme at province scale, for dashboards and benchmarks.

``generate_programme(province="33", seed=1)`` fills the real villages of a
province (village committees) with about ten projects each, about ten
progress reports per project, funding sources per county with allocations
and payments, and a finalised annual assessment round per county with its
bottom-group follow-ups. Deterministic for a seed. Every row is marked as
scale-test data (``SCALE_MARK``): it is not the sample programme and not real
figures.

Why COPY (core.bulk) and not the services, as seed_demo does: the size. For
安吉县 alone (168 village committees) this writes 1,678 projects, 11,194
progress reports, 2,282 allocations, 1,358 payments and 168 assessments; for
Zhejiang's 19,708 village committees that is about 197,000 projects, 1.31
million progress reports, 268,000 allocations, 159,000 payments and 19,700
assessments. Through the services, at what they cost in seed_demo on this
machine (about 4.6 ms a progress report, 3 ms a lifecycle move, 4-5.5 ms an
allocation or payment, 10 ms a village's assessment; every call locks, checks
and writes its audit row), that is about 3 hours, against about 3 minutes by
COPY on PostgreSQL for ``make bench``. The rows meet the database's
constraints; the ledger's rules are kept by construction in ``_funding`` (an
allocation only out of what is left of its source, 80 % of it paid, 先建后补
only for accepted projects, 以奖代补 not paid); no audit rows are written: the
data is not anybody's doing. Only the mark is: the province is recorded as
holding scale-test data (villages.services.region_mark_sample_data), so that
every report and export covering it says so.

Dates count from ``today``, the reference day (``--as-of``; by default the
clock's day, never after it): nothing is dated later but planned ends and
follow-ups' due dates; the assessment round is the latest one finalised by then
(sample.base.Timeline: the previous year's, finalised in the spring).
"""
from __future__ import annotations

import datetime
import json
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assessment.models import Assessment, AssessmentScheme, FollowUp, Indicator, IndicatorCategory, IndicatorScore
from assessment.selectors import bottom_group
from core.bulk import analyze, copy_into, next_ids, reset_sequence
from funding.models import Allocation, Disbursement, FundingSource, Mechanism, SourceKind
from maintenance.models import (
    CHECKLISTS,
    DEFAULT_INTERVAL_DAYS,
    REPAIR_DAYS,
    Asset,
    Fault,
    Inspection,
    Keeper,
    KeeperAssignment,
    chief_for,
    kind_and_unit_for,
)
from oversight.models import Problem, Visit
from planning.models import CreationListEntry, Plan, PlanCitation, PlanItem, Target, TargetKind
from projects.models import ProgressReport, Project, ProjectStatus, ProjectTransition, ProjectType
from villages.models import Region, SampleData, Village, VillageKind
from villages.services import region_mark_sample_data

from .base import ReferenceDayRefused, Timeline, round_finalised_on
from .plans import accepted_output, planned_output

SCALE_MARK = "［规模测试数据］"
S = ProjectStatus
# Status mix of a mature programme.
STATUS_WEIGHTS = [
    (S.ACCEPTED, 34), (S.COMPLETED, 8), (S.UNDER_CONSTRUCTION, 26), (S.APPROVED, 8), (S.SUBMITTED, 6),
    (S.DRAFT, 5), (S.RETURNED, 3), (S.SUSPENDED, 4), (S.CANCELLED, 6),
]
KIND_SHARE = [  # (kind, mechanism, share of a county's money)
    (SourceKind.PROVINCIAL_SPECIAL, Mechanism.REWARD_IN_LIEU, 0.22), (SourceKind.CITY_MATCHING, Mechanism.BUILD_THEN_SUBSIDIZE, 0.12),
    (SourceKind.COUNTY_BUDGET, Mechanism.DIRECT_GRANT, 0.26), (SourceKind.INTEGRATED_SECTORAL, Mechanism.DIRECT_GRANT, 0.1),
    (SourceKind.VILLAGE_COLLECTIVE, Mechanism.DIRECT_GRANT, 0.1), (SourceKind.FARMER, Mechanism.DIRECT_GRANT, 0.06),
    (SourceKind.SOCIAL_DONATION, Mechanism.DIRECT_GRANT, 0.06), (SourceKind.ENTERPRISE, Mechanism.DIRECT_GRANT, 0.08),
]
INDICATORS = [
    (IndicatorCategory.ENVIRONMENT, "环境卫生", 30), (IndicatorCategory.INFRASTRUCTURE, "基础设施", 20),
    (IndicatorCategory.PUBLIC_SERVICES, "公共服务", 15), (IndicatorCategory.CIVILITY, "乡风文明", 15),
    (IndicatorCategory.GOVERNANCE, "乡村治理", 10), (IndicatorCategory.MAINTENANCE, "长效管护", 10),
]


class AlreadyGenerated(Exception):
    pass


@dataclass
class Result:
    villages: int = 0
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0


def _days(n):
    return datetime.timedelta(days=n)


def generate_programme(*, province: str = "33", seed: int = 1, projects_per_village: int = 10,
                       reports_per_project: int = 10, today: datetime.date | None = None, log=print) -> Result:
    started = time.perf_counter()
    today = today or timezone.localdate()
    if today > timezone.localdate():
        raise ReferenceDayRefused(f"The reference day {today:%Y-%m-%d} is in the future: nothing is dated after today.")

    def rng(part):  # one stream per part, so that each part is the same whatever the others did
        return random.Random(f"scale:{province}:{seed}:{part}")

    if Project.objects.filter(village__code__startswith=province, description=SCALE_MARK).exists():
        raise AlreadyGenerated(f"Province {province} already holds scale-test data ({SCALE_MARK}).")
    villages = list(
        Village.objects.filter(code__startswith=province, kind=VillageKind.VILLAGE_COMMITTEE).order_by("code")
        .values_list("code", "latitude", "population")
    )
    if not villages:
        raise AlreadyGenerated(f"No village committees under {province}: run import_divisions first.")
    counties = sorted({code[:6] for code, *_ in villages})
    result = Result(villages=len(villages))
    with transaction.atomic():
        _places(rng("places"), villages)
        log(f"  places for {len(villages):,} villages")
        plans = _projects(rng("projects"), villages, projects_per_village, reports_per_project, today, result, log)
        _funding(rng("funding"), counties, plans, today, result, log)
        _assessments(rng("assessments"), counties, villages, today, result, log)
        _upkeep(rng("upkeep"), plans, villages, today, result, log)
        _planning(rng("planning"), plans, villages, today, result, log)
        _supervision(rng("supervision"), counties, villages, today, result, log)
        region = Region.objects.filter(code=province).first()
        if region is not None:
            region_mark_sample_data(actor=None, region=region, kind=SampleData.SCALE_TEST)
        models = (Village, Project, ProjectTransition, ProgressReport, FundingSource, Allocation, Disbursement,
                  AssessmentScheme, Indicator, Assessment, IndicatorScore, FollowUp, Asset, Keeper, KeeperAssignment,
                  Inspection, Fault, Plan, PlanItem, PlanCitation, Target, CreationListEntry, Visit, Visit.villages.through,
                  Problem)
        reset_sequence(*models[1:])
    analyze(*models)
    result.seconds = time.perf_counter() - started
    return result


# Where a province's synthetic county centres fall: (south edge, degrees north, west edge, degrees east), a rough
# box inside each province (the division data carries no coordinates). Zhejiang's is the one scale data always used.
PROVINCE_BOXES = {
    "11": (39.6, 1.2, 115.8, 1.4), "12": (38.8, 1.2, 116.9, 1.0), "13": (36.5, 5.0, 114.0, 5.0),
    "14": (35.0, 5.2, 110.8, 3.4), "15": (40.0, 9.0, 106.0, 15.0), "21": (39.2, 4.0, 119.5, 5.6),
    "22": (41.5, 4.2, 122.5, 7.5), "23": (44.0, 7.5, 123.0, 9.5), "31": (30.8, 0.9, 121.0, 0.9),
    "32": (31.2, 3.4, 116.8, 4.2), "33": (27.3, 3.7, 118.3, 3.6), "34": (29.8, 4.4, 115.3, 3.8),
    "35": (24.0, 3.8, 116.3, 3.6), "36": (25.0, 4.6, 114.0, 4.0), "37": (35.0, 3.2, 115.5, 6.5),
    "41": (32.0, 4.0, 111.0, 5.0), "42": (29.5, 3.3, 109.0, 6.5), "43": (25.2, 4.4, 109.5, 4.5),
    "44": (21.5, 3.5, 110.5, 6.0), "45": (21.8, 4.3, 105.5, 6.0), "46": (18.5, 1.5, 108.9, 2.0),
    "50": (28.8, 3.2, 105.8, 4.0), "51": (27.0, 6.5, 98.5, 9.5), "52": (25.0, 3.8, 104.2, 5.0),
    "53": (22.0, 6.5, 98.5, 6.8), "54": (28.0, 5.0, 85.0, 12.0), "61": (32.3, 6.5, 106.5, 4.0),
    "62": (34.0, 6.0, 98.0, 8.5), "63": (32.5, 5.0, 92.0, 9.0), "64": (35.6, 3.2, 105.0, 2.2),
    "65": (37.0, 9.5, 76.0, 17.0),
}


def _places(rng, villages) -> None:
    """Synthetic coordinates around a per-county centre inside the county's province, and a population."""
    centres = {}
    updates = []
    for code, lat, population in villages:
        county = code[:6]
        if county not in centres:
            crng = random.Random(county)
            south, north, west, east = PROVINCE_BOXES.get(code[:2], PROVINCE_BOXES["33"])
            centres[county] = (south + crng.random() * north, west + crng.random() * east)
        if lat is None or population is None:
            c = centres[county]
            updates.append(Village(
                code=code, latitude=Decimal(f"{c[0] + rng.uniform(-0.2, 0.2):.6f}"),
                longitude=Decimal(f"{c[1] + rng.uniform(-0.25, 0.25):.6f}"),
                population=population or rng.randint(600, 4500),
            ))
    for v in updates:
        v.households = max(1, v.population // 3)
    Village.objects.bulk_update(updates, ["latitude", "longitude", "population", "households"], batch_size=5000)


@dataclass
class _Plan:
    id: int
    village: str
    status: str
    budget: Decimal
    accepted_on: datetime.date | None
    type: str = ""
    planned_output: Decimal = Decimal(0)
    actual_output: Decimal | None = None


def _projects(rng, villages, per_village, per_project, today, result, log) -> list[_Plan]:
    statuses = [s for s, _w in STATUS_WEIGHTS]
    weights = [w for _s, w in STATUS_WEIGHTS]
    types = list(ProjectType.values)
    counts = [max(1, round(rng.gauss(per_village, 2))) for _ in villages]
    ids = iter(next_ids(Project, sum(counts)))
    plans, project_rows, report_rows, transition_rows = [], [], [], []
    now = timezone.now()
    for (code, *_), count in zip(villages, counts):
        for _ in range(count):
            pid = next(ids)
            status = rng.choices(statuses, weights)[0]
            planned_start = today - _days(rng.randint(60, 1500))
            planned_end = planned_start + _days(rng.randint(90, 540))
            actual_start = actual_end = None
            percent, last = 0, None
            maintenance = ("", "")
            if status in (S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED, S.SUSPENDED):
                actual_start = min(today - _days(5), planned_start + _days(rng.randint(0, 40)))
            if status in (S.COMPLETED, S.ACCEPTED):
                actual_end = min(today, actual_start + _days(rng.randint(60, 400)))
                percent = 100
            elif status in (S.UNDER_CONSTRUCTION, S.SUSPENDED):
                percent = rng.randint(5, 95)
            if status == S.ACCEPTED:
                maintenance = ("village_collective", f"{code}村委会")
            budget = Decimal(rng.randint(5, 300) * 10000)
            if actual_start:
                span = max(1, ((actual_end or today) - actual_start).days)
                n = max(1, int(rng.gauss(per_project, 2)))
                step = max(1, span // n)
                # A share of the projects under construction fall silent (no report in 30+ days).
                end = actual_end or (today - _days(rng.randint(35, 90)) if rng.random() < 0.15 else today)
                reached = 0
                for k in range(n):
                    day = actual_start + _days(min(span, (k + 1) * step))
                    if day > end:
                        break
                    reached = min(percent, max(reached, round(percent * (k + 1) / n)))
                    spent = (budget * reached / 100).quantize(Decimal("0.01"))
                    report_rows.append((pid, day, reached, spent, SCALE_MARK, "", "", None, now))
                    last = day
            project_type = rng.choice(types)
            planned = planned_output(rng, project_type)
            accepted_on = actual_end if status == S.ACCEPTED else None
            actual = accepted_output(rng, planned) if accepted_on else None
            project_rows.append((
                pid, now, now, code, project_type, f"整治项目{pid}", SCALE_MARK, budget, planned_start, planned_end,
                actual_start, actual_end, status, "张三", "", "", maintenance[0], maintenance[1], percent, last, 1,
                planned, actual, accepted_on, f"GEN-{pid}",
            ))
            transition_rows.append((pid, "", status, None, now, SCALE_MARK if status == S.RETURNED else ""))
            plans.append(_Plan(pid, code, status, budget, accepted_on, project_type, planned, actual))
    result.counts["projects"] = copy_into(Project, [
        "id", "created_at", "updated_at", "village", "type", "name", "description", "budget", "planned_start", "planned_end",
        "actual_start", "actual_end", "status", "responsible_person", "responsible_phone", "property_owner",
        "maintenance_body", "maintenance_owner", "percent_complete", "last_reported_on", "version",
        "planned_output", "actual_output", "accepted_on", "reference",
    ], project_rows)
    log(f"  {result.counts['projects']:,} projects")
    result.counts["transitions"] = copy_into(ProjectTransition, ["project", "from_status", "to_status", "actor", "at", "reason"], transition_rows)
    result.counts["progress_reports"] = copy_into(ProgressReport, [
        "project", "report_date", "percent_complete", "amount_spent", "narrative", "problems", "correction_reason", "reporter",
        "created_at",
    ], report_rows)
    log(f"  {result.counts['progress_reports']:,} progress reports")
    return plans


def _funding(rng, counties, plans, today, result, log) -> None:
    by_county: dict[str, list[_Plan]] = {}
    for plan in plans:
        if plan.status not in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.CANCELLED):
            by_county.setdefault(plan.village[:6], []).append(plan)
    source_ids = iter(next_ids(FundingSource, len(counties) * len(KIND_SHARE)))
    allocation_ids = iter(next_ids(Allocation, sum(len(v) for v in by_county.values()) * 2 + 10))
    now = timezone.now()
    year = today.year
    source_rows, allocation_rows, payment_rows = [], [], []
    for county in counties:
        fundable = by_county.get(county, [])
        need = sum((p.budget for p in fundable), Decimal(0))
        sources = []
        for kind, mechanism, share in KIND_SHARE:
            sid = next(source_ids)
            total = max(Decimal("10000.00"), (need * Decimal(str(share)) * Decimal("1.05")).quantize(Decimal("0.01")))
            source_rows.append((sid, now, now, f"{year}年{SourceKind(kind).label}（{county}）", kind, mechanism, county, None, year,
                                total, "", SCALE_MARK, None))
            sources.append([sid, kind, mechanism, total])
        for plan in fundable:
            remaining = plan.budget
            for source in rng.sample(sources, 2):
                amount = min(remaining, (plan.budget * Decimal(str(rng.uniform(0.3, 0.6)))).quantize(Decimal("0.01")))
                if amount <= 0 or amount > source[3]:
                    continue
                source[3] -= amount
                remaining -= amount
                aid = next(allocation_ids)
                on = today - _days(rng.randint(30, 700))
                allocation_rows.append((aid, source[0], plan.id, plan.village, amount, on, None, "", None, now))
                paid = plan.status in (S.ACCEPTED, S.COMPLETED) or rng.random() < 0.5
                if source[2] == Mechanism.BUILD_THEN_SUBSIDIZE and plan.status != S.ACCEPTED:
                    paid = False
                if source[2] == Mechanism.REWARD_IN_LIEU:
                    paid = False  # paid after the assessment; the synthetic round does not pay out
                if paid:
                    day = min(today, on + _days(rng.randint(5, 200)))
                    payment_rows.append((aid, (amount * Decimal("0.8")).quantize(Decimal("0.01")), day, f"SC{aid}", None, "", None, now))
    result.counts["funding_sources"] = copy_into(FundingSource, [
        "id", "created_at", "updated_at", "name", "kind", "mechanism", "region", "village", "fiscal_year", "total_amount",
        "document_no", "note", "created_by"], source_rows)
    result.counts["allocations"] = copy_into(Allocation, [
        "id", "source", "project", "village", "amount", "allocated_on", "reverses", "reason", "created_by", "created_at"], allocation_rows)
    result.counts["disbursements"] = copy_into(Disbursement, [
        "allocation", "amount", "paid_on", "voucher_no", "reverses", "reason", "created_by", "created_at"], payment_rows)
    log(f"  {result.counts['allocations']:,} allocations, {result.counts['disbursements']:,} payments")


def _assessments(rng, counties, villages, today, result, log) -> None:
    year = Timeline(today).round_year
    period = str(year)
    finalised_at = timezone.make_aware(datetime.datetime.combine(round_finalised_on(year), datetime.time(10, 0)))
    scheme_ids = iter(next_ids(AssessmentScheme, len(counties)))
    indicator_ids = iter(next_ids(Indicator, len(counties) * len(INDICATORS)))
    assessment_ids = iter(next_ids(Assessment, len(villages)))
    now = timezone.now()
    scheme_rows, indicator_rows, assessment_rows, score_rows, follow_rows = [], [], [], [], []
    by_county: dict[str, list[str]] = {}
    for code, *_ in villages:
        by_county.setdefault(code[:6], []).append(code)
    for county in counties:
        sid = next(scheme_ids)
        scheme_rows.append((sid, now, now, f"{year}年度村庄整治考核（规模测试）", "annual", year, "", county, 90, 80, 60, 5, 1, 90))
        indicators = []
        for order, (category, name, max_score) in enumerate(INDICATORS):
            iid = next(indicator_ids)
            indicator_rows.append((iid, sid, category, name, "", max_score, order))
            indicators.append((iid, max_score))
        totals = []
        for code in by_county[county]:
            aid = next(assessment_ids)
            scores = [Decimal(f"{rng.uniform(0.45, 1.0) * m:.2f}") for _i, m in indicators]
            total = sum(scores, Decimal("0"))
            grade = "excellent" if total >= 90 else "good" if total >= 80 else "pass" if total >= 60 else "fail"
            assessment_rows.append((aid, now, now, sid, code, period, "finalised", total, grade, None, finalised_at, 0))
            for (iid, m), score in zip(indicators, scores):
                score_rows.append((aid, iid, score, m, ""))
            totals.append((total, aid, code))
        for index, rank in bottom_group([t for t, *_ in totals], Decimal(5), 1):
            _total, aid, code = totals[index]
            follow_rows.append((now, now, aid, code, rank, len(totals), today + _days(rng.randint(-20, 60)), "open",
                                None, "", "", None, None, ""))
    copy_into(AssessmentScheme, ["id", "created_at", "updated_at", "name", "kind", "year", "category", "region", "excellent_min",
                                 "good_min", "pass_min", "bottom_percent", "bottom_min", "follow_up_days"], scheme_rows)
    copy_into(Indicator, ["id", "scheme", "category", "name", "description", "max_score", "order"], indicator_rows)
    result.counts["assessments"] = copy_into(Assessment, [
        "id", "created_at", "updated_at", "scheme", "village", "period", "status", "total_score", "grade", "assessor",
        "finalised_at", "reopen_count"], assessment_rows)
    result.counts["indicator_scores"] = copy_into(IndicatorScore, ["assessment", "indicator", "score", "max_score", "evidence"], score_rows)
    result.counts["follow_ups"] = copy_into(FollowUp, [
        "created_at", "updated_at", "assessment", "village", "rank", "ranked_among", "due_date", "status", "talk_held_on",
        "talk_notes", "rectification", "rectified_on", "reinspected_on", "reinspection_notes"], follow_rows)
    log(f"  {result.counts['assessments']:,} assessments, {result.counts['follow_ups']:,} follow-ups")


# Inspections: how they go (on time, late, missed and still open), the condition found, and a fault's repair.
INSPECTION_FATE = [("on_time", 80), ("late", 15), ("missed", 5)]
CONDITION_WEIGHTS = [(5, 34), (4, 36), (3, 18), (2, 9), (1, 3)]


def _upkeep(rng, plans, villages, today, result, log) -> None:
    """Each accepted project's asset (commissioned on its acceptance), kept by its village's keeper (on the
    township's roster); a year of inspections at the default interval of its kind, most on time, some late, a few
    missed (the asset's inspection then stays due, overdue); a poor condition reports a fault, repaired and
    verified mostly within its deadline. Repairs carry no photo here (no files at this scale)."""
    now = timezone.now()
    start = today - _days(364)
    accepted = [plan for plan in plans if plan.accepted_on is not None]
    village_of = {code: (lat, lon) for code, lat, lon in Village.objects.filter(
        code__in={plan.village for plan in accepted}).values_list("code", "latitude", "longitude")}
    keeper_ids = iter(next_ids(Keeper, len(village_of)))
    keepers, keeper_rows = {}, []
    for code in sorted(village_of):
        kid = next(keeper_ids)
        keepers[code] = kid
        keeper_rows.append((kid, now, now, f"管护员{code[-6:]}", "", f"{code}村委会", None, code[:9]))
    asset_ids = iter(next_ids(Asset, len(accepted)))
    inspection_ids = iter(next_ids(Inspection, len(accepted) * 16))
    asset_rows, assignment_rows, inspection_rows, fault_rows = [], [], [], []
    fates, fate_weights = [f for f, _w in INSPECTION_FATE], [w for _f, w in INSPECTION_FATE]
    conditions, condition_weights = [c for c, _w in CONDITION_WEIGHTS], [w for _c, w in CONDITION_WEIGHTS]
    for plan in accepted:
        aid = next(asset_ids)
        kind, unit = kind_and_unit_for(plan.type)
        lat, lon = village_of[plan.village]
        asset_rows.append((aid, now, now, kind, plan.village, plan.id, f"整治项目{plan.id}设施", lat, lon, Decimal(1), unit,
                           plan.accepted_on, "village_collective", f"{plan.village}村委会", "village_collective",
                           "in_service", None, None))
        assignment_rows.append((keepers[plan.village], chief_for(kind), aid, None, plan.accepted_on, None, None, now))
        interval = DEFAULT_INTERVAL_DAYS[kind]
        checklist = json.dumps({key: True for key, _label in CHECKLISTS[kind]}, ensure_ascii=False)
        due = plan.accepted_on + _days(interval)
        while due < start:  # before the year simulated: inspected on its day
            due += _days(interval)
        open_due = None
        while due <= today:
            fate = rng.choices(fates, fate_weights)[0]
            if fate == "missed":
                open_due = due
                break
            done = due - _days(rng.randint(0, 3)) if fate == "on_time" else due + _days(rng.randint(1, 14))
            if done > today:
                open_due = due
                break
            condition = rng.choices(conditions, condition_weights)[0]
            iid = next(inspection_ids)
            inspection_rows.append((iid, now, now, aid, due, True, "done", done, condition, checklist, "", None, None, None))
            if condition <= 2:
                severity = "urgent" if condition == 1 else "major"
                deadline = done + _days(REPAIR_DAYS[severity])
                repaired = done + _days(rng.randint(0, REPAIR_DAYS[severity] + (10 if rng.random() < 0.15 else 0)))
                verified = repaired + _days(rng.randint(1, 5))
                if verified <= today:
                    status, repaired_on, verified_on = "verified", repaired, verified
                elif repaired <= today:
                    status, repaired_on, verified_on = "repaired", repaired, None
                else:
                    status, repaired_on, verified_on = "repairing", None, None
                fault_rows.append((now, now, aid, iid, severity, "巡查发现设施故障", done, deadline, status, done, repaired_on,
                                   "已完成维修" if repaired_on else "", verified_on, None, None))
            due = done + _days(interval)
        if open_due is None and due <= today + _days(7):
            open_due = due
        if open_due is not None:
            inspection_rows.append((next(inspection_ids), now, now, aid, open_due, True, "due", None, None, "{}", "", None, None, None))
    result.counts["keepers"] = copy_into(Keeper, ["id", "created_at", "updated_at", "name", "phone", "organisation", "user", "region"], keeper_rows)
    result.counts["assets"] = copy_into(Asset, [
        "id", "created_at", "updated_at", "kind", "village", "project", "name", "latitude", "longitude", "quantity", "unit",
        "commissioned_on", "owner_kind", "owner_name", "maintenance_body", "status", "retired_on", "created_by",
    ], asset_rows)
    copy_into(KeeperAssignment, ["keeper", "chief_type", "asset", "village", "starts_on", "ends_on", "created_by", "created_at"],
              assignment_rows)
    result.counts["inspections"] = copy_into(Inspection, [
        "id", "created_at", "updated_at", "asset", "due_on", "scheduled", "status", "done_on", "condition", "checklist", "notes",
        "latitude", "longitude", "inspector",
    ], inspection_rows)
    result.counts["faults"] = copy_into(Fault, [
        "created_at", "updated_at", "asset", "inspection", "severity", "description", "reported_on", "deadline", "status",
        "repair_started_on", "repaired_on", "repair_notes", "verified_on", "reported_by", "verified_by",
    ], fault_rows)
    log(f"  {result.counts['assets']:,} assets, {result.counts['inspections']:,} inspections, {result.counts['faults']:,} faults")


OUT_OF_PLAN_SHARE = 0.05


def _planning(rng, plans, villages, today, result, log) -> None:
    """A construction plan per village with projects (an item per project, 5 % of them outside the plan with the
    county's exception), the creation lists of each county (three villages a year) and yearly targets for this year
    and last from the province down to every township, about what the accepted projects make."""
    from collections import defaultdict

    now = timezone.now()
    by_village = defaultdict(list)
    for plan in plans:
        by_village[plan.village].append(plan)
    first_year = today.year - 5
    plan_ids = iter(next_ids(Plan, len(by_village)))
    item_ids = iter(next_ids(PlanItem, len(plans)))
    plan_rows, item_rows, citation_rows = [], [], []
    for code in sorted(by_village):
        plan_id = next(plan_ids)
        plan_rows.append((plan_id, now, now, "construction", None, code, code, f"{code}村庄建设规划", 1,
                          datetime.date(first_year, 3, 1), "县人民政府", datetime.date(first_year, 1, 1),
                          datetime.date(today.year + 3, 12, 31), "", None, "current", None, "", None))
        for project in by_village[code]:
            if rng.random() < OUT_OF_PLAN_SHARE:
                citation_rows.append((project.id, None, SCALE_MARK, "approved", None, now, "", now))
                continue
            item_id = next(item_ids)
            year = min(max(first_year, today.year - rng.randint(0, 4)), today.year + 3)
            item_rows.append((item_id, plan_id, code, project.type, f"规划项目{project.id}", project.planned_output or Decimal(1),
                              project.budget, year, None, now))
            citation_rows.append((project.id, item_id, "", "", None, None, "", now))
    result.counts["plans"] = copy_into(Plan, [
        "id", "created_at", "updated_at", "kind", "region", "village", "area_code", "title", "version", "approved_on",
        "approved_by", "valid_from", "valid_until", "document", "document_size", "status", "supersedes", "change_reason",
        "created_by",
    ], plan_rows)
    result.counts["plan_items"] = copy_into(PlanItem, [
        "id", "plan", "village", "kind", "name", "quantity", "estimated_cost", "planned_year", "carried_from", "created_at",
    ], item_rows)
    result.counts["plan_citations"] = copy_into(PlanCitation, [
        "project", "item", "out_of_plan_reason", "exception_status", "decided_by", "decided_at", "decision_note", "updated_at",
    ], citation_rows)
    log(f"  {result.counts['plans']:,} plans, {result.counts['plan_items']:,} plan items")

    # Creation lists: three renovation villages of each county a year.
    codes = [code for code, *_ in villages]
    by_county = defaultdict(list)
    for code in codes:
        by_county[code[:6]].append(code)
    entry_rows = []
    for county, county_villages in sorted(by_county.items()):
        for year in (today.year - 1, today.year):
            for code in rng.sample(county_villages, min(3, len(county_villages))):
                entry_rows.append((county, year, "demonstration", code, SCALE_MARK, None, now))
    result.counts["creation_list_entries"] = copy_into(CreationListEntry, [
        "county", "year", "category", "village", "note", "added_by", "created_at",
    ], entry_rows)

    # Targets: each township's is about what its accepted projects make in the year; each level above is the sum
    # of its children, so that every breakdown adds up.
    regions = set(Region.objects.filter(code__startswith=codes[0][:2]).values_list("code", flat=True))
    totals = defaultdict(Decimal)
    for plan in plans:
        if plan.accepted_on and plan.accepted_on.year >= today.year - 1:
            totals[(plan.village[:9], plan.accepted_on.year, plan.type)] += plan.actual_output or 0
    target_rows = {}
    for (township, year, kind), actual in totals.items():
        quantity = (actual * Decimal(str(rng.uniform(0.9, 1.3)))).quantize(Decimal("0.01"))
        for code in (township, township[:6], township[:4], township[:2]):
            if code in regions:
                key = (code, year, kind)
                target_rows[key] = target_rows.get(key, Decimal(0)) + quantity
    result.counts["targets"] = copy_into(Target, ["created_at", "updated_at", "region", "year", "kind", "quantity", "note", "set_by"], [
        (now, now, code, year, kind, quantity, SCALE_MARK, None) for (code, year, kind), quantity in sorted(target_rows.items())
    ])
    assert {kind for _c, _y, kind in target_rows} <= set(TargetKind.values)
    log(f"  {result.counts['targets']:,} targets")


PROBLEM_CATEGORIES = ("sanitation", "sewage", "toilets", "waste", "roads", "greening", "progress", "quality", "funds", "upkeep")


def _supervision(rng, counties, villages, today, result, log) -> None:
    """Half a year of supervision (督查) in every county: four visits of the county's office, each to four of its
    villages, with one or two problems in most villages visited; about half closed, some rectified and waiting
    for their re-check, the rest still to be rectified (those past their deadline overdue)."""
    from collections import defaultdict

    now = timezone.now()
    by_county = defaultdict(list)
    for code, *_ in villages:
        by_county[code[:6]].append(code)
    visit_ids = iter(next_ids(Visit, 4 * len(counties)))
    visit_rows, link_rows, problem_rows = [], [], []
    for county in counties:
        county_villages = by_county[county]
        for number in range(4):
            visit_id = next(visit_ids)
            visited_on = today - _days(170 - number * 42 + rng.randint(0, 9))
            visit_rows.append((visit_id, now, now, county, "announced" if number == 1 else "unannounced", visited_on,
                               "县督查组", SCALE_MARK, None))
            for code in rng.sample(county_villages, min(4, len(county_villages))):
                link_rows.append((visit_id, code))
                for _ in range(rng.choice((0, 1, 1, 2))):
                    deadline = visited_on + _days(rng.choice((15, 30, 45)))
                    fate = rng.random()
                    rectified_on = closed_on = None
                    status, rectification = "open", ""
                    if deadline <= today + _days(10) and fate < 0.65:
                        rectified_on = min(today, visited_on + _days(rng.randint(5, 25)))
                        status, rectification = "rectified", "已落实整改"
                        if fate < 0.5:
                            closed_on = min(today, rectified_on + _days(rng.randint(2, 9)))
                            status = "closed"
                    problem_rows.append((now, now, visit_id, code, code[:9], None, rng.choice(PROBLEM_CATEGORIES),
                                         rng.choices(("general", "serious", "critical"), weights=(6, 3, 1))[0],
                                         "督查发现问题", visited_on, deadline, status, rectified_on, rectification,
                                         closed_on, 0, None, None, None))
    result.counts["supervision_visits"] = copy_into(Visit, [
        "id", "created_at", "updated_at", "region", "kind", "visited_on", "inspectors", "summary", "recorded_by",
    ], visit_rows)
    copy_into(Visit.villages.through, ["visit", "village"], link_rows)
    result.counts["problems"] = copy_into(Problem, [
        "created_at", "updated_at", "visit", "village", "township", "project", "category", "severity", "description",
        "found_on", "deadline", "status", "rectified_on", "rectification", "closed_on", "reopened", "found_by",
        "rectified_by", "closed_by",
    ], problem_rows)
    log(f"  {result.counts['supervision_visits']:,} supervision visits, {result.counts['problems']:,} problems")
