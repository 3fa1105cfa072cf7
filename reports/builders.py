"""What each report contains, written as a stream to a file.

A builder takes the job's region and period, reads everything below the region
(the requester's scope was checked when the job was requested), and writes
rows as they come from the database: querysets are iterated with
``.iterator(chunk_size=...)`` and rows go straight to the writer (reports.xlsx
for workbooks, csv for CSV), so memory does not grow with the size of the
region. Lists that are merged with a stream (latest assessments beside the
village roster) are merged in code order, not loaded.

Builders call ``tick(rows)`` as they go; the task turns that into the job's
progress percent and heartbeat.
"""
from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Max,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Ord, Rank, Round, Substr
from django.db.models.lookups import In
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Assessment, AssessmentStatus, FollowUp, FollowUpStatus, Grade, SchemeKind
from core.exceptions import InvalidInput
from core.exports import DANGEROUS_PREFIXES, safe_row
from core.scoping import SYSTEM, reader_of
from dashboard.models import TownshipMonth, TownshipStats, VillageStats
from dashboard.selectors import completion, dashboard
from funding import selectors as funding_selectors
from funding.filters import AllocationFilterSet, DisbursementFilterSet, FundingSourceFilterSet
from funding.models import Allocation, Disbursement, SourceKind
from projects.models import ProgressReport, Project, ProjectStatus, ProjectType
from projects.rules import overdue_q
from villages.models import (
    CHILD_CODE_LENGTH,
    CODE_LENGTH,
    VILLAGE_CODE_LENGTH,
    Region,
    RegionLevel,
    Village,
    VillageCategory,
    VillageKind,
)
from villages.selectors import area_names

from . import xlsx
from .models import ReportFormat, ReportJob, ReportKind
from .xlsx import AUTO, DATE, DECIMAL1, INTEGER, MONEY, TEXT, Chart, Column

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=18, decimal_places=2)
CHUNK = 5000
Tick = Callable[[int], None]


class Ticker:
    """Counts the rows written and reports them to ``tick`` every CHUNK rows (and at ``flush``)."""

    def __init__(self, tick: Tick):
        self.tick, self.count, self.pending = tick, 0, 0

    def __call__(self, rows: int = 1) -> None:
        self.count += rows
        self.pending += rows
        if self.pending >= CHUNK:
            self.flush()

    def flush(self) -> None:
        self.tick(self.pending)
        self.pending = 0


@dataclass
class Plan:
    """What a run will write: the number of rows expected (for the progress percent)."""

    rows: int


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def month_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    year, month = (int(part) for part in period.split("-"))
    first = datetime.date(year, month, 1)
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, following


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _title(job: ReportJob, region: Region) -> str:
    period = f" {job.period}" if job.period else ""
    return f"{region.name} · {job.get_kind_display()}{period}"


