"""Keeping the dashboard's summary tables equal to the data they summarise.

``rebuild(prefix)`` recomputes, from scratch and in one transaction, the
VillageStats rows of every village below a division code and the
TownshipMonth rows of every township below it (a village code rebuilds its
township's months), and the villages' status blocks (VillageStatus, the bulk
feed's snapshots: rewritten only when a block changed, dashboard.status). It is the only writer of those tables. Each rebuild costs
a fixed number of grouped queries, whatever the number of villages.

Who calls it:
- ``drain()``: the villages recorded in the outbox (core.changes, one row per
  write, committed with the write): by the refresh task queued after each
  write's commit, and by the sweeper every minute (config/beat.py), which
  catches what a broker outage or a bulk path left behind;
- ``rebuild_all()``: nightly (overdue and "no report in 30 days" depend on
  the date) and after bulk loads, one county per transaction, so no
  transaction holds every township row of a province at once.
"""
from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from celery.exceptions import Retry
from django.db import DatabaseError, transaction
from django.db.models import Case, Count, DecimalField, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear, Substr, TruncMonth
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.bulk import analyze
from core.models import VillageChange
from funding.models import GOVERNMENT_KINDS, Allocation, Disbursement
from maintenance.selectors import maintenance_figures
from projects.models import ProgressReport, Project, ProjectStatus, ProjectTransition
from projects.rules import overdue_q, stale_q
from villages.models import Region, Village, VillageCategory

from .models import (
    ASSET_KINDS,
    KINDS,
    STATUSES,
    TYPES,
    AreaOutput,
    AreaSums,
    CountyMonth,
    CountyStats,
    MonthColumns,
    StatsColumns,
    TownshipMonth,
    TownshipStats,
    VillageStats,
    VillageStatus,
)

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)
LIVE = ~Q(status=ProjectStatus.CANCELLED)
COUNTED = ~Q(status__in=(ProjectStatus.DRAFT, ProjectStatus.CANCELLED))


def _money_sum(field, condition=None):
    return Coalesce(Sum(field, filter=condition), Value(ZERO), output_field=MONEY)


def _project_rows(prefix: str, today: datetime.date) -> dict[str, dict]:
    aggregates = {
        "projects": Count("id"),
        **{f"status_{s}": Count("id", filter=Q(status=s)) for s in STATUSES},
        **{f"type_{t}": Count("id", filter=Q(type=t) & LIVE) for t in TYPES},
        "live_projects": Count("id", filter=LIVE),
        "percent_sum": Coalesce(Sum("percent_complete", filter=LIVE), 0),
        "overdue_projects": Count("id", filter=overdue_q(today)),
        "stale_projects": Count("id", filter=stale_q(today)),
        "last_report_on": Max("last_reported_on"),
        "budget": _money_sum("budget", LIVE),
        # 规划先行: projects neither drafts nor cancelled, those carrying out a plan item, those outside the plan.
        "cited_projects": Count("id", filter=COUNTED),
        "in_plan_projects": Count("id", filter=COUNTED & Q(plan_citation__item__isnull=False)),
        "out_of_plan_projects": Count("id", filter=COUNTED & Q(plan_citation__isnull=False, plan_citation__item__isnull=True)),
    }
    rows = Project.objects.filter(village__code__startswith=prefix).values("village_id").annotate(**aggregates).order_by()
    return {row.pop("village_id"): row for row in rows}


def _allocation_rows(prefix: str) -> dict[str, dict]:
    aggregates = {
        "allocated": _money_sum("amount"),
        "allocated_government": _money_sum("amount", Q(source__kind__in=GOVERNMENT_KINDS)),
        **{f"allocated_{k}": _money_sum("amount", Q(source__kind=k)) for k in KINDS},
    }
    rows = (
        Allocation.objects.filter(project__village__code__startswith=prefix)
        .values("project__village_id").annotate(**aggregates).order_by()
    )
    return {row.pop("project__village_id"): row for row in rows}


