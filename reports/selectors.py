"""Reads of the reports app. Report jobs go through the gate: a job is placed by its region, so a user sees (and
downloads) the reports of regions their roles cover, whoever asked for them. Below them, the queries of each
report kind (reports.kinds lays their rows out)."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank, Substr
from django.http import QueryDict
from django.utils import timezone

from assessment.models import Assessment, AssessmentStatus, FollowUp, FollowUpStatus, Grade, SchemeKind
from core.scoping import SYSTEM, reader_of, restrict
from dashboard.models import TownshipMonth, TownshipStats, VillageStats
from dashboard.selectors import Reporting, dashboard
from funding import selectors as funding_selectors
from funding.filters import AllocationFilterSet, DisbursementFilterSet, FundingSourceFilterSet
from funding.models import Allocation, Disbursement
from projects.models import ProgressReport, Project, ProjectStatus
from projects.rules import overdue_q
from villages.models import VILLAGE_CODE_LENGTH, Village
from villages.selectors import area_names

from .models import ReportJob


def job_list(*, user) -> QuerySet:
    return restrict(ReportJob.objects.select_related("region", "requester"), user)


def job_status(job: ReportJob) -> dict:
    """What the progress bar polls (the page and the API show the same fields)."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.progress,
        "error": job.error,
        "rows": job.rows,
        "attempts": job.attempts,
        "size": job.size,
        "downloadable": job.downloadable,
        "expired": job.expired_at is not None,
        "queued": job.dispatched_at is not None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "started_display": _local(job.started_at),
        "finished_display": _local(job.finished_at),
    }


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


# --- What the reports read (reports.kinds lays it out) -------------------------------------------------------
#
# Everything below the job's region, read for no one in particular (the requester's scope was checked when the
# job was requested). Long lists are querysets to iterate with ``.iterator(chunk_size=CHUNK)`` (a server-side
# cursor on PostgreSQL), so memory does not grow with the size of the region; short ones (a few hundred areas)
# are returned as lists or dictionaries.

CHUNK = 5000
ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=18, decimal_places=2)


def money_sum(field: str):
    return Coalesce(Sum(field), Value(ZERO), output_field=MONEY_FIELD)


def month_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    year, month = (int(part) for part in period.split("-"))
    first = datetime.date(year, month, 1)
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, following


# Progress

def region_dashboard(region, today: datetime.date):
    """The dashboard of the region (every figure of the summary), read for no one in particular."""
    return dashboard(user=SYSTEM, region=region, today=today)


def township_sums(prefix: str, length: int):
    """TownshipStats summed per area of ``length`` digits below ``prefix`` (one grouped query)."""
    sums = {name: Coalesce(Sum(name), 0) for name in ("projects", "live_projects", "percent_sum", "overdue_projects",
                                                      "villages", "stale_villages")}
    sums.update({name: money_sum(name) for name in ("budget", "allocated", "disbursed")})
    return (
        TownshipStats.objects.filter(township__code__startswith=prefix).annotate(area=Substr("township_id", 1, length))
        .values("area").annotate(**sums).order_by("area")
    )


@dataclass
class MonthFigures(Reporting):
    """An area's month: its progress reports, and its reporting discipline (projects expected to report, reported,
    reported on time: dashboard.stats)."""

    reports: int = 0


def month_figures_by_area(prefix: str, length: int, first: datetime.date) -> dict[str, MonthFigures]:
    """The month starting ``first``, per area of ``length`` digits (townships and above; none for villages): one
    grouped query over the townships' months."""
    if length > 9:
        return {}
    rows = (
        TownshipMonth.objects.filter(township__code__startswith=prefix, month=first)
        .annotate(area=Substr("township_id", 1, length)).values("area")
        .annotate(n=Sum("reports"), e=Sum("expected"), r=Sum("reported"), o=Sum("on_time")).order_by()
    )
    return {row["area"]: MonthFigures(expected=row["e"], reported=row["r"], on_time=row["o"], reports=row["n"]) for row in rows}


def month_figures_total(prefix: str, first: datetime.date) -> MonthFigures:
    """The region's month (a region without any row: nothing reported, nothing expected)."""
    return month_figures_by_area(prefix, len(prefix), first).get(prefix, MonthFigures())