def _generated_line(now) -> str:
    return _("Generated %(when)s") % {"when": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")}


# --- Progress ----------------------------------------------------------------------------------

AREA_COLUMNS = lambda: [  # noqa: E731 - built per call so the labels follow the active language
    Column(_("code"), TEXT, 14), Column(_("name"), TEXT, 18), Column(_("villages"), INTEGER, 9),
    Column(_("projects"), INTEGER, 9), Column(_("live projects"), INTEGER, 10), Column(_("completion (%)"), DECIMAL1, 11),
    Column(_("overdue projects"), INTEGER, 10), Column(_("villages with no report in 30 days"), INTEGER, 14),
    Column(_("budget (yuan)"), MONEY, 16), Column(_("allocated (yuan)"), MONEY, 16), Column(_("disbursed (yuan)"), MONEY, 16),
    Column(_("execution rate (%)"), DECIMAL1, 11), Column(_("progress reports this month"), INTEGER, 12),
]


def _area_row(code, name, values: dict, month_reports: int | None) -> list:
    return [
        code, name, values.get("villages"), values["projects"], values["live_projects"],
        completion(values["percent_sum"], values["live_projects"]), values["overdue_projects"], values.get("stale_villages"),
        values["budget"], values["allocated"], values["disbursed"], _pct(values["disbursed"], values["allocated"]), month_reports,
    ]


def _township_sums(prefix: str, length: int):
    """TownshipStats summed per area of ``length`` digits below ``prefix`` (one grouped query)."""
    sums = {name: Coalesce(Sum(name), 0) for name in ("projects", "live_projects", "percent_sum", "overdue_projects",
                                                      "villages", "stale_villages")}
    sums.update({name: Coalesce(Sum(name), Value(ZERO), output_field=MONEY_FIELD) for name in ("budget", "allocated", "disbursed")})
    return (
        TownshipStats.objects.filter(township__code__startswith=prefix).annotate(area=Substr("township_id", 1, length))
        .values("area").annotate(**sums).order_by("area")
    )


def _month_reports_by_area(prefix: str, length: int, first: datetime.date) -> dict[str, int]:
    if length > 9:
        return {}
    rows = (
        TownshipMonth.objects.filter(township__code__startswith=prefix, month=first)
        .annotate(area=Substr("township_id", 1, length)).values("area").annotate(n=Sum("reports")).order_by()
    )
    return {row["area"]: row["n"] for row in rows}


def _village_rows(prefix: str):
    """Village statistics below ``prefix``, in code order, with the village's names (a stream of tuples)."""
    return (
        VillageStats.objects.filter(village__code__startswith=prefix)
        .values_list(
            "village_id", "village__short_name", "village__township__name", "category", "projects", "live_projects",
            "percent_sum", "status_under_construction", "status_completed", "status_accepted", "overdue_projects",
            "stale_projects", "last_report_on", "budget", "allocated", "disbursed",
        )
        .order_by("village_id")
    )


def _merge(stream, keyed: Iterator, default, key=lambda row: row[0]):
    """Pairs each row of ``stream`` (ordered by ``key(row)``) with the value of ``keyed`` ((key, value) pairs in
    the same order; the first pair of a key wins) for the same key, or ``default``: a merge join of two ordered
    streams, in constant memory."""
    pending = next(keyed, None)
    for row in stream:
        key_value = key(row)
        while pending is not None and pending[0] < key_value:
            pending = next(keyed, None)
        yield row, (pending[1] if pending is not None and pending[0] == key_value else default)


def _grandchildren(code: str, child_length: int, grand_length: int, first: datetime.date) -> dict[str, list]:
    """The areas two levels below ``code`` (a county's villages, a city's townships, a province's counties) with
    their figures, grouped by the area one level below: one query for villages, three for regions, whatever the
    number of children. At most a few hundred rows (the size of one region's second level)."""
    grouped: dict[str, list] = {}
    if grand_length == 12:
        for vc, name, _t, _c, p, live, ps, _u, _co, _ac, od, stale, _l, b, a, d in _village_rows(code):
            values = {"villages": 1, "projects": p, "live_projects": live, "percent_sum": ps, "overdue_projects": od,
                      "stale_villages": int(stale > 0), "budget": b, "allocated": a, "disbursed": d}
            grouped.setdefault(vc[:child_length], []).append((vc, name, values, None))
        return grouped
    month = _month_reports_by_area(code, grand_length, first)
    sums = list(_township_sums(code, grand_length))
    names = area_names(row["area"] for row in sums)
    for row in sums:
        area = row["area"]
        grouped.setdefault(area[:child_length], []).append((area, names.get(area, area), row, month.get(area, 0)))
    return grouped


def plan_progress(job: ReportJob) -> Plan:
    code = job.region_id
    villages = VillageStats.objects.filter(village__code__startswith=code).count()
    overdue = Project.objects.filter(overdue_q(timezone.localdate()), village__code__startswith=code).count()
    return Plan(rows=villages + overdue + 50)


def progress_figures(job: ReportJob, today: datetime.date):
    """The dashboard of the region (every figure of the summary), read for no one in particular."""
    return dashboard(user=SYSTEM, region=job.region, today=today)


def build_progress_xlsx(job: ReportJob, path, tick: Tick) -> int:
    region, code = job.region, job.region_id
    today = timezone.localdate()
    first, following = month_bounds(job.period)
    board = progress_figures(job, today)
    t = board.totals.values
    child_length = CHILD_CODE_LENGTH[len(code)]
    month_total = sum(_month_reports_by_area(code, len(code), first).values()) if len(code) <= 9 else 0
    rows = 0
    with xlsx.Workbook(path) as book:
        # 1. Summary: the region's figures, its areas below (with a chart), projects by status (with a chart).
        sheet = book.add_sheet(_("Summary"), [Column(_("figure"), TEXT, 34), Column(_("value"), AUTO, 18),
                                              Column("", TEXT, 4)], freeze_rows=0, auto_filter=False)
        sheet.title_line(_title(job, region))
        sheet.title_line(_generated_line(timezone.now()) + " · " + _("Figures as of %(day)s") % {"day": board.computed_on or today})
        sheet.blank()
        sheet.header()
        for label, value in [
            (_("villages"), t.get("villages", 0)), (_("projects"), t["projects"]), (_("live projects"), t["live_projects"]),
            (_("completion (%)"), board.totals.completion), (_("overdue projects"), t["overdue_projects"]),
            (_("villages with no report in 30 days"), t.get("stale_villages", 0)),
            (_("budget (yuan)"), t["budget"]), (_("allocated (yuan)"), t["allocated"]), (_("disbursed (yuan)"), t["disbursed"]),
            (_("execution rate (%)"), _pct(t["disbursed"], t["allocated"])),
            (_("progress reports this month"), month_total), (_("open follow-ups"), board.open_follow_ups),
        ]:
            sheet.append([label, value])
        rows += 12
        sheet.blank()
        # Areas below: name, completion, projects (the chart's range).
        sheet.title_line(_("Completion by area"))
        start = sheet.row + 1
        for child in board.children:
            sheet.append([child.name, child.completion if child.completion is not None else 0])
        if board.children:
            sheet.add_chart(Chart(_("Completion by area (%)"), 4, 1, (0, start, sheet.row), [(_("completion (%)"), 1)]))
        rows += len(board.children)
        sheet.blank()
        sheet.title_line(_("Projects by status"))
        start = sheet.row + 1
        for _s, label, n in board.by_status:
            sheet.append([label, n])
        sheet.add_chart(Chart(_("Projects by status"), 4, 23, (0, start, sheet.row), [(_("projects"), 1)]))
        sheet.close()
        tick(rows)

        # 2. One sheet per area below (its own areas, one level further down).
        if len(code) < 9:
            by_child = _grandchildren(code, child_length, CHILD_CODE_LENGTH[child_length], first)
            for child in board.children:
                sheet = book.add_sheet(child.name or child.code, AREA_COLUMNS(), freeze_rows=2)
                sheet.title_line(f"{child.name} {child.code}")
                sheet.header()
                grand = by_child.get(child.code, [])
                for grand_code, name, values, month_reports in grand:
                    sheet.append(_area_row(grand_code, name, values, month_reports))
                sheet.close()
                rows += len(grand)
                tick(len(grand))

        # 3. Every village, with this month's progress reports.
        sheet = book.add_sheet(_("Villages"), [
            Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14), Column(_("township"), TEXT, 14),
            Column(_("category"), TEXT, 12), Column(_("projects"), INTEGER, 9), Column(_("live projects"), INTEGER, 9),
            Column(_("completion (%)"), DECIMAL1, 10), Column(_("under construction"), INTEGER, 10),
            Column(_("completed or accepted"), INTEGER, 10), Column(_("overdue projects"), INTEGER, 9),
            Column(_("no report in 30 days"), INTEGER, 10), Column(_("last progress report"), DATE, 12),
            Column(_("budget (yuan)"), MONEY, 15), Column(_("allocated (yuan)"), MONEY, 15), Column(_("disbursed (yuan)"), MONEY, 15),
            Column(_("execution rate (%)"), DECIMAL1, 10), Column(_("progress reports this month"), INTEGER, 10),
        ])
        sheet.header()
        categories = _labels(VillageCategory.choices)
        month_reports = (
            ProgressReport.objects.filter(project__village__code__startswith=code, report_date__gte=first, report_date__lt=following)
            .values("project__village_id").annotate(n=Count("id")).order_by("project__village_id")
            .values_list("project__village_id", "n").iterator(chunk_size=CHUNK)
        )
        counted = Ticker(tick)
        for row, reports_in_month in _merge(_village_rows(code).iterator(chunk_size=CHUNK), month_reports, 0):
            vc, name, township, category, p, live, ps, building, completed, accepted, od, stale, last, b, a, d = row
            sheet.append([vc, name, township, categories.get(category, category), p, live, completion(ps, live), building,
                          completed + accepted, od, stale, last, b, a, d, _pct(d, a), reports_in_month])
            counted()
        counted.flush()
        rows += counted.count
        sheet.close()

        # 4. Overdue projects, the longest overdue first.
        sheet = book.add_sheet(_("Overdue projects"), [
            Column(_("project ID"), INTEGER, 9), Column(_("project name"), TEXT, 28), Column(_("village code"), TEXT, 14),
            Column(_("village"), TEXT, 12), Column(_("township"), TEXT, 12), Column(_("project type"), TEXT, 12),
            Column(_("status"), TEXT, 10), Column(_("planned end"), DATE, 12), Column(_("days overdue"), INTEGER, 9),
            Column(_("percent complete"), INTEGER, 9), Column(_("last progress report"), DATE, 12),
            Column(_("responsible person"), TEXT, 12),
        ])
        sheet.header()
        types, statuses = _labels(ProjectType.choices), _labels(ProjectStatus.choices)
        overdue = (
            Project.objects.filter(overdue_q(today), village__code__startswith=code)
            .values_list("id", "name", "village_id", "village__short_name", "village__township__name", "type", "status",
                         "planned_end", "percent_complete", "last_reported_on", "responsible_person")
            .order_by("planned_end", "id")
        )
        counted = Ticker(tick)
        for pk, name, vc, village, township, kind, status, end, percent, last, person in overdue.iterator(chunk_size=CHUNK):
            sheet.append([pk, name, vc, village, township, types.get(kind, kind), statuses.get(status, status), end,
                          (today - end).days, percent, last, person])
            counted()
        counted.flush()
        rows += counted.count
        sheet.close()
    return rows


