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

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from assessment.models import Promotion
from core.scoping import restrict
from planning.models import CREATION_KINDS, Target, TargetKind, target_unit
from projects.models import OutputUnit, Project, ProjectStatus
from villages.models import CHILD_CODE_LENGTH, Region, Village

ZERO = Decimal("0")
RATE = Decimal("0.0001")
CENT = Decimal("0.01")
KIND_ORDER = {kind: index for index, kind in enumerate(TargetKind.values)}
CATEGORY_KIND = {category: kind for kind, category in CREATION_KINDS.items()}


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

    @property
    def label(self) -> str:
        return str(TargetKind(self.kind).label)

    @property
    def unit(self) -> str:
        return target_unit(self.kind)

    @property
    def unit_label(self) -> str:
        return str(OutputUnit(self.unit).label)

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.actual, self.target)

    @property
    def percent(self) -> Decimal | None:
        rate = self.rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"))

    @property
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
    """{(child code, kind): actual} below ``code`` for the year: two grouped queries (projects, promotions)."""
    start, end = _year_bounds(year)
    actual: dict[tuple[str, str], Decimal] = {}
    # The (accepted_on, type) index of projects serves the year's range.
    outputs = (
        restrict(Project.objects.filter(status=ProjectStatus.ACCEPTED, accepted_on__gte=start, accepted_on__lte=end,
                                        village__code__startswith=code), user)
        .annotate(child=Substr("village_id", 1, child_length)).values("child", "type")
        .annotate(total=Sum("actual_output")).order_by()
    )
    for row in outputs:
        actual[(row["child"], row["type"])] = (row["total"] or ZERO).quantize(CENT)
    promotions = (
        restrict(Promotion.objects.filter(to_category__in=list(CATEGORY_KIND), promoted_on__gte=start, promoted_on__lte=end,
                                          village__code__startswith=code), user)
        .annotate(child=Substr("village_id", 1, child_length)).values("child", "to_category")
        .annotate(n=Count("id")).order_by()
    )
    for row in promotions:
        actual[(row["child"], str(CATEGORY_KIND[row["to_category"]]))] = Decimal(row["n"]).quantize(CENT)
    return actual


def _child_names(code: str) -> dict[str, str]:
    """The direct children of the region (regions, or a township's villages) with their names: one query."""
    if len(code) == 9:
        return dict(Village.objects.filter(township_id=code).values_list("code", "short_name"))
    return dict(Region.objects.filter(parent_id=code).values_list("code", "name"))


def target_progress(*, user, code: str, year: int) -> TargetProgress:
    """The region's targets of the year beside their actuals, per kind present at the region or its children, and
    each child's own. Four queries, whatever the region."""
    child_length = CHILD_CODE_LENGTH[len(code)]
    targets: dict[tuple[str, str], Decimal] = {}
    for region_id, kind, quantity in (
        restrict(Target.objects.filter(Q(region_id=code) | Q(region__parent_id=code), year=year), user)
        .values_list("region_id", "kind", "quantity").order_by()
    ):
        targets[(region_id, kind)] = quantity
    actual = _actuals(user=user, code=code, year=year, child_length=child_length)
    names = _child_names(code)

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
    and how many are exceptions outside the plan. One query."""
    row = (
        restrict(Project.objects.filter(village__code__startswith=code)
                 .exclude(status__in=(ProjectStatus.DRAFT, ProjectStatus.CANCELLED)), user)
        .aggregate(
            projects=Count("id"),
            in_plan=Count("id", filter=Q(plan_citation__item__isnull=False)),
            out_of_plan=Count("id", filter=Q(plan_citation__isnull=False, plan_citation__item__isnull=True)),
        )
    )
    return PlanShare(projects=row["projects"], in_plan=row["in_plan"], out_of_plan=row["out_of_plan"])
