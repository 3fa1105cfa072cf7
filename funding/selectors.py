"""Reads of the ledger: balances and programme figures, computed in SQL.

Every function goes through the gate and costs a fixed number of queries,
whatever the number of rows: figures for one area are three aggregates
(projects, allocations, disbursements); figures for the children of an area
(the townships of a county, the villages of a township) are the same three
queries grouped by the leading digits of the village code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr

from core.divisions import ancestor_codes
from core.scoping import can_anywhere, restrict, scope_q
from projects.models import Project, ProjectStatus
from villages.selectors import area_names

from .models import GOVERNMENT_KINDS, Allocation, Disbursement, FundingSource

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)
# Construction money is what goes to projects (the figures' ``allocated``/``disbursed``, as before upkeep money
# existed); upkeep money (管护经费) goes to assets and is counted apart (``upkeep_allocated``/``upkeep_disbursed``).
CONSTRUCTION = Q(project__isnull=False)
UPKEEP = Q(asset__isnull=False)


def _sum_of(queryset: QuerySet, key: str) -> Subquery:
    return Coalesce(
        Subquery(queryset.values(key).annotate(total=Sum("amount")).values("total")[:1], output_field=MONEY),
        Value(ZERO, output_field=MONEY),
    )


def source_list(*, user) -> QuerySet:
    """Sources the user may see, with what was allocated and disbursed within the user's area (subqueries, no row
    multiplication) and the unallocated balance.

    A source administered above the user's regions (a provincial fund, seen from below) shows only what was
    allocated and paid within the user's area, never other areas' figures (``from_below`` marks those rows).
    Its balance (``unallocated``) is a fact of the whole pot: shown to those who may allocate from it (county
    staff draw on it and the ledger refuses more than it), None for others.

    Every allocation of a source administered within the user's area lies within that area (a source funds only
    projects below its region), so those rows sum all of the source's entries (by its index) and only the rows
    seen from below pay for the sum restricted to the user's area."""
    everything = _sum_of(Allocation.objects.filter(source=OuterRef("pk")), "source")
    paid = _sum_of(Disbursement.objects.filter(allocation__source=OuterRef("pk")), "allocation__source")
    within = scope_q(FundingSource, user, from_below=False)
    sources = restrict(FundingSource.objects.select_related("region", "village", "beneficiary_region"), user)
    if within is None:  # unrestricted: nothing is seen from below
        return sources.annotate(allocated=everything, disbursed=paid, from_below=Value(False, output_field=BooleanField())).annotate(
            unallocated=ExpressionWrapper(F("total_amount") - F("allocated"), output_field=MONEY)
        )
    in_area = _sum_of(restrict(Allocation.objects.all(), user).filter(source=OuterRef("pk")), "source")
    paid_in_area = _sum_of(restrict(Disbursement.objects.all(), user).filter(allocation__source=OuterRef("pk")), "allocation__source")
    balance = ExpressionWrapper(F("total_amount") - everything, output_field=MONEY)
    may_allocate = can_anywhere(user, "allocation.create")
    return sources.annotate(
        from_below=Case(When(within, then=Value(False)), default=Value(True), output_field=BooleanField()),
        allocated=Case(When(within, then=everything), default=in_area, output_field=MONEY),
        disbursed=Case(When(within, then=paid), default=paid_in_area, output_field=MONEY),
    ).annotate(
        unallocated=Case(
            When(from_below=False, then=ExpressionWrapper(F("total_amount") - F("allocated"), output_field=MONEY)),
            default=balance if may_allocate else Value(None), output_field=MONEY,
        )
    )


def allocation_list(*, user) -> QuerySet:
    """Every allocation the user may see, construction and upkeep (``purpose`` in AllocationFilterSet)."""
    return (
        restrict(Allocation.objects.select_related("source", "project", "asset", "village", "reverses", "created_by"), user)
        .annotate(
            disbursed=_sum_of(Disbursement.objects.filter(allocation=OuterRef("pk")), "allocation"),
            reversed_amount=_sum_of(Allocation.objects.filter(reverses=OuterRef("pk")), "reverses"),
        )
    )


def upkeep_allocation_list(*, user) -> QuerySet:
    """The upkeep money (管护经费) the user may see: allocations to assets."""
    return allocation_list(user=user).filter(UPKEEP)


def disbursement_list(*, user) -> QuerySet:
    return restrict(
        Disbursement.objects.select_related(
            "allocation", "allocation__source", "allocation__project", "allocation__asset", "allocation__village",
            "reverses", "created_by",
        ),
        user,
    )


class MoneyRatios:
    """The derived money figures, from ``budget``, ``allocated``, ``allocated_government`` and ``disbursed``
    (funding.selectors.Figures and the dashboard's Totals share them)."""

    @property
    def allocated_non_government(self) -> Decimal:
        return self.allocated - self.allocated_government

    @property
    def funding_gap(self) -> Decimal:
        return self.budget - self.allocated

    @property
    def execution_rate(self) -> Decimal | None:
        """Disbursed ÷ allocated, as a fraction (None when nothing is allocated)."""
        return (self.disbursed / self.allocated).quantize(Decimal("0.0001")) if self.allocated else None

    @property
    def leverage_ratio(self) -> Decimal | None:
        """Non-government ÷ government money allocated (None without government money)."""
        if not self.allocated_government:
            return None
        return (self.allocated_non_government / self.allocated_government).quantize(Decimal("0.0001"))


MONEY_FIELDS = {"budget", "allocated", "allocated_government", "disbursed", "disbursed_government", "upkeep_allocated",
                "upkeep_disbursed"}
ADDITIVE = ("budget", "allocated", "allocated_government", "disbursed", "disbursed_government", "upkeep_allocated",
            "upkeep_disbursed", "projects")