def build_progress_pdf(job: ReportJob, path, tick: Tick) -> int:
    """The summary of the progress report as a PDF (WeasyPrint; Chinese through the Noto CJK fonts)."""
    from django.template.loader import render_to_string

    try:
        from weasyprint import HTML
    except OSError as error:  # Pango is missing on this server
        raise ReportUnavailable(_("PDF output needs the Pango library on the server: %(error)s") % {"error": error}) from None

    today = timezone.localdate()
    board = progress_figures(job, today)
    first, _following = month_bounds(job.period)
    month = sum(_month_reports_by_area(job.region_id, len(job.region_id), first).values()) if len(job.region_id) <= 9 else 0
    tick(10)
    overdue = list(
        Project.objects.filter(overdue_q(today), village__code__startswith=job.region_id)
        .select_related("village", "village__township").order_by("planned_end", "id")[:30]
    )
    html = render_to_string("reports/progress_summary.html", {
        "job": job, "region": job.region, "board": board, "totals": board.totals, "month_reports": month,
        "execution_rate": _pct(board.totals.values["disbursed"], board.totals.values["allocated"]),
        "overdue": overdue, "today": today, "generated": timezone.now(),
        "children": [(c, _pct(c.values["disbursed"], c.values["allocated"])) for c in board.children],
    })
    HTML(string=html).write_pdf(path)
    tick(len(board.children) + len(overdue))
    return len(board.children) + len(overdue) + 12


class ReportUnavailable(Exception):
    """The report cannot be produced on this server (a missing library): the job fails with this message."""


# --- Funding -----------------------------------------------------------------------------------

def _funding_filters(job: ReportJob) -> tuple[Q, Q]:
    code = job.region_id
    allocations = Q(project__village__code__startswith=code)
    payments = Q(allocation__project__village__code__startswith=code)
    if job.period:
        allocations &= Q(source__fiscal_year=int(job.period))
        payments &= Q(allocation__source__fiscal_year=int(job.period))
    return allocations, payments


def plan_funding(job: ReportJob) -> Plan:
    allocations, _payments = _funding_filters(job)
    sources = Allocation.objects.filter(allocations).values("source_id").distinct().count()
    return Plan(rows=sources + len(SourceKind.values) + 40)


