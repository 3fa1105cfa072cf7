"""Plan against actual (规划目标完成情况): a region's targets of a year beside what was done, and its areas below.

The actual of a kind of work is the accepted output (Project.actual_output) of the projects of that type accepted
in the year below the region; the actual of a creation kind (new demonstration, boutique, future villages) is the
number of villages promoted to that category in the year (assessment.Promotion). Every read goes through the gate
(core.scoping.restrict) and each is one grouped query, whatever the number of areas below and of kinds: the targets
(the region's and its children's), the accepted outputs per child and type, the promotions per child and category,
the children's names; ``plan_share`` is one more.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Case, CharField, Count, DecimalField, F, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Substr

from assessment.models import Promotion
from core.scoping import restrict
from planning.models import CREATION_KINDS, Target, TargetKind, target_unit
from projects.models import OutputUnit, Project, ProjectStatus
from villages.models import CHILD_CODE_LENGTH, Region, Village

from .models import AreaOutput, TownshipStats, VillageStats

ZERO = Decimal("0")
RATE = Decimal("0.0001")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=18, decimal_places=2)
KIND_ORDER = {kind: index for index, kind in enumerate(TargetKind.values)}
CATEGORY_KIND = {category: kind for kind, category in CREATION_KINDS.items()}


def _number(value) -> str:
    """A quantity as the panel shows it: up to two decimals, trailing zeros dropped (12, 3.5, 0.25)."""
    text = f"{Decimal(value).quantize(CENT):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate_of(actual, target) -> Decimal | None:
    """actual / target (1 = done), or None without a target (missing or zero)."""
    if not target:
        return None
    return (Decimal(actual) / Decimal(target)).quantize(RATE)


@dataclass
class KindProgress:
    kind: str
    target: Decimal | None
    actual: Decimal

    @cached_property
    def label(self) -> str:
        return str(TargetKind(self.kind).label)

    @property
    def unit(self) -> str:
        return target_unit(self.kind)

    @cached_property
    def unit_label(self) -> str:
        return str(OutputUnit(self.unit).label)

    @cached_property
    def rate(self) -> Decimal | None:
        return rate_of(self.actual, self.target)

    @cached_property
    def percent(self) -> Decimal | None:
        rate = self.rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"))

    @cached_property
    def cell(self) -> str:
        """"actual / target (rate %)" for the table of areas (formatted here: a template filter per number, over
        every area and kind, was most of the panel's time)."""
        target = "—" if self.target is None else _number(self.target)
        rate = "" if self.percent is None else f" ({self.percent}%)"
        return f"{_number(self.actual)} / {target}{rate}"

    @cached_property
    def behind(self) -> bool:
        rate = self.rate
        return rate is not None and rate < 1


@dataclass
class AreaProgress:
    code: str
    name: str
    kinds: list[KindProgress] = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        """The lowest rate of its kinds with a target (how far behind it is), or None."""
        rates = [k.rate for k in self.kinds if k.rate is not None]
        return min(rates) if rates else None


@dataclass
class TargetProgress:
    code: str
    year: int
    kinds: list[KindProgress]
    children: list[AreaProgress]  # behind schedule first (lowest rate first); areas with no target last

    @property
    def behind(self) -> list[AreaProgress]:
        return [c for c in self.children if c.rate is not None and c.rate < 1]


def _year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _actuals(*, user, code: str, year: int, child_length: int) -> dict[tuple[str, str], Decimal]:
    """{(child code, kind): actual} below ``code`` for the year: two grouped queries. Above a township, from the
    counties' or the townships' outputs of the year (AreaOutput, kept by dashboard.stats with the other summary rows); a
    township's villages from the projects and promotions themselves (a township holds a few hundred at most)."""
    if child_length <= 9:
        # The counties' rows for the province and its cities, the townships' for a county.
        level = AreaOutput.Level.COUNTY if len(code) <= 4 else AreaOutput.Level.TOWNSHIP
        return {
            (row["child"], row["kind"]): (row["total"] or ZERO).quantize(CENT)
            for row in restrict(AreaOutput.objects.filter(level=level, region__code__startswith=code, year=year), user)
            .annotate(child=Substr("region_id", 1, child_length)).values("child", "kind")
            .annotate(total=Sum("output")).order_by()
        }
    start, end = _year_bounds(year)
    # One query: the accepted outputs per village and type (the (accepted_on, type) index serves the year's range)
    # and, unioned, the promotions per village and category, named by their target kind.
    outputs = (
        restrict(Project.objects.filter(status=ProjectStatus.ACCEPTED, accepted_on__gte=start, accepted_on__lte=end,
                                        village__code__startswith=code), user)
        .annotate(child=Substr("village_id", 1, child_length), kind=F("type")).values("child", "kind")
        .annotate(total=Coalesce(Sum("actual_output"), Value(ZERO), output_field=MONEY)).order_by()
    )
    kind_of = Case(*[When(to_category=category, then=Value(str(kind))) for category, kind in CATEGORY_KIND.items()],
                   output_field=CharField())
    promotions = (
        restrict(Promotion.objects.filter(to_category__in=list(CATEGORY_KIND), promoted_on__gte=start, promoted_on__lte=end,
                                          village__code__startswith=code), user)
        .annotate(child=Substr("village_id", 1, child_length), kind=kind_of).values("child", "kind")
        .annotate(total=Cast(Count("id"), MONEY)).order_by()
    )
    return {(row["child"], row["kind"]): (row["total"] or ZERO).quantize(CENT)
            for row in outputs.union(promotions, all=True)}


def _child_names(code: str) -> dict[str, str]:
    """The direct children of the region (regions, or a township's villages) with their names: one query."""
    if len(code) == 9:
        return dict(Village.objects.filter(township_id=code).values_list("code", "short_name"))
    return dict(Region.objects.filter(parent_id=code).values_list("code", "name"))


def target_progress(*, user, code: str, year: int) -> TargetProgress:
    """The region's targets of the year beside their actuals, per kind present at the region or its children, and
    each child's own. Three queries, whatever the region."""
    child_length = CHILD_CODE_LENGTH[len(code)]
    names = _child_names(code)
    targets: dict[tuple[str, str], Decimal] = {}
    # The region's and its children's targets by their codes: the (region, year, kind) index serves it.
    for region_id, kind, quantity in (
        restrict(Target.objects.filter(region_id__in=[code, *names], year=year), user)
        .values_list("region_id", "kind", "quantity").order_by()
    ):
        targets[(region_id, kind)] = quantity
    actual = _actuals(user=user, code=code, year=year, child_length=child_length)

    kinds = sorted({kind for _c, kind in targets}, key=KIND_ORDER.__getitem__)
    totals: dict[str, Decimal] = {}
    for (_child, kind), value in actual.items():
        totals[kind] = totals.get(kind, ZERO) + value
    own = [KindProgress(kind, targets.get((code, kind)), totals.get(kind, ZERO)) for kind in kinds]

    # The children with a target, or with an actual of a kind with a target.
    child_codes = {c for c, _k in targets if c != code} | {c for c, k in actual if k in kinds}
    children = []
    for child in sorted(child_codes):
        figures = [KindProgress(kind, targets.get((child, kind)), actual.get((child, kind), ZERO)) for kind in kinds]
        children.append(AreaProgress(child, names.get(child, child), figures))
    # Behind schedule first: the lowest rate first; areas without a target after, by code.
    children.sort(key=lambda c: (c.rate is None, c.rate if c.rate is not None else ZERO, c.code))
    return TargetProgress(code=code, year=year, kinds=own, children=children)


@dataclass
class PlanShare:
    projects: int  # neither drafts nor cancelled
    in_plan: int  # citing a plan item
    out_of_plan: int  # exceptions outside the plan (pending, approved or refused)

    @property
    def uncited(self) -> int:
        return self.projects - self.in_plan - self.out_of_plan

    @property
    def share(self) -> Decimal | None:
        """The in-plan share (0-1), or None with no project."""
        return rate_of(self.in_plan, self.projects)

    @property
    def percent(self) -> Decimal | None:
        share = self.share
        return None if share is None else (share * 100).quantize(Decimal("0.1"))


def plan_share(*, user, code: str) -> PlanShare:
    """Of the area's projects (a region's or a village's; not drafts, not cancelled), how many carry out a plan item
    and how many are exceptions outside the plan: from the summary rows (townships', or a township's and a village's
    villages'). One query."""
    if len(code) >= 9:
        rows = restrict(VillageStats.objects.filter(village__code__startswith=code), user)
    else:
        rows = restrict(TownshipStats.objects.filter(township__code__startswith=code), user)
    row = rows.aggregate(projects=Sum("cited_projects"), in_plan=Sum("in_plan_projects"), out_of_plan=Sum("out_of_plan_projects"))
    return PlanShare(projects=row["projects"] or 0, in_plan=row["in_plan"] or 0, out_of_plan=row["out_of_plan"] or 0)


@dataclass
class CreationProgress:
    year: int
    by_category: list[dict]  # {category, label, listed, reached}
    villages: list  # the entries, behind first (lowest mean percent complete), at most ``limit``
    listed: int


def creation_progress(*, user, code: str, year: int, limit: int = 10) -> CreationProgress:
    """The creation lists (创建名单) of a year below the region: per category, villages listed and those that reached
    the category; the listed villages with their projects' progress (from their summary rows), behind first. Two
    queries at every scope.

    The entries are read on their own (their village code is a column) and each village's figures by its key:
    joining the villages made PostgreSQL scan all 25,000 of them for a few hundred entries (9 ms at province scale)."""
    from planning.models import CREATION_CATEGORIES, CreationListEntry
    from villages.models import CATEGORY_ORDER

    entries = restrict(CreationListEntry.objects.filter(village__code__startswith=code, year=year), user)
    stats = VillageStats.objects.filter(village_id=OuterRef("village_id"))
    village_category = Subquery(Village.objects.filter(code=OuterRef("village_id")).values("category")[:1])
    reached = Q()
    for category, _label in CREATION_CATEGORIES:
        reached |= Q(category=category, village_category__in=CATEGORY_ORDER[CATEGORY_ORDER.index(category):])
    counts = {
        row["category"]: row
        for row in entries.alias(village_category=village_category).values("category")
        .annotate(listed=Count("id"), reached=Count("id", filter=reached)).order_by()
    }
    by_category = [
        {"category": category, "label": label, "listed": counts.get(category, {}).get("listed", 0),
         "reached": counts.get(category, {}).get("reached", 0)}
        for category, label in CREATION_CATEGORIES
    ]
    listed = sum(row["listed"] for row in by_category)
    # The least advanced first: the mean percent complete over the village's live projects (none first). The other
    # figures of a shown village by its keys (PostgreSQL evaluates them after the sort, for the shown rows only).
    village = Village.objects.filter(code=OuterRef("village_id"))
    villages = list(
        entries.annotate(
            mean_percent=Subquery(stats.filter(live_projects__gt=0).annotate(
                mean=Cast(F("percent_sum"), FloatField()) / F("live_projects")).values("mean")[:1]),
            village_name=Subquery(village.values("short_name")[:1]),
            village_category=village_category,
            township_name=Subquery(Region.objects.filter(code=Substr(OuterRef("village_id"), 1, 9)).values("name")[:1]),
            project_count=Coalesce(Subquery(stats.values("projects")[:1]), 0),
            accepted_count=Coalesce(Subquery(stats.values("status_accepted")[:1]), 0),
        )
        .order_by(F("mean_percent").asc(nulls_first=True), "village_id")[:limit]
    )
    for entry in villages:
        entry.reached = CATEGORY_ORDER.index(entry.village_category) >= CATEGORY_ORDER.index(entry.category)
    return CreationProgress(year=year, by_category=by_category, villages=villages, listed=listed)