@dataclass
class Figures(MoneyRatios):
    """The money of one area (or project). ``allocated``, ``disbursed`` and the ratios are construction money (to
    projects, against their budgets); ``upkeep_allocated`` and ``upkeep_disbursed`` the upkeep money of the area's
    assets (管护经费), counted apart."""

    code: str = ""
    name: str = ""
    budget: Decimal = ZERO
    allocated: Decimal = ZERO
    allocated_government: Decimal = ZERO
    disbursed: Decimal = ZERO
    disbursed_government: Decimal = ZERO
    upkeep_allocated: Decimal = ZERO
    upkeep_disbursed: Decimal = ZERO
    projects: int = 0
    extra: dict = field(default_factory=dict)

    def __setattr__(self, name, value):
        # One spelling per amount whatever the database returns (SQLite drops trailing zeros).
        if name in MONEY_FIELDS and value is not None:
            value = Decimal(value).quantize(Decimal("0.01"))
        super().__setattr__(name, value)

def _split(prefix: str = "") -> dict:
    """Construction total, its government part, and upkeep total, as conditional sums (one query for all three)."""
    construction = Q(**{f"{prefix}project__isnull": False})
    gov = construction & Q(**{f"{prefix}source__kind__in": GOVERNMENT_KINDS})
    return {
        "total": Coalesce(Sum("amount", filter=construction), ZERO, output_field=MONEY),
        "government": Coalesce(Sum("amount", filter=gov), ZERO, output_field=MONEY),
        "upkeep": Coalesce(Sum("amount", filter=Q(**{f"{prefix}asset__isnull": False})), ZERO, output_field=MONEY),
    }


def _totals(queryset: QuerySet, prefix: str = "") -> dict:
    return queryset.aggregate(**_split(prefix))


def figures_for_area(*, user, code: str = "", project: Project | None = None) -> Figures:
    """Figures for a region or village code (everything below it), or for one project. Three queries."""
    projects = restrict(Project.objects.exclude(status=ProjectStatus.CANCELLED), user)
    allocations = restrict(Allocation.objects.all(), user)
    disbursements = restrict(Disbursement.objects.all(), user)
    if project is not None:
        projects = projects.filter(pk=project.pk)
        allocations = allocations.filter(project=project)
        disbursements = disbursements.filter(allocation__project=project)
    elif code:
        projects = projects.filter(village__code__startswith=code)
        allocations = allocations.filter(village__code__startswith=code)
        disbursements = disbursements.filter(allocation__village__code__startswith=code)
    budget = projects.aggregate(budget=Coalesce(Sum("budget"), ZERO, output_field=MONEY), n=Coalesce(Sum(Value(1)), 0))
    allocated = _totals(allocations)
    disbursed = _totals(disbursements, "allocation__")
    return Figures(
        code=code, budget=budget["budget"], projects=budget["n"],
        allocated=allocated["total"], allocated_government=allocated["government"],
        disbursed=disbursed["total"], disbursed_government=disbursed["government"],
        upkeep_allocated=allocated["upkeep"], upkeep_disbursed=disbursed["upkeep"],
    )


def figures_by_child(*, user, code: str, child_length: int) -> dict[str, Figures]:
    """Figures for every child area of ``code`` (child codes of ``child_length`` digits), named.
    Four queries: three grouped sums and the names."""
    def grouped(queryset, path):
        return queryset.filter(**{f"{path}__startswith": code}).annotate(child=Substr(path, 1, child_length)).values("child")

    result: dict[str, Figures] = {}

    def row(child):
        return result.setdefault(child, Figures(code=child))

    projects = restrict(Project.objects.exclude(status=ProjectStatus.CANCELLED), user)
    for item in grouped(projects, "village__code").annotate(budget=Sum("budget"), n=Sum(Value(1))).order_by():
        figures = row(item["child"])
        figures.budget, figures.projects = item["budget"] or ZERO, item["n"]
    allocations = restrict(Allocation.objects.all(), user)
    for item in grouped(allocations, "village__code").annotate(**_split()).order_by():
        figures = row(item["child"])
        figures.allocated, figures.allocated_government = item["total"], item["government"]
        figures.upkeep_allocated = item["upkeep"]
    disbursements = restrict(Disbursement.objects.all(), user)
    for item in grouped(disbursements, "allocation__village__code").annotate(**_split("allocation__")).order_by():
        figures = row(item["child"])
        figures.disbursed, figures.disbursed_government = item["total"], item["government"]
        figures.upkeep_disbursed = item["upkeep"]
    names = area_names(result)
    for child, figures in result.items():
        figures.name = names.get(child, child)
    return dict(sorted(result.items()))


def figures_with_children(*, user, code: str, child_length: int) -> tuple[Figures, dict[str, Figures]]:
    """An area's figures and each of its children's, from one pass (figures_by_child): every row below the area
    belongs to exactly one child, so the area's figures are the children's sums (four queries, not seven)."""
    children = figures_by_child(user=user, code=code, child_length=child_length)
    total = Figures(code=code)
    for child in children.values():
        for name in ADDITIVE:
            setattr(total, name, getattr(total, name) + getattr(child, name))
    return total, children


def serving(sources: QuerySet, village_code: str) -> QuerySet:
    """Of these sources, those that may fund a project of the village (the rule of funding.services
    _check_source_serves, as a filter): administered by one of the village's regions, not set aside for another
    village, and not earmarked for another area."""
    regions = ancestor_codes(village_code)
    return sources.filter(
        Q(region_id__in=regions),
        Q(village__isnull=True) | Q(village_id=village_code),
        Q(beneficiary_region__isnull=True) | Q(beneficiary_region_id__in=regions),
    )