def build_funding_xlsx(job: ReportJob, path, tick: Tick) -> int:
    region, code = job.region, job.region_id
    allocations_q, payments_q = _funding_filters(job)
    kinds = _labels(SourceKind.choices)
    money = lambda field: Coalesce(Sum(field), Value(ZERO), output_field=MONEY_FIELD)  # noqa: E731
    allocated_by_kind = dict(Allocation.objects.filter(allocations_q).values("source__kind").annotate(t=money("amount"))
                             .order_by().values_list("source__kind", "t"))
    disbursed_by_kind = dict(Disbursement.objects.filter(payments_q).values("allocation__source__kind").annotate(t=money("amount"))
                             .order_by().values_list("allocation__source__kind", "t"))
    sources_by_kind = dict(Allocation.objects.filter(allocations_q).values("source__kind")
                           .annotate(n=Count("source_id", distinct=True)).order_by().values_list("source__kind", "n"))
    total_allocated = sum(allocated_by_kind.values(), ZERO)
    total_disbursed = sum(disbursed_by_kind.values(), ZERO)
    rows = 0
    with xlsx.Workbook(path) as book:
        # 1. By source kind, with a chart of allocated and disbursed money.
        sheet = book.add_sheet(_("By source kind"), [
            Column(_("kind"), TEXT, 24), Column(_("allocated (yuan)"), MONEY, 18), Column(_("disbursed (yuan)"), MONEY, 18),
            Column(_("execution rate (%)"), DECIMAL1, 12), Column(_("share of allocated (%)"), DECIMAL1, 12),
            Column(_("sources"), INTEGER, 9),
        ], freeze_rows=3)
        sheet.title_line(_title(job, region) + (" · " + _("fiscal year %(year)s") % {"year": job.period} if job.period else ""))
        sheet.title_line(_generated_line(timezone.now()))
        sheet.header()
        start = sheet.row + 1
        for kind in SourceKind.values:
            a, d = allocated_by_kind.get(kind, ZERO), disbursed_by_kind.get(kind, ZERO)
            sheet.append([kinds[kind], a, d, _pct(d, a), _pct(a, total_allocated), sources_by_kind.get(kind, 0)])
        end = sheet.row
        sheet.append([_("all kinds"), total_allocated, total_disbursed, _pct(total_disbursed, total_allocated),
                      _pct(total_allocated, total_allocated), sum(sources_by_kind.values())])
        sheet.add_chart(Chart(_("Allocated and disbursed by source kind (yuan)"), 7, 2, (0, start, end),
                              [(_("allocated (yuan)"), 1), (_("disbursed (yuan)"), 2)]))
        sheet.close()
        rows += len(SourceKind.values) + 1
        tick(rows)

        # 2. By area below: money per kind and execution.
        child_length = CHILD_CODE_LENGTH[len(code)]
        by_area: dict[str, dict] = {}
        for row in (Allocation.objects.filter(allocations_q).annotate(area=Substr("project__village_id", 1, child_length))
                    .values("area", "source__kind").annotate(t=money("amount")).order_by()):
            by_area.setdefault(row["area"], {}).setdefault("allocated", {})[row["source__kind"]] = row["t"]
        for row in (Disbursement.objects.filter(payments_q).annotate(area=Substr("allocation__project__village_id", 1, child_length))
                    .values("area").annotate(t=money("amount")).order_by()):
            by_area.setdefault(row["area"], {})["disbursed"] = row["t"]
        budget = dict(
            Project.objects.filter(village__code__startswith=code).exclude(status=ProjectStatus.CANCELLED)
            .annotate(area=Substr("village_id", 1, child_length)).values("area").annotate(t=money("budget")).order_by()
            .values_list("area", "t")
        )
        names = area_names(set(by_area) | set(budget))
        sheet = book.add_sheet(_("By area"), [
            Column(_("code"), TEXT, 14), Column(_("name"), TEXT, 16), Column(_("budget (yuan)"), MONEY, 16),
            *[Column(kinds[k], MONEY, 15) for k in SourceKind.values],
            Column(_("allocated (yuan)"), MONEY, 16), Column(_("disbursed (yuan)"), MONEY, 16),
            Column(_("execution rate (%)"), DECIMAL1, 11),
        ])
        sheet.header()
        for area in sorted(set(by_area) | set(budget)):
            per_kind = by_area.get(area, {}).get("allocated", {})
            allocated = sum(per_kind.values(), ZERO)
            disbursed = by_area.get(area, {}).get("disbursed", ZERO)
            sheet.append([area, names.get(area, area), budget.get(area, ZERO), *[per_kind.get(k, ZERO) for k in SourceKind.values],
                          allocated, disbursed, _pct(disbursed, allocated)])
            rows += 1
        sheet.close()
        tick(len(names))

        # 3. Every source with money below the region: its total, what went to this region, what was paid.
        sheet = book.add_sheet(_("Sources"), [
            Column(_("ID"), INTEGER, 8), Column(_("name"), TEXT, 30), Column(_("kind"), TEXT, 18),
            Column(_("administering region"), TEXT, 16), Column(_("fiscal year"), INTEGER, 9),
            Column(_("total amount (yuan)"), MONEY, 17), Column(_("allocated here (yuan)"), MONEY, 17),
            Column(_("disbursed here (yuan)"), MONEY, 17), Column(_("execution rate (%)"), DECIMAL1, 11),
            Column(_("appropriation document no."), TEXT, 20),
        ])
        sheet.header()
        paid = (Disbursement.objects.filter(payments_q).values("allocation__source_id").annotate(t=money("amount"))
                .order_by("allocation__source_id").values_list("allocation__source_id", "t").iterator(chunk_size=CHUNK))
        sources = (
            Allocation.objects.filter(allocations_q).values("source_id")
            .annotate(allocated=money("amount")).order_by("source_id")
            .values_list("source_id", "source__name", "source__kind", "source__region__name", "source__fiscal_year",
                         "source__total_amount", "allocated", "source__document_no")
        )
        count = 0
        for (pk, name, kind, admin, year, total, allocated, document), disbursed in _merge(
            sources.iterator(chunk_size=CHUNK), paid, ZERO
        ):
            sheet.append([pk, name, kinds.get(kind, kind), admin, year, total, allocated, disbursed, _pct(disbursed, allocated), document])
            count += 1
        sheet.close()
        rows += count
        tick(count)
    return rows


# --- Ranking -----------------------------------------------------------------------------------

def latest_ranking_period(code: str) -> str | None:
    return (
        Assessment.objects.filter(status=AssessmentStatus.FINALISED, scheme__kind=SchemeKind.ANNUAL, village__code__startswith=code)
        .aggregate(p=Max("period"))["p"]
    )


def _ranked(job: ReportJob):
    county = Substr("village_id", 1, 6)
    return (
        Assessment.objects.filter(status=AssessmentStatus.FINALISED, scheme__kind=SchemeKind.ANNUAL, period=job.period,
                                  village__code__startswith=job.region_id)
        .annotate(
            county=county,
            county_rank=Window(Rank(), partition_by=[county, F("scheme_id")], order_by=F("total_score").desc()),
            township_rank=Window(Rank(), partition_by=[F("village__township_id"), F("scheme_id")], order_by=F("total_score").desc()),
            ranked=Window(Count("id"), partition_by=[county, F("scheme_id")]),
        )
    )


def plan_ranking(job: ReportJob) -> Plan:
    ranked = Assessment.objects.filter(status=AssessmentStatus.FINALISED, scheme__kind=SchemeKind.ANNUAL, period=job.period,
                                       village__code__startswith=job.region_id).count()
    follow_ups = FollowUp.objects.filter(assessment__period=job.period, village__code__startswith=job.region_id).count()
    return Plan(rows=ranked + follow_ups + 20)