VILLAGE_ROW = ("village_id", "village__short_name", "village__township__name", "category", "projects", "live_projects",
               "percent_sum", "status_under_construction", "status_completed", "status_accepted", "overdue_projects",
               "stale_projects", "last_report_on", "budget", "allocated", "disbursed")


def village_rows(prefix: str):
    """Village statistics below ``prefix``, in code order, with the village's names (tuples of VILLAGE_ROW)."""
    return VillageStats.objects.filter(village__code__startswith=prefix).values_list(*VILLAGE_ROW).order_by("village_id")


def month_reports_by_village(prefix: str, first: datetime.date, following: datetime.date):
    """(village code, progress reports in the month) in code order, villages with reports only."""
    return (
        ProgressReport.objects.filter(project__village__code__startswith=prefix, report_date__gte=first, report_date__lt=following)
        .values("project__village_id").annotate(n=Count("id")).order_by("project__village_id")
        .values_list("project__village_id", "n")
    )


def grandchildren(code: str, child_length: int, grand_length: int, first: datetime.date) -> dict[str, list]:
    """The areas two levels below ``code`` (a county's villages, a city's townships, a province's counties) with
    their figures, grouped by the area one level below: (code, name, figures, the month's MonthFigures, None for
    villages). One query for villages, three for regions, whatever the number of children; at most a few hundred
    rows."""
    grouped: dict[str, list] = {}
    if grand_length == VILLAGE_CODE_LENGTH:
        for vc, name, _t, _c, p, live, ps, _u, _co, _ac, od, stale, _l, b, a, d in village_rows(code):
            values = {"villages": 1, "projects": p, "live_projects": live, "percent_sum": ps, "overdue_projects": od,
                      "stale_villages": int(stale > 0), "budget": b, "allocated": a, "disbursed": d}
            grouped.setdefault(vc[:child_length], []).append((vc, name, values, None))
        return grouped
    month = month_figures_by_area(code, grand_length, first)
    sums = list(township_sums(code, grand_length))
    names = area_names(row["area"] for row in sums)
    for row in sums:
        area = row["area"]
        grouped.setdefault(area[:child_length], []).append((area, names.get(area, area), row, month.get(area, MonthFigures())))
    return grouped


def overdue_projects(prefix: str, today: datetime.date):
    """Overdue projects below ``prefix``, the longest overdue first."""
    return (
        Project.objects.filter(overdue_q(today), village__code__startswith=prefix)
        .values_list("id", "name", "village_id", "village__short_name", "village__township__name", "type", "status",
                     "planned_end", "percent_complete", "last_reported_on", "responsible_person")
        .order_by("planned_end", "id")
    )


def overdue_count(prefix: str, today: datetime.date) -> int:
    return Project.objects.filter(overdue_q(today), village__code__startswith=prefix).count()


def village_stats_count(prefix: str) -> int:
    return VillageStats.objects.filter(village__code__startswith=prefix).count()


def overdue_head(prefix: str, today: datetime.date, limit: int = 30) -> list:
    """The longest overdue projects with their villages (the PDF summary's list)."""
    return list(Project.objects.filter(overdue_q(today), village__code__startswith=prefix)
                .select_related("village", "village__township").order_by("planned_end", "id")[:limit])


# Funding

def funding_filters(code: str, fiscal_year: str, *, upkeep: bool = False) -> tuple[Q, Q]:
    """(allocations, payments) below the region, of the fiscal year's sources when one is given: construction money
    (to projects), or with ``upkeep`` the upkeep money of assets (管护经费)."""
    if upkeep:
        allocations = Q(village__code__startswith=code, asset__isnull=False)
        payments = Q(allocation__village__code__startswith=code, allocation__asset__isnull=False)
    else:
        allocations = Q(village__code__startswith=code, project__isnull=False)
        payments = Q(allocation__village__code__startswith=code, allocation__project__isnull=False)
    if fiscal_year:
        allocations &= Q(source__fiscal_year=int(fiscal_year))
        payments &= Q(allocation__source__fiscal_year=int(fiscal_year))
    return allocations, payments


def funding_sources_count(code: str, fiscal_year: str) -> int:
    allocations, _payments = funding_filters(code, fiscal_year)
    return Allocation.objects.filter(allocations).values("source_id").distinct().count()


