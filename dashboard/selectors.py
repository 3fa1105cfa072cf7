"""The dashboard of one region: a fixed set of queries whatever the scope.

Figures come from the summary tables (dashboard.models), added up in SQL over
the region's code prefix; lists (overdue projects, silent villages, ranking,
follow-ups) come from indexed queries limited to a few rows. The same
queries run for a township, a county, a city and a province.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Assessment, AssessmentScheme, AssessmentStatus, FollowUp, SchemeKind
from assessment.selectors import open_follow_ups_q
from core.scoping import can, restrict
from funding.models import SourceKind
from funding.selectors import MoneyRatios
from maintenance.models import AssetKind
from oversight.models import Problem, ProblemStatus
from oversight.selectors import problem_overdue_q
from projects.models import Project, ProjectStatus, ProjectType
from projects.rules import overdue_q
from projects.selectors import completion
from villages.models import CHILD_CODE_LENGTH, CODE_LENGTH, Region, VillageCategory
from villages.selectors import area_names

from .models import CountyMonth, CountyStats, StatsColumns, TownshipMonth, TownshipStats, VillageStats
from .stats import reporting_rate

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)
LIST_LIMIT = 10


def _sums(*, township_rows: bool) -> dict:
    """Aggregates over VillageStats rows (a township's villages) or TownshipStats rows (anything above),
    under the same names. Aliases are prefixed so that they never shadow the columns filtered on."""
    money = {f.name for f in StatsColumns._meta.get_fields() if f.concrete and f.get_internal_type() == "DecimalField"}
    sums = {}
    for name in StatsColumns.additive_fields():
        sums[name] = Coalesce(Sum(name), Value(ZERO), output_field=MONEY) if name in money else Coalesce(Sum(name), 0)
    if township_rows:
        for name in ("villages", "stale_villages", "located", *[f"category_{c}" for c in VillageCategory.values]):
            sums[name] = Coalesce(Sum(name), 0)
    else:
        sums["villages"] = Count("village_id")
        sums["stale_villages"] = Count("village_id", filter=Q(stale_projects__gt=0))
        sums["located"] = Count("village_id", filter=Q(has_location=True))
        for category in VillageCategory.values:
            sums[f"category_{category}"] = Count("village_id", filter=Q(category=category))
    sums["computed_on"] = Max("computed_on")
    return {f"s_{name}": expression for name, expression in sums.items()}


def _added_up(children: list, names: list[str]) -> dict:
    """The region's figures from its children's: sums, and the latest ``computed_on``."""
    money = {f.name for f in StatsColumns._meta.get_fields() if f.concrete and f.get_internal_type() == "DecimalField"}
    values = {}
    for name in names:
        column = [child.values[name] for child in children]
        if name == "computed_on":
            values[name] = max((day for day in column if day is not None), default=None)
        else:
            values[name] = sum(column, ZERO if name in money else 0)
    return values


def _unprefixed(row: dict) -> dict:
    return {(key[2:] if key.startswith("s_") else key): value for key, value in row.items()}


@dataclass
class Reporting:
    """Reporting discipline of an area in one month (dashboard.stats: the rule): the projects expected to report, those
    that reported, those that reported on time; the rates in percent, None when nothing was expected."""

    expected: int = 0
    reported: int = 0
    on_time: int = 0

    @property
    def rate(self) -> Decimal | None:
        return reporting_rate(self.reported, self.expected)

    @property
    def on_time_rate(self) -> Decimal | None:
        return reporting_rate(self.on_time, self.expected)

    def add(self, row: dict) -> None:
        self.expected += row["expected"]
        self.reported += row["reported"]
        self.on_time += row["on_time"]


@dataclass
class Totals(MoneyRatios):
    values: dict
    code: str = ""
    name: str = ""
    # Last month's reporting discipline (none for villages: TownshipMonth is kept per township).
    reporting: Reporting | None = None

    def __getattr__(self, item):
        try:
            return self.__dict__["values"][item]
        except KeyError:
            raise AttributeError(item) from None

    @property
    def completion(self) -> Decimal | None:
        return completion(self.values["percent_sum"], self.values.get("live_projects") or 0)

    @property
    def inspection_rate(self) -> Decimal | None:
        """Share of this year's inspections due by now that were done by their date, in percent."""
        expected = self.values.get("inspections_expected") or 0
        if not expected:
            return None
        return (Decimal(100) * self.values["inspections_on_time"] / expected).quantize(Decimal("0.1"))

    @property
    def mean_condition(self) -> Decimal | None:
        done = self.values.get("inspections_done") or 0
        return (Decimal(self.values["condition_sum"]) / done).quantize(Decimal("0.01")) if done else None


@dataclass
class Dashboard:
    region: Region
    breadcrumbs: list
    totals: Totals
    children: list[Totals]
    by_category: list[tuple[str, str, int]]
    by_status: list[tuple[str, str, int]]
    by_type: list[tuple[str, str, int]]
    by_kind: list[tuple[str, str, Decimal]]
    by_asset_kind: list[tuple[str, str, int]]
    trend: list[dict]
    overdue: list
    silent_villages: list
    ranking_period: str | None
    top: list
    bottom: list
    follow_ups: list
    open_follow_ups: int
    open_problems: int = 0  # supervision's problems not closed yet (督查问题)
    overdue_problems: int = 0  # of them, still to rectify and past their deadline
    computed_on: datetime.date | None = None
    # The month of the reporting discipline shown (totals.reporting, each area's): the last full month.
    reporting_month: datetime.date | None = None
    extra: dict = field(default_factory=dict)


def _months_back(today: datetime.date, count: int) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    year, month = first.year, first.month
    for _step in range(count):
        months.append(datetime.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def nation() -> Region:
    """The nation as the dashboard's region (not saved: there is no national row): code "" (every code starts with
    it), its children the provinces."""
    return Region(code="", name=_("Nation"))


def dashboard(*, user, region: Region, today: datetime.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    code = region.code
    child_length = CHILD_CODE_LENGTH[len(code)] if code else CODE_LENGTH["province"]
    stats = restrict(VillageStats.objects.filter(village__code__startswith=code), user)
    if len(code) == 9:  # a township: its villages' own rows
        rows, key, township_rows = stats, "village_id", False
    elif len(code) == 6:  # a county: its townships' sums
        rows, key, township_rows = (
            restrict(TownshipStats.objects.filter(township__code__startswith=code), user), "township_id", True
        )
    else:  # above: the counties' sums (90 rows for Zhejiang, 2,978 for the nation, instead of 1,387 or 41,352)
        rows, key, township_rows = (
            restrict(CountyStats.objects.filter(county__code__startswith=code), user), "county_id", True
        )

    # 1. Totals per child region. 2. Totals of the region: the children's sums added up (every figure is additive;
    # one query fewer than aggregating the rows again, and ~70 aggregates less to compile).
    sums = _sums(township_rows=township_rows)
    child_rows = rows.annotate(child=Substr(key, 1, child_length)).values("child").annotate(**sums).order_by("child")
    children = [Totals(_unprefixed(row), row["child"]) for row in child_rows]
    totals = Totals(_added_up(children, [name[2:] for name in sums]), code, region.name)
    # 3. Names of the children (regions or villages).
    names = area_names(c.code for c in children)
    for child in children:
        child.name = names.get(child.code, child.code)
    # 4. Breadcrumbs up to the province: (code, name, reachable); a region above the user's scope is named, not linked
    # (its dashboard would be a 404). (The region itself is asked for too, so the query runs at every scope.)
    crumbs = [(c, name, can(user, "view", c))
              for c, name in Region.objects.filter(code__in=region.ancestor_codes()).order_by("code").values_list("code", "name")
              if c != code]

    # 5. Monthly trend over the last 12 months (reports and disbursements), and last month's reporting discipline
    # of the region and of each area below (above township scope): one query, by area below and month.
    months = _months_back(today, 12)
    reporting_month = months[-2]
    trend_rows: dict = {}
    reporting = Reporting()
    by_child = {child.code: child for child in children}
    for child in children if len(code) < 9 else ():
        child.reporting = Reporting()
    month_rows = (  # a county's or a township's months: its townships'; above, the counties'
        restrict(TownshipMonth.objects.filter(township__code__startswith=code[:9], month__gte=months[0]), user)
        .annotate(area=Substr("township_id", 1, min(child_length, 9)))
        if len(code) >= 6 else
        restrict(CountyMonth.objects.filter(county__code__startswith=code, month__gte=months[0]), user)
        .annotate(area=Substr("county_id", 1, child_length))
    )
    for row in (
        month_rows.values("area", "month")
        .annotate(reports=Coalesce(Sum("reports"), 0), disbursed=Coalesce(Sum("disbursed"), Value(ZERO), output_field=MONEY),
                  expected=Coalesce(Sum("expected"), 0), reported=Coalesce(Sum("reported"), 0), on_time=Coalesce(Sum("on_time"), 0))
        .order_by()
    ):
        month = trend_rows.setdefault(row["month"], {"reports": 0, "disbursed": ZERO})
        month["reports"] += row["reports"]
        month["disbursed"] += row["disbursed"]
        if row["month"] == reporting_month:
            reporting.add(row)
            if row["area"] in by_child and by_child[row["area"]].reporting is not None:
                by_child[row["area"]].reporting.add(row)
    totals.reporting = reporting
    trend = [{"month": m, "reports": trend_rows.get(m, {}).get("reports", 0), "disbursed": trend_rows.get(m, {}).get("disbursed", ZERO)}
             for m in months]

    # 6. Overdue projects (the longest overdue first).
    overdue = list(
        restrict(Project.objects.filter(overdue_q(today), village__code__startswith=code), user)
        .select_related("village").order_by("planned_end", "id")[:LIST_LIMIT]
    )
    # 7. Villages with no progress report in 30 days (on projects under construction).
    silent = list(
        stats.filter(stale_projects__gt=0).select_related("village").order_by(F("last_report_on").asc(nulls_first=True), "village_id")[:LIST_LIMIT]
    )
    # 8-9. Ranking: the latest finalised annual round below the region, top and bottom by total score.
    annual = AssessmentScheme.objects.filter(kind=SchemeKind.ANNUAL).values("pk")
    assessments = restrict(
        Assessment.objects.filter(status=AssessmentStatus.FINALISED, scheme__in=Subquery(annual), village__code__startswith=code), user
    )
    period = assessments.order_by("-period").values_list("period", flat=True).first()
    top, bottom = [], []
    if period:
        ranked = assessments.filter(period=period).select_related("village", "village__township")
        top = list(ranked.order_by("-total_score", "village_id")[:LIST_LIMIT])
        bottom = list(ranked.order_by("total_score", "village_id")[:LIST_LIMIT])
    # 10-11. Open follow-ups: the count and the first due.
    follow_ups = restrict(FollowUp.objects.filter(open_follow_ups_q(), village__code__startswith=code), user)
    open_count = follow_ups.count()
    # 12. Supervision's problems (督查): not closed, and overdue (to be rectified, past the deadline).
    problems = restrict(Problem.objects.filter(village__code__startswith=code).exclude(status=ProblemStatus.CLOSED), user)
    problem_counts = problems.aggregate(open=Count("pk"), overdue=Count("pk", filter=problem_overdue_q(today)))
    first_due = list(follow_ups.select_related("village").order_by("due_date", "id")[:LIST_LIMIT])

    values = totals.values
    return Dashboard(
        region=region,
        breadcrumbs=crumbs,
        totals=totals,
        children=children,
        by_category=[(c, str(label), values[f"category_{c}"]) for c, label in VillageCategory.choices],
        by_status=[(s, str(label), values[f"status_{s}"]) for s, label in ProjectStatus.choices],
        by_type=[(t, str(label), values[f"type_{t}"]) for t, label in ProjectType.choices],
        by_kind=[(k, str(label), values[f"allocated_{k}"]) for k, label in SourceKind.choices],
        by_asset_kind=[(k, str(label), values[f"asset_{k}"]) for k, label in AssetKind.choices if values[f"asset_{k}"]],
        trend=trend,
        overdue=overdue,
        silent_villages=silent,
        ranking_period=period,
        top=top,
        bottom=bottom,
        follow_ups=first_due,
        open_follow_ups=open_count,
        open_problems=problem_counts["open"],
        overdue_problems=problem_counts["overdue"],
        computed_on=values.get("computed_on"),
        reporting_month=reporting_month,
    )


def map_points(*, user, region: Region, limit: int = 30000) -> list[list]:
    """[longitude, latitude, completion %, code, name] for every located village below the region. One query."""
    rows = (
        restrict(VillageStats.objects.filter(village__code__startswith=region.code, has_location=True), user)
        .values_list("village__longitude", "village__latitude", "percent_sum", "live_projects", "village_id", "village__short_name")
        .order_by("village_id")[:limit]
    )
    return [
        [float(lon), float(lat), round(percent / live, 1) if live else None, code, name]
        for lon, lat, percent, live, code, name in rows
    ]


def county_figures(*, user, region: Region) -> list[Totals]:
    """The totals of every county below a province or a city (for the map's colours), from the townships' sums.
    One query whatever the number of counties."""
    rows = (
        restrict(TownshipStats.objects.filter(township__code__startswith=region.code), user)
        .annotate(county=Substr("township_id", 1, 6)).values("county")
        .annotate(**_sums(township_rows=True)).order_by("county")
    )
    return [Totals(_unprefixed(row), row["county"]) for row in rows]