def build_ranking_xlsx(job: ReportJob, path, tick: Tick) -> int:
    region, code = job.region, job.region_id
    grades, steps = _labels(Grade.choices), _labels(FollowUpStatus.choices)
    rows = 0
    follow_up_base = FollowUp.objects.filter(
        assessment__period=job.period, assessment__scheme__kind=SchemeKind.ANNUAL, village__code__startswith=code
    )
    with xlsx.Workbook(path) as book:
        # 1. Per county: villages ranked, average, grades, bottom group and its follow-ups; a chart of the averages.
        per_county = list(
            Assessment.objects.filter(status=AssessmentStatus.FINALISED, scheme__kind=SchemeKind.ANNUAL, period=job.period,
                                      village__code__startswith=code)
            .annotate(county=Substr("village_id", 1, 6)).values("county")
            .annotate(n=Count("id"), total=Sum("total_score"),
                      **{f"g_{g}": Count("id", filter=Q(grade=g)) for g in Grade.values})
            .order_by("county")
        )
        follow_counts = {
            row["county"]: row for row in follow_up_base.annotate(county=Substr("village_id", 1, 6)).values("county")
            .annotate(n=Count("id"), open=Count("id", filter=~Q(status=FollowUpStatus.CLOSED))).order_by()
        }
        names = area_names(row["county"] for row in per_county)
        sheet = book.add_sheet(_("Summary by county"), [
            Column(_("county"), TEXT, 14), Column(_("code"), TEXT, 9), Column(_("villages ranked"), INTEGER, 10),
            Column(_("average score"), DECIMAL1, 10), *[Column(grades[g], INTEGER, 9) for g in Grade.values],
            Column(_("villages in the bottom group"), INTEGER, 10), Column(_("open follow-ups"), INTEGER, 10),
        ], freeze_rows=3)
        sheet.title_line(_title(job, region))
        sheet.title_line(_generated_line(timezone.now()))
        sheet.header()
        start = sheet.row + 1
        for row in per_county:
            follow = follow_counts.get(row["county"], {})
            sheet.append([names.get(row["county"], row["county"]), row["county"], row["n"],
                          (row["total"] / row["n"]).quantize(Decimal("0.1")) if row["n"] else None,
                          *[row[f"g_{g}"] for g in Grade.values], follow.get("n", 0), follow.get("open", 0)])
        if per_county:
            sheet.add_chart(Chart(_("Average score by county"), 11, 2, (0, start, sheet.row), [(_("average score"), 3)]))
        sheet.close()
        rows += len(per_county)
        tick(rows)

        # 2. The ranking: every village, by county then rank.
        sheet = book.add_sheet(_("Ranking"), [
            Column(_("county"), TEXT, 9), Column(_("rank in county"), INTEGER, 9), Column(_("villages ranked"), INTEGER, 9),
            Column(_("rank in township"), INTEGER, 9), Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14),
            Column(_("township"), TEXT, 14), Column(_("total score"), DECIMAL1, 9), Column(_("grade"), TEXT, 8),
            Column(_("scheme"), TEXT, 22), Column(_("in the bottom group"), TEXT, 8), Column(_("follow-up"), TEXT, 10),
            Column(_("due date"), DATE, 12),
        ])
        sheet.header()
        ranked = (
            _ranked(job)
            .values_list("county", "county_rank", "ranked", "township_rank", "village_id", "village__short_name",
                         "village__township__name", "total_score", "grade", "scheme__name", "follow_up__status", "follow_up__due_date")
            .order_by("county", "scheme_id", "county_rank", "village_id")
        )
        counted = Ticker(tick)
        for county, rank, among, township_rank, vc, village, township, score, grade, scheme, follow_status, due in ranked.iterator(chunk_size=CHUNK):
            sheet.append([county, rank, among, township_rank, vc, village, township, score, grades.get(grade, grade), scheme,
                          _("yes") if follow_status else "", steps.get(follow_status, "") if follow_status else "", due])
            counted()
        counted.flush()
        sheet.close()
        rows += counted.count

        # 3. Follow-ups of the bottom group (末位): talk, rectification, re-inspection.
        sheet = book.add_sheet(_("Follow-ups"), [
            Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14), Column(_("township"), TEXT, 14),
            Column(_("rank in county"), INTEGER, 9), Column(_("villages ranked"), INTEGER, 9), Column(_("status"), TEXT, 10),
            Column(_("due date"), DATE, 12), Column(_("talk held on"), DATE, 12), Column(_("rectified on"), DATE, 12),
            Column(_("re-inspected on"), DATE, 12), Column(_("overdue"), TEXT, 8),
        ])
        sheet.header()
        today = timezone.localdate()
        count = 0
        for vc, village, township, rank, among, status, due, talk, rectified, reinspected in (
            follow_up_base.values_list("village_id", "village__short_name", "village__township__name", "rank", "ranked_among",
                                       "status", "due_date", "talk_held_on", "rectified_on", "reinspected_on")
            .order_by("village_id").iterator(chunk_size=CHUNK)
        ):
            late = status != FollowUpStatus.CLOSED and due < today
            sheet.append([vc, village, township, rank, among, steps.get(status, status), due, talk, rectified, reinspected,
                          _("yes") if late else ""])
            count += 1
        sheet.close()
        rows += count
        tick(count)
    return rows


# --- Roster ------------------------------------------------------------------------------------

def plan_roster(job: ReportJob) -> Plan:
    return Plan(rows=Village.objects.filter(code__startswith=job.region_id).count())


def roster_columns() -> list[Column]:
    return [
        Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14), Column(_("full name"), TEXT, 20),
        Column(_("township"), TEXT, 14), Column(_("kind"), TEXT, 12), Column(_("category"), TEXT, 12),
        Column(_("joined the programme"), INTEGER, 9), Column(_("projects"), INTEGER, 9), Column(_("live projects"), INTEGER, 9),
        Column(_("under construction"), INTEGER, 9), Column(_("completion (%)"), DECIMAL1, 9),
        Column(_("overdue projects"), INTEGER, 9), Column(_("no report in 30 days"), INTEGER, 9),
        Column(_("last progress report"), DATE, 12), Column(_("budget (yuan)"), MONEY, 15),
        Column(_("allocated (yuan)"), MONEY, 15), Column(_("disbursed (yuan)"), MONEY, 15),
        Column(_("latest assessment period"), TEXT, 9), Column(_("total score"), DECIMAL1, 9), Column(_("grade"), TEXT, 8),
        Column(_("open follow-ups"), INTEGER, 9),
    ]