def funding_by_kind(code: str, fiscal_year: str) -> tuple[dict, dict, dict]:
    """Allocated money, disbursed money and number of sources, per source kind."""
    allocations, payments = funding_filters(code, fiscal_year)
    allocated = dict(Allocation.objects.filter(allocations).values("source__kind").annotate(t=money_sum("amount"))
                     .order_by().values_list("source__kind", "t"))
    disbursed = dict(Disbursement.objects.filter(payments).values("allocation__source__kind").annotate(t=money_sum("amount"))
                     .order_by().values_list("allocation__source__kind", "t"))
    sources = dict(Allocation.objects.filter(allocations).values("source__kind")
                   .annotate(n=Count("source_id", distinct=True)).order_by().values_list("source__kind", "n"))
    return allocated, disbursed, sources


def funding_upkeep_by_kind(code: str, fiscal_year: str) -> tuple[dict, dict]:
    """Upkeep money (管护经费) allocated and disbursed below the region, per source kind (counted apart from the
    construction money of funding_by_kind)."""
    allocations, payments = funding_filters(code, fiscal_year, upkeep=True)
    allocated = dict(Allocation.objects.filter(allocations).values("source__kind").annotate(t=money_sum("amount"))
                     .order_by().values_list("source__kind", "t"))
    disbursed = dict(Disbursement.objects.filter(payments).values("allocation__source__kind").annotate(t=money_sum("amount"))
                     .order_by().values_list("allocation__source__kind", "t"))
    return allocated, disbursed


def funding_by_area(code: str, fiscal_year: str, child_length: int) -> tuple[dict, dict]:
    """({area: {"allocated": {kind: money}, "disbursed": money}}, {area: budget of its live projects})."""
    allocations, payments = funding_filters(code, fiscal_year)
    by_area: dict[str, dict] = {}
    for row in (Allocation.objects.filter(allocations).annotate(area=Substr("project__village_id", 1, child_length))
                .values("area", "source__kind").annotate(t=money_sum("amount")).order_by()):
        by_area.setdefault(row["area"], {}).setdefault("allocated", {})[row["source__kind"]] = row["t"]
    for row in (Disbursement.objects.filter(payments).annotate(area=Substr("allocation__project__village_id", 1, child_length))
                .values("area").annotate(t=money_sum("amount")).order_by()):
        by_area.setdefault(row["area"], {})["disbursed"] = row["t"]
    budget = dict(
        Project.objects.filter(village__code__startswith=code).exclude(status=ProjectStatus.CANCELLED)
        .annotate(area=Substr("village_id", 1, child_length)).values("area").annotate(t=money_sum("budget")).order_by()
        .values_list("area", "t")
    )
    return by_area, budget


def funding_sources(code: str, fiscal_year: str):
    """(sources with money below the region, in id order; (source id, disbursed below the region) in id order)."""
    allocations, payments = funding_filters(code, fiscal_year)
    sources = (
        Allocation.objects.filter(allocations).values("source_id")
        .annotate(allocated=money_sum("amount")).order_by("source_id")
        .values_list("source_id", "source__name", "source__kind", "source__region__name", "source__fiscal_year",
                     "source__total_amount", "allocated", "source__document_no")
    )
    paid = (Disbursement.objects.filter(payments).values("allocation__source_id").annotate(t=money_sum("amount"))
            .order_by("allocation__source_id").values_list("allocation__source_id", "t"))
    return sources, paid


# Ranking

def _finalised_annual(code: str):
    return Assessment.objects.filter(status=AssessmentStatus.FINALISED, scheme__kind=SchemeKind.ANNUAL,
                                     village__code__startswith=code)


def latest_ranking_period(code: str) -> str | None:
    return _finalised_annual(code).aggregate(p=Max("period"))["p"]


def ranking_counts(code: str, period: str) -> tuple[int, int]:
    """(assessments ranked, follow-ups) of the period below the region."""
    ranked = _finalised_annual(code).filter(period=period).count()
    follow_ups = FollowUp.objects.filter(assessment__period=period, village__code__startswith=code).count()
    return ranked, follow_ups