def _disbursement_rows(prefix: str) -> dict[str, dict]:
    rows = (
        Disbursement.objects.filter(allocation__project__village__code__startswith=prefix)
        .values("allocation__project__village_id")
        .annotate(
            disbursed=_money_sum("amount"),
            disbursed_government=_money_sum("amount", Q(allocation__source__kind__in=GOVERNMENT_KINDS)),
        )
        .order_by()
    )
    return {row.pop("allocation__project__village_id"): row for row in rows}


def _upkeep_money_rows(prefix: str) -> dict[str, dict]:
    """Each village's upkeep money: allocations to its assets and the payments out of them."""
    allocated = (
        Allocation.objects.filter(village__code__startswith=prefix, asset__isnull=False)
        .values("village_id").annotate(upkeep_allocated=_money_sum("amount")).order_by()
    )
    paid = (
        Disbursement.objects.filter(allocation__village__code__startswith=prefix, allocation__asset__isnull=False)
        .values("allocation__village_id").annotate(upkeep_disbursed=_money_sum("amount")).order_by()
    )
    rows: dict[str, dict] = {row["village_id"]: {"upkeep_allocated": row["upkeep_allocated"]} for row in allocated}
    for row in paid:
        rows.setdefault(row["allocation__village_id"], {})["upkeep_disbursed"] = row["upkeep_disbursed"]
    return rows


def _maintenance_rows(prefix: str, today: datetime.date) -> dict[str, dict]:
    """Each village's upkeep figures: assets now, inspections and faults of today's year to date."""
    figures = maintenance_figures(
        prefix=prefix, group_length=12, start=datetime.date(today.year, 1, 1), end=datetime.date(today.year, 12, 31), today=today
    )
    return {
        code: {
            "assets": f.assets, **{f"asset_{kind}": f.assets_by_kind.get(kind, 0) for kind in ASSET_KINDS},
            "inspections_expected": f.inspections_expected, "inspections_on_time": f.inspections_on_time,
            "inspections_done": f.inspections_done, "condition_sum": f.condition_sum,
            "overdue_inspections": f.overdue_inspections, "faults_reported": f.faults_reported,
            "open_faults": f.open_faults, "overdue_faults": f.overdue_faults,
        }
        for code, f in figures.items()
    }


def compute_village_stats(prefix: str, today: datetime.date) -> list[VillageStats]:
    """Fresh VillageStats objects (not saved) for every village below ``prefix``."""
    projects, allocations, payments = _project_rows(prefix, today), _allocation_rows(prefix), _disbursement_rows(prefix)
    upkeep = _maintenance_rows(prefix, today)
    upkeep_money = _upkeep_money_rows(prefix)
    villages = Village.objects.filter(code__startswith=prefix).values_list("code", "category", "latitude", "longitude")
    result = []
    for code, category, lat, lon in villages.order_by("code").iterator(chunk_size=5000):
        values = {**projects.get(code, {}), **allocations.get(code, {}), **payments.get(code, {}), **upkeep.get(code, {}),
                  **upkeep_money.get(code, {})}
        result.append(VillageStats(
            village_id=code, category=category, has_location=lat is not None and lon is not None, computed_on=today, **values
        ))
    return result


def compute_township_stats(prefix: str, today: datetime.date) -> list[TownshipStats]:
    """Fresh TownshipStats (not saved): the sums of the VillageStats of each township below ``prefix``."""
    prefix = prefix[:9]
    additive = StatsColumns.additive_fields()
    rows = (
        VillageStats.objects.filter(village__code__startswith=prefix)
        .annotate(township=Substr("village_id", 1, 9)).values("township")
        .annotate(
            **{f"t_{name}": Sum(name) for name in additive},
            t_villages=Count("village_id"),
            t_stale_villages=Count("village_id", filter=Q(stale_projects__gt=0)),
            t_located=Count("village_id", filter=Q(has_location=True)),
            t_last_report_on=Max("last_report_on"),
            **{f"t_category_{c}": Count("village_id", filter=Q(category=c)) for c in VillageCategory.values},
        )
        .order_by("township")
    )
    known = set(Region.objects.filter(code__startswith=prefix, level="township").values_list("code", flat=True))
    result = []
    for row in rows:
        if row["township"] not in known:
            continue
        values = {key[2:]: value for key, value in row.items() if key.startswith("t_")}
        result.append(TownshipStats(township_id=row["township"], computed_on=today, **values))
    return result