def _label(field: str, choices, source=None):
    """The display label of a choice, computed by the database (in the active language)."""
    return Case(*[When(**{field: value}, then=Value(str(label))) for value, label in choices],
                default=source if source is not None else F(field), output_field=CharField())


def _guarded(name: str):
    """core.exports.safe_cell in SQL: text starting with = + - @ tab or CR gets an apostrophe; empty text is NULL
    (so that COPY writes it as an empty field, as the csv module does)."""
    # The code of the first character (ASCII() on PostgreSQL): cheaper than a regular expression (about 20 ms less
    # database time for the three names of a province's 25,547 villages, measured).
    dangerous = In(Ord(name), sorted(ord(prefix) for prefix in DANGEROUS_PREFIXES))
    return NullIf(
        Case(When(dangerous, then=Concat(Value("'"), F(name), output_field=CharField())), default=F(name), output_field=CharField()),
        Value(""),
    )


ROSTER_SCORE = 18  # the column of the latest total score
_ROSTER_TEXT = ["code", "short_name", "name", "township__name"]
_ROSTER_FIGURES = ["r_kind", "r_category", "joined_year", "r_projects", "r_live", "r_building", "r_completion", "r_overdue",
                   "r_stale", "stats__last_report_on", "r_budget", "r_allocated", "r_disbursed"]


Bounds = tuple[str, str]  # an inclusive range of village codes (VILLAGE_CODE_LENGTH digits each)


def _in_range(field: str, bounds: Bounds | None) -> Q:
    return Q(**{f"{field}__range": bounds}) if bounds else Q()


def _roster_villages(job: ReportJob, *, guard_text: bool = False, bounds: Bounds | None = None):
    """Villages below the region with their figures, labels and completion computed by the database; with
    ``guard_text`` the text columns are neutralised in SQL (for COPY). Returns (queryset, its column names)."""
    zero = Value(ZERO, output_field=MONEY_FIELD)
    queryset = Village.objects.filter(_in_range("code", bounds), code__startswith=job.region_id).annotate(
        r_kind=_label("kind", VillageKind.choices),
        r_category=_label("category", VillageCategory.choices),
        r_projects=Coalesce("stats__projects", 0), r_live=Coalesce("stats__live_projects", 0),
        r_building=Coalesce("stats__status_under_construction", 0),
        r_completion=Case(When(stats__live_projects__gt=0, then=Round(
            Cast("stats__percent_sum", DecimalField(max_digits=12, decimal_places=4)) / F("stats__live_projects"), 1)),
            default=None, output_field=DecimalField(max_digits=6, decimal_places=1)),
        r_overdue=Coalesce("stats__overdue_projects", 0), r_stale=Coalesce("stats__stale_projects", 0),
        r_budget=Coalesce("stats__budget", zero), r_allocated=Coalesce("stats__allocated", zero),
        r_disbursed=Coalesce("stats__disbursed", zero),
    )
    text = list(_ROSTER_TEXT)
    if guard_text:  # the code is digits only (a database constraint): the names are guarded
        queryset = queryset.annotate(**{f"g{i}": _guarded(name) for i, name in enumerate(text[1:], 1)})
        text = ["code"] + [f"g{i}" for i in range(1, len(text))]
    return queryset.order_by("code"), text + _ROSTER_FIGURES


def _roster_latest(job: ReportJob, bounds: Bounds | None = None):
    """Finalised annual assessments below the region, latest first within each village (period, score, grade label)."""
    return (
        Assessment.objects.filter(_in_range("village__code", bounds), status=AssessmentStatus.FINALISED,
                                  scheme__kind=SchemeKind.ANNUAL, village__code__startswith=job.region_id)
        .annotate(r_grade=_label("grade", Grade.choices, source=Value("")))
        .order_by("village_id", "-period", "-id")
    )


def _roster_follow_ups(job: ReportJob, bounds: Bounds | None = None):
    return (FollowUp.objects.filter(_in_range("village__code", bounds), ~Q(status=FollowUpStatus.CLOSED),
                                    village__code__startswith=job.region_id)
            .values("village_id").annotate(n=Count("id")).order_by("village_id"))


def roster_rows(job: ReportJob) -> Iterator[list]:
    """One row per village below the region, in code order, in the columns of roster_columns(): three ordered
    streams (villages, their assessments latest first, open follow-ups) merged in constant memory."""
    villages, columns = _roster_villages(job)
    latest = ((vc, (period, score, grade)) for vc, period, score, grade in
              _roster_latest(job).values_list("village_id", "period", "total_score", "r_grade").iterator(chunk_size=CHUNK))
    follow_ups = _roster_follow_ups(job).values_list("village_id", "n").iterator(chunk_size=CHUNK)
    stream = villages.values_list(*columns).iterator(chunk_size=CHUNK)
    for (row, assessment), open_count in _merge(_merge(stream, latest, ("", None, "")), follow_ups, 0, key=lambda pair: pair[0][0]):
        yield [*row, *assessment, open_count]


# Stand-ins for the two codes of a part's range in the compiled statement (see roster_copy_statements).
_FIRST, _LAST = "<first village code>", "<last village code>"


