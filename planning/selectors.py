"""Reads of plans, targets and creation lists: scoped through the gate, with what the pages show joined in, so a page
costs the same queries for 1 row and for 50."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core.scoping import restrict
from projects.models import OutputUnit, ProjectStatus
from villages.models import Region

from .models import CreationListEntry, Plan, PlanCitation, PlanItem, PlanKind, PlanStatus, Target, TargetKind, target_unit


def item_done_q() -> Q:
    """An item is done when a project citing it was accepted."""
    return Q(Exists(PlanCitation.objects.filter(item=OuterRef("pk"), project__status=ProjectStatus.ACCEPTED)))


def _count_of(items: QuerySet):
    """The number of ``items`` (PlanItems correlated to the outer plan) as a subquery: computed for the rows of
    the page only, and left out of the paginator's count (a join and GROUP BY over every plan of a province took
    7-10 s in bench_requests)."""
    counted = items.order_by().values("plan").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def plan_list(*, user) -> QuerySet:
    items = PlanItem.objects.filter(plan=OuterRef("pk"))
    return restrict(Plan.objects.select_related("village", "village__township", "region"), user).annotate(
        item_count=_count_of(items),
        done_count=_count_of(items.filter(item_done_q())),
    )


def plan_api_list(*, user) -> QuerySet:
    """The plans the user may read, with their items (two queries per page of the API)."""
    items = PlanItem.objects.order_by("planned_year", "kind", "id")
    return restrict(Plan.objects.all(), user).prefetch_related(Prefetch("items", queryset=items))


def plan_detail(*, user) -> QuerySet:
    return plan_list(user=user).select_related("created_by", "supersedes")


def plan_items(plan: Plan) -> list[PlanItem]:
    """The plan's items with the projects citing them (and their statuses), each with ``done`` (two queries)."""
    return list(
        plan.items.select_related("village").annotate(done=item_done_q()).prefetch_related(
            Prefetch("citations", queryset=PlanCitation.objects.select_related("project").order_by("project_id"))
        ).order_by("planned_year", "kind", "id")
    )


def plan_versions(*, user, plan: Plan) -> list[Plan]:
    """Every version of the plan (its area and kind), newest first."""
    return list(restrict(Plan.objects.filter(area_code=plan.area_code, kind=plan.kind), user).order_by("-version"))


def current_construction_plan(*, user, village) -> Plan | None:
    return plan_list(user=user).filter(village=village, status=PlanStatus.CURRENT).first()


def citation_of(project) -> PlanCitation | None:
    return PlanCitation.objects.select_related("item", "item__plan", "decided_by").filter(project=project).first()


def item_list(*, user) -> QuerySet:
    return restrict(PlanItem.objects.select_related("plan", "village"), user)


@dataclass
class TargetRow:
    kind: str
    label: str
    unit: str
    target: Target | None
    children_sum: Decimal | None
    children_set: int

    @property
    def gap(self) -> Decimal | None:
        if self.target is None or self.children_sum is None:
            return None
        return self.target.quantity - self.children_sum

    @property
    def mismatch(self) -> bool:
        return self.gap is not None and self.gap != 0


def target_rows(*, user, region: Region, year: int, children: list[Region]) -> list[TargetRow]:
    """For each kind: the region's target, the sum of its children's and the gap (two queries)."""
    own = {t.kind: t for t in restrict(Target.objects.select_related("set_by"), user).filter(region=region, year=year)}
    sums: dict[str, tuple[Decimal, int]] = {}
    if children:
        for t in restrict(Target.objects.all(), user).filter(region__in=children, year=year).values("kind").annotate(
            total=Sum("quantity"), n=Count("pk")
        ):
            sums[t["kind"]] = (t["total"], t["n"])
    rows = []
    for kind, label in TargetKind.choices:
        if kind not in own and kind not in sums:
            continue
        total, n = sums.get(kind, (None, 0))
        if kind in own and children and total is None:
            total = Decimal("0")
        rows.append(TargetRow(kind=kind, label=label, unit=OutputUnit(target_unit(kind)).label, target=own.get(kind),
                              children_sum=total, children_set=n))
    return rows


def child_targets(*, user, target: Target, children: list[Region]) -> dict[str, Target]:
    return {t.region_id: t for t in restrict(Target.objects.all(), user).filter(region__in=children, year=target.year, kind=target.kind)}


def creation_entries(*, user) -> QuerySet:
    """Creation-list entries with their village's progress: projects, mean percent complete, accepted projects."""
    return restrict(CreationListEntry.objects.select_related("village", "village__township", "county", "added_by"), user).annotate(
        project_count=Count("village__projects", distinct=True),
        mean_percent=Avg("village__projects__percent_complete"),
        accepted_count=Count("village__projects", filter=Q(village__projects__status=ProjectStatus.ACCEPTED), distinct=True),
    )


def creation_entries_of(*, user, village) -> list[CreationListEntry]:
    return list(restrict(CreationListEntry.objects.select_related("county"), user).filter(village=village).order_by("-year", "category"))



def items_for_village(village_code: str):
    """The items of the current plans a project of the village may cite: its own construction plan's, and those of
    its county's layout plan that name it or no village."""
    return PlanItem.objects.filter(plan__status=PlanStatus.CURRENT).filter(
        Q(plan__kind=PlanKind.CONSTRUCTION, plan__area_code=village_code)
        | Q(plan__kind=PlanKind.LAYOUT, plan__area_code=village_code[:6])
        & (Q(village__isnull=True) | Q(village_id=village_code))
    )


def citable_items(project) -> QuerySet:
    """The items the project may cite: of its village's current plans (items_for_village), of its own kind."""
    return items_for_village(project.village_id).filter(kind=project.type).select_related("plan").order_by(
        "planned_year", "name", "id")