def ranking_follow_ups(code: str, period: str):
    return FollowUp.objects.filter(assessment__period=period, assessment__scheme__kind=SchemeKind.ANNUAL,
                                   village__code__startswith=code)


def ranking_by_county(code: str, period: str) -> tuple[list[dict], dict[str, dict]]:
    """Per county: villages ranked, their total score and the number per grade; and its follow-ups (all, open)."""
    per_county = list(
        _finalised_annual(code).filter(period=period)
        .annotate(county=Substr("village_id", 1, 6)).values("county")
        .annotate(n=Count("id"), total=Sum("total_score"), **{f"g_{g}": Count("id", filter=Q(grade=g)) for g in Grade.values})
        .order_by("county")
    )
    follow_counts = {
        row["county"]: row for row in ranking_follow_ups(code, period).annotate(county=Substr("village_id", 1, 6))
        .values("county").annotate(n=Count("id"), open=Count("id", filter=~Q(status=FollowUpStatus.CLOSED))).order_by()
    }
    return per_county, follow_counts


def ranking(code: str, period: str):
    """Every village's assessment of the period, ranked in its county and its township, by county then rank."""
    county = Substr("village_id", 1, 6)
    return (
        _finalised_annual(code).filter(period=period)
        .annotate(
            county=county,
            county_rank=Window(Rank(), partition_by=[county, F("scheme_id")], order_by=F("total_score").desc()),
            township_rank=Window(Rank(), partition_by=[F("village__township_id"), F("scheme_id")], order_by=F("total_score").desc()),
            ranked=Window(Count("id"), partition_by=[county, F("scheme_id")]),
        )
        .values_list("county", "county_rank", "ranked", "township_rank", "village_id", "village__short_name",
                     "village__township__name", "total_score", "grade", "scheme__name", "follow_up__status", "follow_up__due_date")
        .order_by("county", "scheme_id", "county_rank", "village_id")
    )


def ranking_follow_up_rows(code: str, period: str):
    return (ranking_follow_ups(code, period)
            .values_list("village_id", "village__short_name", "village__township__name", "rank", "ranked_among",
                         "status", "due_date", "talk_held_on", "rectified_on", "reinspected_on")
            .order_by("village_id"))


# Roster

def village_count(prefix: str) -> int:
    return Village.objects.filter(code__startswith=prefix).count()


ROSTER_ROW = ("code", "short_name", "name", "township__name", "kind", "category", "joined_year", "stats__projects",
              "stats__live_projects", "stats__status_under_construction", "stats__percent_sum", "stats__overdue_projects",
              "stats__stale_projects", "stats__last_report_on", "stats__budget", "stats__allocated", "stats__disbursed",
              "latest_period", "latest_score", "latest_grade", "open_follow_ups")


def roster(prefix: str):
    """Every village below ``prefix`` in code order, with its figures, its latest finalised annual assessment and
    its open follow-ups: one statement (one snapshot), tuples of ROSTER_ROW (figures are None for a village
    without statistics, the assessment's for a village never assessed)."""
    latest = (Assessment.objects.filter(village_id=OuterRef("code"), status=AssessmentStatus.FINALISED,
                                        scheme__kind=SchemeKind.ANNUAL).order_by("-period", "-id"))
    open_follow_ups = (FollowUp.objects.filter(village_id=OuterRef("code")).exclude(status=FollowUpStatus.CLOSED)
                       .order_by().values("village_id").annotate(n=Count("id")).values("n"))
    return (
        Village.objects.filter(code__startswith=prefix)
        .annotate(latest_period=Subquery(latest.values("period")[:1]), latest_score=Subquery(latest.values("total_score")[:1]),
                  latest_grade=Subquery(latest.values("grade")[:1]),
                  open_follow_ups=Coalesce(Subquery(open_follow_ups, output_field=IntegerField()), 0))
        .values_list(*ROSTER_ROW).order_by("code")
    )


# Ledger: the ledger pages' three lists, as a region's own users see them, through the pages' FilterSets

LEDGER_FILTERSETS = (FundingSourceFilterSet, AllocationFilterSet, DisbursementFilterSet)


def ledger_data(params: dict) -> QueryDict:
    """A ledger report's filters ({name: value or [values]}) as the query string the ledger pages had."""
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return data