def roster_copy_statements(job: ReportJob, parts: list[Bounds]) -> list[tuple[str, list]]:
    """The roster as SQL statements with their parameters, one per code range in ``parts``, for COPY on
    PostgreSQL: the same three parts as roster_rows, joined by the database (the latest assessment of each
    village by DISTINCT ON). The statement is compiled once, with stand-ins for the range's two codes, and
    each part gets its own codes as parameters."""
    villages, columns = _roster_villages(job, guard_text=True, bounds=(_FIRST, _LAST))
    villages = villages.values(k=F("code"), **{f"c{i:02d}": F(name) for i, name in enumerate(columns)})
    latest = _roster_latest(job, (_FIRST, _LAST)).distinct("village_id").values("village_id", "period", "total_score", "r_grade")
    follow_ups = _roster_follow_ups(job, (_FIRST, _LAST)).values("village_id", "n")
    (v_sql, v_params), (l_sql, l_params), (f_sql, f_params) = (q.query.sql_with_params() for q in (villages, latest, follow_ups))
    picked = ", ".join(f'r."c{i:02d}"' for i in range(len(columns)))
    sql = (
        f'SELECT {picked}, la."period", la."total_score", NULLIF(la."r_grade", \'\'), COALESCE(f."n", 0) '
        f'FROM ({v_sql}) r LEFT JOIN ({l_sql}) la ON la."village_id" = r."k" '
        f'LEFT JOIN ({f_sql}) f ON f."village_id" = r."k" ORDER BY r."k"'
    )
    params = [*v_params, *l_params, *f_params]
    assert params.count(_FIRST) == params.count(_LAST) == 3, "each of the three parts has the range once"
    return [(sql, [first if p == _FIRST else last if p == _LAST else p for p in params]) for first, last in parts]


# A county's roster (a few hundred villages) is written in one part; a city's or a province's, of 1,000 villages or
# more, is split into up to REPORTS_COPY_PARALLEL code ranges of about equal size, written at once over as many
# connections (reports.pgcopy).
COPY_SPLIT_MIN_ROWS = 1_000


def roster_parts(job: ReportJob, parts: int) -> list[Bounds]:
    """Code ranges covering every village code below the region (codes are 12 digits, a database constraint), in
    order: one range, or ``parts`` ranges of about equal numbers of villages when the region has many."""
    first, last = job.region_id.ljust(VILLAGE_CODE_LENGTH, "0"), job.region_id.ljust(VILLAGE_CODE_LENGTH, "9")
    if parts < 2 or len(job.region_id) > CODE_LENGTH[RegionLevel.CITY]:  # a county or a township: one part, no count
        return [(first, last)]
    villages = Village.objects.filter(code__startswith=job.region_id)
    total = villages.count()
    if total < max(COPY_SPLIT_MIN_ROWS, parts):
        return [(first, last)]
    codes = villages.order_by("code").values_list("code", flat=True)
    cuts = [codes[total * i // parts] for i in range(1, parts)]  # one index scan each (LIMIT 1 OFFSET n)
    # Each range ends just before the next one's first code: equal-length digit strings compare as numbers.
    return list(zip([first, *cuts], [*(str(int(cut) - 1).zfill(VILLAGE_CODE_LENGTH) for cut in cuts), last]))


def copy_supported() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


# For the roster statement only: a sort of a whole province's rows (when the planner chooses one) stays in memory.
ROSTER_COPY_SETUP = ("SET LOCAL work_mem = '64MB'", "SET LOCAL client_encoding = 'UTF8'")


def build_roster_csv(job: ReportJob, path, tick: Tick) -> int:
    """On PostgreSQL the rows are written by the database itself (COPY ... TO STDOUT, split over several
    connections for a large region), neutralised in SQL; elsewhere by Python's csv module from roster_rows.
    Both give the same bytes (tests/reports compares them)."""
    # UTF-8 with a byte-order mark: Excel on Chinese Windows opens it as UTF-8, not GBK.
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(safe_row(str(c.title) for c in roster_columns()))
    if copy_supported():
        from reports import pgcopy

        statements = roster_copy_statements(job, roster_parts(job, pgcopy.parts_available()))
        # A binary file: COPY's UTF-8 bytes go to disk as they come (a text file would decode and re-encode them).
        with open(path, "wb") as handle:
            handle.write(header.getvalue().encode("utf-8-sig"))
            count = pgcopy.copy_out(handle, path, statements, setup=ROSTER_COPY_SETUP)
        tick(count)
        return count
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        handle.write(header.getvalue())
        # SQLite returns computed decimals unscaled (91.5 for 91.50): give them their two places, as PostgreSQL does.
        cents = [i for i, c in enumerate(roster_columns()) if c.style == MONEY] + [ROSTER_SCORE]
        count = 0
        batch = []
        for row in roster_rows(job):
            for i in cents:
                if row[i] is not None:
                    row[i] = row[i].quantize(Decimal("0.01"))
            batch.append(safe_row(row))
            if len(batch) == CHUNK:
                writer.writerows(batch)
                count += len(batch)
                tick(len(batch))
                batch.clear()
        writer.writerows(batch)
        count += len(batch)
        tick(len(batch))
    return count


def build_roster_xlsx(job: ReportJob, path, tick: Tick) -> int:
    counted = Ticker(tick)
    with xlsx.Workbook(path) as book:
        sheet = book.add_sheet(_("Villages"), roster_columns())
        sheet.header()
        for row in roster_rows(job):
            sheet.append(row)
            counted()
        counted.flush()
        sheet.close()
    return counted.count


# --- Ledger: the ledger pages' three lists, as a region's own users see them ----------------------------------

LEDGER_FILTERSETS = (FundingSourceFilterSet, AllocationFilterSet, DisbursementFilterSet)


def ledger_filter_names() -> set[str]:
    return {name for filterset in LEDGER_FILTERSETS for name in filterset.base_filters}


def _ledger_data(params: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return data


def clean_ledger_params(params, region_code: str) -> dict:
    """The ledger pages' filters of a ledger report, checked by the same FilterSets: {name: value or [values]}.
    Unknown names and invalid values raise InvalidInput naming the filter; an empty value is dropped."""
    if not isinstance(params, dict):
        raise InvalidInput(field_errors={"params": _("Give the filters as an object of names and values.")})
    known = ledger_filter_names()
    errors = {name: [_("Not a filter of the ledger.")] for name in params if name not in known}
    cleaned = {}
    for name, value in params.items():
        if name not in known or value in (None, "", []):
            continue
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int)) and len(str(v)) <= 100 for v in values):
            errors[name] = [_("Enter a text or a number.")]
            continue
        cleaned[name] = [str(v) for v in values] if isinstance(value, list) else str(value)
    data = _ledger_data(cleaned)
    for filterset in LEDGER_FILTERSETS:
        form = filterset(data, queryset=filterset._meta.model.objects.none()).form
        if not form.is_valid():
            for name, messages in form.errors.items():
                errors.setdefault(name, [str(m) for m in messages])
    region = str(cleaned.get("region", ""))
    if region and not region.startswith(region_code):
        errors.setdefault("region", [_("Not within the report's region.")])
    if errors:
        raise InvalidInput(field_errors=errors)
    return cleaned