# Reporting discipline (按时上报率), per township and calendar month, after DHIS2's reporting rate (reports received /
# expected) and reporting rate on time (received by the deadline / expected):
# - expected in month M: a project open during M, from its stored dates: construction started by the end of M
#   (actual_start, set when it first goes under construction; drafts, submitted, returned and approved-not-started
#   projects have none) and not finished before M (actual_end, set on completion, on or after the first of M; an
#   accepted project was completed first), nor cancelled before M (the local date of its move to cancelled, from the
#   timeline; a cancelled project without that row is never expected). A suspended project stays expected: it is
#   still open (OPEN_STATUSES), may report, and its monthly report says why it has stopped. Months run up to today's.
# - reported: an expected project with at least one progress report whose report_date falls in M;
# - on time: one of those whose first report of M (by created_at, the local date) was entered no later than the
#   deadline, the last day of M plus REPORTING_GRACE_DAYS.
# Rates are reported / expected and on_time / expected, none when nothing is expected (reporting_rate()).
REPORTING_GRACE_DAYS = 5


def month_after(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def reporting_deadline(month: datetime.date) -> datetime.date:
    """The last day on which a report of ``month`` (its first day) is entered on time."""
    return month_after(month) - datetime.timedelta(days=1) + datetime.timedelta(days=REPORTING_GRACE_DAYS)


def reporting_rate(part: int, expected: int) -> Decimal | None:
    """``part`` of ``expected`` in percent (one decimal), or None when nothing was expected."""
    if not expected:
        return None
    return (Decimal(100) * part / expected).quantize(Decimal("0.1"))


def _months(first: datetime.date, last: datetime.date):
    """The first days of the months from ``first`` to ``last`` (first days of months), both included."""
    month = first
    while month <= last:
        yield month
        month = month_after(month)


def expected_months(prefix: str, today: datetime.date) -> dict[int, tuple[str, datetime.date, datetime.date]]:
    """{project id: (village code, first month, last month)}: the projects below ``prefix`` expected to report in
    every month from the first to the last (first days; up to today's month). One query."""
    cancelled_on = Subquery(
        ProjectTransition.objects.filter(project=OuterRef("pk"), to_status=ProjectStatus.CANCELLED)
        .order_by("-at", "-id").values("at")[:1]
    )
    rows = (
        Project.objects.filter(village__code__startswith=prefix, actual_start__isnull=False)
        .exclude(status__in=(ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED))
        .annotate(cancelled_at=Case(When(status=ProjectStatus.CANCELLED, then=cancelled_on), default=None))
        .values_list("id", "village_id", "status", "actual_start", "actual_end", "cancelled_at").order_by()
    )
    result = {}
    for pk, village, status, start, end, cancelled_at in rows.iterator(chunk_size=5000):
        if status == ProjectStatus.CANCELLED:
            if cancelled_at is None:
                continue
            end = timezone.localdate(cancelled_at)
        first, last = start.replace(day=1), min(end or today, today).replace(day=1)
        if first <= last:
            result[pk] = (village, first, last)
    return result


def compute_township_months(prefix: str, today: datetime.date | None = None) -> list[TownshipMonth]:
    """Fresh TownshipMonth objects (not saved) for every township below ``prefix`` (9 digits at most)."""
    prefix = prefix[:9]
    today = today or timezone.localdate()
    # Per project and month: its reports, and when the first was entered.
    reports = (
        ProgressReport.objects.filter(project__village__code__startswith=prefix)
        .annotate(month=TruncMonth("report_date"))
        .values("project_id", "project__village_id", "month").annotate(n=Count("id"), first=Min("created_at")).order_by()
    )
    payments = (
        Disbursement.objects.filter(allocation__project__village__code__startswith=prefix)
        .annotate(township=Substr("allocation__project__village_id", 1, 9), month=TruncMonth("paid_on"))
        .values("township", "month").annotate(total=_money_sum("amount")).order_by()
    )
    expected = expected_months(prefix, today)
    months: dict[tuple, TownshipMonth] = {}

    def row_of(township: str, month: datetime.date) -> TownshipMonth:
        key = (township, month)
        if key not in months:
            months[key] = TownshipMonth(township_id=township, month=month)
        return months[key]

    for village, first, last in expected.values():
        for month in _months(first, last):
            row_of(village[:9], month).expected += 1
    for row in reports.iterator(chunk_size=5000):
        month = _as_date(row["month"])
        counted = row_of(row["project__village_id"][:9], month)
        counted.reports += row["n"]
        _village, first, last = expected.get(row["project_id"], ("", None, None))
        if first is not None and first <= month <= last:
            counted.reported += 1
            if timezone.localdate(row["first"]) <= reporting_deadline(month):
                counted.on_time += 1
    for row in payments:
        row_of(row["township"], _as_date(row["month"])).disbursed = row["total"]
    known = set(Region.objects.filter(code__in={t for t, _m in months}).values_list("code", flat=True))
    return [m for key, m in sorted(months.items()) if key[0] in known]


def compute_township_outputs(prefix: str) -> list[AreaOutput]:
    """Fresh AreaOutput objects (not saved) for every township below ``prefix`` (9 digits at most): the accepted
    output of each year and project type, and the villages promoted each year to each category."""
    from assessment.models import Promotion
    from planning.models import CREATION_KINDS

    prefix = prefix[:9]
    kind_of_category = {category: str(kind) for kind, category in CREATION_KINDS.items()}
    rows: dict[tuple, Decimal] = {}
    for row in (
        Project.objects.filter(village__code__startswith=prefix, status=ProjectStatus.ACCEPTED, accepted_on__isnull=False)
        .annotate(township=Substr("village_id", 1, 9), year=ExtractYear("accepted_on"))
        .values("township", "year", "type").annotate(total=_money_sum("actual_output")).order_by()
    ):
        rows[(row["township"], row["year"], row["type"])] = row["total"]
    for row in (
        Promotion.objects.filter(village__code__startswith=prefix, to_category__in=list(kind_of_category))
        .annotate(township=Substr("village_id", 1, 9), year=ExtractYear("promoted_on"))
        .values("township", "year", "to_category").annotate(n=Count("id")).order_by()
    ):
        rows[(row["township"], row["year"], kind_of_category[row["to_category"]])] = Decimal(row["n"])
    known = set(Region.objects.filter(code__in={t for t, _y, _k in rows}).values_list("code", flat=True))
    return [AreaOutput(region_id=t, level=AreaOutput.Level.TOWNSHIP, year=y, kind=k, output=v)
            for (t, y, k), v in sorted(rows.items()) if t in known]


def compute_county_outputs(prefix: str) -> list[AreaOutput]:
    """Fresh county rows (not saved) for the counties below or above ``prefix``: the sums of their townships'."""
    county = prefix[:6]
    rows = (
        AreaOutput.objects.filter(level=AreaOutput.Level.TOWNSHIP, region__code__startswith=county)
        .annotate(county=Substr("region_id", 1, 6)).values("county", "year", "kind").annotate(total=Sum("output"))
        .order_by("county", "year", "kind")
    )
    known = set(Region.objects.filter(code__startswith=county, level="county").values_list("code", flat=True))
    return [AreaOutput(region_id=row["county"], level=AreaOutput.Level.COUNTY, year=row["year"], kind=row["kind"],
                       output=row["total"]) for row in rows if row["county"] in known]


def compute_county_stats(prefix: str, today: datetime.date) -> list[CountyStats]:
    """Fresh CountyStats (not saved) for the counties below or above ``prefix``: the sums of their townships' rows
    (which must be current)."""
    county = prefix[:6]
    rows = (
        TownshipStats.objects.filter(township__code__startswith=county)
        .annotate(county=Substr("township_id", 1, 6)).values("county")
        .annotate(**{f"c_{name}": Sum(name) for name in AreaSums.summed_fields()}, c_last_report_on=Max("last_report_on"))
        .order_by("county")
    )
    known = set(Region.objects.filter(code__startswith=county, level="county").values_list("code", flat=True))
    return [CountyStats(county_id=row["county"], computed_on=today,
                        **{key[2:]: value for key, value in row.items() if key.startswith("c_")})
            for row in rows if row["county"] in known]


def compute_county_months(prefix: str) -> list[CountyMonth]:
    """Fresh CountyMonth objects (not saved) for the counties below or above ``prefix``: their townships' months
    added up (which must be current)."""
    county = prefix[:6]
    rows = (
        TownshipMonth.objects.filter(township__code__startswith=county)
        .annotate(county=Substr("township_id", 1, 6)).values("county", "month")
        .annotate(**{f"c_{name}": Sum(name) for name in MonthColumns.SUMMED})
        .order_by("county", "month")
    )
    known = set(Region.objects.filter(code__startswith=county, level="county").values_list("code", flat=True))
    return [CountyMonth(county_id=row["county"], month=row["month"],
                        **{key[2:]: value for key, value in row.items() if key.startswith("c_")})
            for row in rows if row["county"] in known]


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


@transaction.atomic
def rebuild(prefix: str = "", today: datetime.date | None = None, *, analyze_after: bool | None = None) -> int:
    """Recompute the summary rows below ``prefix`` (everything when empty). Returns the villages rebuilt.

    analyze_after: refresh the planner's statistics once committed (by default for a city or wider)."""
    today = today or timezone.localdate()
    # Concurrent rebuilds of the same township (two villages changed at once) take turns:
    # each locks the township rows it rewrites, in code order.
    list(
        Region.objects.select_for_update(of=("self",)).filter(level="township", code__startswith=prefix[:9])
        .order_by("code").values_list("code", flat=True)
    )
    stats = compute_village_stats(prefix, today)
    VillageStats.objects.filter(village__code__startswith=prefix).delete()
    VillageStats.objects.bulk_create(stats, batch_size=2000)
    township_prefix = prefix[:9]
    township_stats = compute_township_stats(township_prefix, today)
    TownshipStats.objects.filter(township__code__startswith=township_prefix).delete()
    TownshipStats.objects.bulk_create(township_stats, batch_size=2000)
    TownshipMonth.objects.filter(township__code__startswith=township_prefix).delete()
    TownshipMonth.objects.bulk_create(compute_township_months(township_prefix, today), batch_size=2000)
    AreaOutput.objects.filter(level=AreaOutput.Level.TOWNSHIP, region__code__startswith=township_prefix).delete()
    AreaOutput.objects.bulk_create(compute_township_outputs(township_prefix), batch_size=2000)
    # The counties' rows: their townships' sums (the whole county, whatever part of it was rebuilt), under the
    # counties' row locks, taken after the townships' (the same order in every rebuild).
    list(Region.objects.select_for_update(of=("self",)).filter(level="county", code__startswith=prefix[:6])
         .order_by("code").values_list("code", flat=True))
    AreaOutput.objects.filter(level=AreaOutput.Level.COUNTY, region__code__startswith=prefix[:6]).delete()
    AreaOutput.objects.bulk_create(compute_county_outputs(prefix), batch_size=2000)
    CountyStats.objects.filter(county__code__startswith=prefix[:6]).delete()
    CountyStats.objects.bulk_create(compute_county_stats(prefix, today), batch_size=2000)
    CountyMonth.objects.filter(county__code__startswith=prefix[:6]).delete()
    CountyMonth.objects.bulk_create(compute_county_months(prefix), batch_size=2000)
    # The villages' status blocks (the bulk feed's snapshots), last: stamping them takes the one lock that orders
    # every snapshot write (dashboard.status._stamp), held from here to the commit.
    from .status import store_blocks

    store_blocks(prefix, today, stats)
    if analyze_after if analyze_after is not None else len(prefix) <= 4:  # a large rebuild: fresh planner statistics
        transaction.on_commit(lambda: analyze(VillageStats, TownshipStats, TownshipMonth, CountyStats, CountyMonth, AreaOutput, VillageStatus))
    return len(stats)


def rebuild_all(today: datetime.date | None = None) -> int:
    """Rebuild every village, one county per transaction; forget the outbox rows recorded before it began.

    Each county's rebuild reads data committed after the outbox rows below ``last`` (they were committed when
    read), so those changes are summarised; rows recorded meanwhile stay for the sweeper."""
    today = today or timezone.localdate()
    last = VillageChange.objects.order_by("-id").values_list("id", flat=True).first()
    counties = Region.objects.filter(level="county").order_by("code").values_list("code", flat=True)
    villages = sum(rebuild(code, today, analyze_after=False) for code in counties)
    if last is not None:
        VillageChange.objects.filter(id__lte=last).delete()
    analyze(VillageStats, TownshipStats, TownshipMonth, CountyStats, CountyMonth, AreaOutput, VillageStatus)
    return villages


def drain(village_codes: list[str] | None = None, *, limit: int = 2000) -> int:
    """Rebuild the villages the outbox names (all of them, or only these codes, at most ``limit``), and forget
    their rows. Villages of one township are rebuilt together, in one transaction. Returns the villages named.

    A row recorded after this read has a higher id and stays for the next drain. Safe to run twice at once:
    rebuild() locks the township rows it rewrites, and deleting rows already deleted deletes nothing."""
    pending = VillageChange.objects.values("village_code").annotate(last=Max("id")).order_by("last")
    if village_codes is not None:
        pending = pending.filter(village_code__in=village_codes)
    by_township: dict[str, dict[str, int]] = {}
    for row in pending[:limit]:
        by_township.setdefault(row["village_code"][:9], {})[row["village_code"]] = row["last"]
    today = timezone.localdate()
    for township, villages in by_township.items():
        with transaction.atomic():
            (code,) = villages if len(villages) == 1 else (township,)
            rebuild(code, today)
            for village_code, last in villages.items():
                VillageChange.objects.filter(village_code=village_code, id__lte=last).delete()
    return sum(len(villages) for villages in by_township.values())


def village_changed(village_code: str) -> None:
    """Ask for the village's summary rows to be rebuilt once the current transaction commits (dashboard/apps.py
    calls it on core.signals.village_figures_changed; the outbox row is already written).

    The change itself is committed by then: if the broker cannot be reached, the request must not
    fail for it. The miss is logged and the sweeper catches up from the outbox."""
    transaction.on_commit(lambda: _enqueue(village_code))


def _enqueue(village_code: str) -> None:
    from .tasks import refresh_village_stats

    try:
        refresh_village_stats.delay(village_code)
    except OperationalError:
        logger.warning("dashboard: could not queue the refresh of %s; the sweeper will catch up", village_code,
                       exc_info=True)
    except (Retry, DatabaseError):
        # Run in-process (no broker): a failed refresh must not turn a committed change into an error.
        logger.warning("dashboard: the refresh of %s failed; the sweeper will catch up", village_code, exc_info=True)


STAT_FIELDS = [f.name for f in VillageStats._meta.concrete_fields if f.name not in ("computed_at",)]