def _ledger_lists(code: str, params: dict):
    reader = reader_of(code)
    data = ledger_data(params)
    return (
        FundingSourceFilterSet(data, queryset=funding_selectors.source_list(user=reader)).qs.order_by("pk"),
        AllocationFilterSet(data, queryset=funding_selectors.allocation_list(user=reader)).qs.order_by("pk"),
        DisbursementFilterSet(data, queryset=funding_selectors.disbursement_list(user=reader)).qs.order_by("pk"),
    )


def ledger_counts(code: str, params: dict) -> int:
    return sum(queryset.count() for queryset in _ledger_lists(code, params))


def ledger(code: str, params: dict):
    """(sources as instances with their figures, allocations and payments as tuples) in id order. Tuples, not model
    instances: a province has 270,000 allocations (five related objects each as instances)."""
    sources, allocations, payments = _ledger_lists(code, params)
    return (
        sources,
        # The project of construction money, or the asset of upkeep money.
        allocations.annotate(target=Coalesce("project__name", "asset__name")).values_list(
            "pk", "allocated_on", "source__name", "source__kind", "target", "village__short_name", "village_id", "amount",
            "disbursed", "reverses_id", "reason"),
        payments.annotate(target=Coalesce("allocation__project__name", "allocation__asset__name")).values_list(
            "pk", "paid_on", "voucher_no", "allocation_id", "allocation__source__name", "target", "allocation__village_id",
            "amount", "reverses_id", "reason"),
    )


# --- maintenance ---------------------------------------------------------------------------------------------

def maintenance_assets(prefix: str, today: datetime.date):
    """Every asset below the region (in service or retired), in village and id order, as tuples, with its current
    keeper, its last inspection and its open and overdue faults (subqueries: one statement, streamed)."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery

    from maintenance.models import OPEN_FAULT_STATUSES, Asset, Fault, Inspection, InspectionStatus, KeeperAssignment

    current = KeeperAssignment.objects.filter(asset=OuterRef("pk"), ends_on__isnull=True).order_by("-starts_on")
    last = Inspection.objects.filter(asset=OuterRef("pk"), status=InspectionStatus.DONE).order_by("-done_on", "-id")

    def faults(**conditions):
        return Subquery(
            Fault.objects.filter(asset=OuterRef("pk"), status__in=OPEN_FAULT_STATUSES, **conditions).order_by()
            .values("asset").annotate(n=Count("pk")).values("n"), output_field=IntegerField(),
        )

    return (
        Asset.objects.filter(village__code__startswith=prefix).order_by("village_id", "id")
        .annotate(
            keeper_name=Subquery(current.values("keeper__name")[:1]), keeper_phone=Subquery(current.values("keeper__phone")[:1]),
            chief=Subquery(current.values("chief_type")[:1]), last_done=Subquery(last.values("done_on")[:1]),
            last_condition=Subquery(last.values("condition")[:1]), open_faults=faults(), overdue_faults=faults(deadline__lt=today),
        )
        .values_list(
            "pk", "village_id", "village__short_name", "village__township__name", "kind", "name", "quantity", "unit",
            "commissioned_on", "owner_kind", "owner_name", "maintenance_body", "status", "keeper_name", "keeper_phone",
            "chief", "last_done", "last_condition", "open_faults", "overdue_faults",
        )
    )


def maintenance_asset_count(prefix: str) -> int:
    from maintenance.models import Asset

    return Asset.objects.filter(village__code__startswith=prefix).count()


def maintenance_overdue(prefix: str, today: datetime.date):
    """Overdue inspections and overdue repairs below the region, the longest overdue first."""
    from maintenance.models import Fault, Inspection
    from maintenance.selectors import fault_overdue_q, inspection_overdue_q

    inspections = (
        Inspection.objects.filter(inspection_overdue_q(today), asset__village__code__startswith=prefix).order_by("due_on", "id")
        .values_list("asset__village_id", "asset__village__short_name", "asset__name", "asset__kind", "due_on")
    )
    faults = (
        Fault.objects.filter(fault_overdue_q(today), asset__village__code__startswith=prefix).order_by("deadline", "id")
        .values_list("asset__village_id", "asset__village__short_name", "asset__name", "severity", "description",
                     "reported_on", "deadline", "status")
    )
    return inspections, faults