def _ledger_lists(job: ReportJob):
    reader = reader_of(job.region_id)
    data = _ledger_data(job.params or {})
    return (
        FundingSourceFilterSet(data, queryset=funding_selectors.source_list(user=reader)).qs.order_by("pk"),
        AllocationFilterSet(data, queryset=funding_selectors.allocation_list(user=reader)).qs.order_by("pk"),
        DisbursementFilterSet(data, queryset=funding_selectors.disbursement_list(user=reader)).qs.order_by("pk"),
    )


def plan_ledger(job: ReportJob) -> Plan:
    return Plan(rows=sum(queryset.count() for queryset in _ledger_lists(job)))


def build_ledger_xlsx(job: ReportJob, path, tick: Tick) -> int:
    """The ledger of the region as its own users see it (a provincial fund seen from a county shows what went to the
    county), narrowed by the filters the ledger pages had: sources, allocations and payments, one sheet each."""
    sources, allocations, payments = _ledger_lists(job)
    counted = Ticker(tick)
    filters = ", ".join(f"{k}={v}" for k, v in sorted((job.params or {}).items()))
    with xlsx.Workbook(path) as book:
        sheet = book.add_sheet(_("Funding sources"), [
            Column(_("ID"), INTEGER, 8), Column(_("name"), TEXT, 32), Column(_("kind"), TEXT, 18),
            Column(_("mechanism"), TEXT, 14), Column(_("administering region"), TEXT, 18), Column(_("earmarked for"), TEXT, 16),
            Column(_("fiscal year"), INTEGER, 9), Column(_("total amount (yuan)"), MONEY, 17),
            Column(_("allocated in this region (yuan)"), MONEY, 17), Column(_("disbursed in this region (yuan)"), MONEY, 17),
            Column(_("unallocated (yuan)"), MONEY, 17), Column(_("appropriation document no."), TEXT, 20),
        ], freeze_rows=3)
        sheet.title_line(_title(job, job.region) + (f" · {filters}" if filters else ""))
        sheet.title_line(_generated_line(timezone.now()))
        sheet.header()
        for s in sources.iterator(chunk_size=CHUNK):
            sheet.append([s.pk, s.name, s.get_kind_display(), s.get_mechanism_display(), f"{s.region.name} {s.region_id}",
                          f"{s.beneficiary_region.name} {s.beneficiary_region_id}" if s.beneficiary_region_id else "",
                          s.fiscal_year, s.total_amount, s.allocated, s.disbursed, s.unallocated, s.document_no])
            counted()
        sheet.close()
        sheet = book.add_sheet(_("Allocations"), [
            Column(_("ID"), INTEGER, 8), Column(_("allocated on"), DATE, 11), Column(_("source"), TEXT, 30),
            Column(_("kind"), TEXT, 18), Column(_("project"), TEXT, 30), Column(_("village"), TEXT, 12),
            Column(_("village code"), TEXT, 14), Column(_("amount (yuan)"), MONEY, 16), Column(_("disbursed"), MONEY, 16),
            Column(_("reverses"), INTEGER, 9), Column(_("reason"), TEXT, 30),
        ])
        sheet.header()
        # Tuples, not model instances: a province has 270,000 allocations (five related objects each as instances).
        kinds = _labels(SourceKind.choices)
        for row in allocations.values_list(
            "pk", "allocated_on", "source__name", "source__kind", "project__name", "project__village__short_name",
            "project__village_id", "amount", "disbursed", "reverses_id", "reason",
        ).iterator(chunk_size=CHUNK):
            row = list(row)
            row[3] = kinds.get(row[3], row[3])
            sheet.append(row)
            counted()
        sheet.close()
        sheet = book.add_sheet(_("Payments"), [
            Column(_("ID"), INTEGER, 8), Column(_("payment date"), DATE, 11), Column(_("voucher no."), TEXT, 18),
            Column(_("allocation"), INTEGER, 9), Column(_("source"), TEXT, 30), Column(_("project"), TEXT, 30),
            Column(_("village code"), TEXT, 14), Column(_("amount (yuan)"), MONEY, 16), Column(_("reverses"), INTEGER, 9),
            Column(_("reason"), TEXT, 30),
        ])
        sheet.header()
        for row in payments.values_list(
            "pk", "paid_on", "voucher_no", "allocation_id", "allocation__source__name", "allocation__project__name",
            "allocation__project__village_id", "amount", "reverses_id", "reason",
        ).iterator(chunk_size=CHUNK):
            sheet.append(row)
            counted()
        counted.flush()
        sheet.close()
    return counted.count


BUILDERS: dict[tuple[str, str], tuple[Callable, Callable]] = {
    (ReportKind.PROGRESS, ReportFormat.XLSX): (plan_progress, build_progress_xlsx),
    (ReportKind.PROGRESS, ReportFormat.PDF): (lambda job: Plan(rows=60), build_progress_pdf),
    (ReportKind.FUNDING, ReportFormat.XLSX): (plan_funding, build_funding_xlsx),
    (ReportKind.RANKING, ReportFormat.XLSX): (plan_ranking, build_ranking_xlsx),
    (ReportKind.ROSTER, ReportFormat.CSV): (plan_roster, build_roster_csv),
    (ReportKind.ROSTER, ReportFormat.XLSX): (plan_roster, build_roster_xlsx),
    (ReportKind.LEDGER, ReportFormat.XLSX): (plan_ledger, build_ledger_xlsx),
}
