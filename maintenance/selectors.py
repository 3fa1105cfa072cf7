"""Reads of assets, keepers, inspections and faults: scoped through the gate, with what the pages show joined in,
so a page costs the same queries for 1 row and for 50; and the maintenance figures of villages and areas."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import CharField, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from core.scoping import KEEPER, restrict

from .models import (
    OPEN_FAULT_STATUSES,
    Asset,
    AssetStatus,
    Fault,
    FaultPhoto,
    FaultStatus,
    Inspection,
    InspectionInterval,
    InspectionPhoto,
    InspectionStatus,
    Keeper,
    KeeperAssignment,
)


def current_q() -> Q:
    return Q(ends_on__isnull=True)


def _current_assignments() -> Prefetch:
    """Each asset's current assignment with its keeper, as ``asset.current`` (a list of at most one)."""
    return Prefetch(
        "assignments", queryset=KeeperAssignment.objects.filter(current_q()).select_related("keeper"), to_attr="current"
    )


def has_keeper_q() -> Q:
    return Q(Exists(KeeperAssignment.objects.filter(current_q(), asset=OuterRef("pk"))))


def asset_list(*, user) -> QuerySet:
    return restrict(Asset.objects.select_related("village", "village__township", "project"), user).prefetch_related(
        _current_assignments()
    )


def asset_detail(*, user) -> QuerySet:
    return asset_list(user=user).select_related("created_by").prefetch_related(
        Prefetch("assignments", queryset=KeeperAssignment.objects.select_related("keeper", "created_by").order_by("-starts_on", "-id"),
                 to_attr="history")
    )


def assets_of(*, user, village=None, project=None) -> list[Asset]:
    """The assets shown on a village's or a project's page, with their current keepers, last inspections and open
    fault counts (four queries)."""
    assets = asset_list(user=user)
    if village is not None:
        assets = assets.filter(village=village)
    if project is not None:
        assets = assets.filter(project=project)
    return with_upkeep(list(assets.order_by("status", "kind", "id")[:100]))


def keeper_list(*, user) -> QuerySet:
    current = (
        KeeperAssignment.objects.filter(current_q(), keeper=OuterRef("pk"), asset__status=AssetStatus.IN_SERVICE)
        .order_by().values("keeper").annotate(n=Count("pk")).values("n")
    )
    return restrict(Keeper.objects.select_related("region", "user"), user).annotate(
        asset_count=Coalesce(Subquery(current, output_field=IntegerField()), 0)
    )


def village_keepers(*, user, village) -> list[KeeperAssignment]:
    """Who answers for the village as a whole (its 河长, 林长, 保洁员...), current ones first, then the history."""
    rows = restrict(KeeperAssignment.objects.filter(village=village), user).select_related("keeper", "created_by")
    return list(rows.order_by(F("ends_on").desc(nulls_first=True), "chief_type", "-starts_on", "-id")[:100])


def keeper_assignments(keeper: Keeper) -> QuerySet:
    """What a keeper is (and was) responsible for, newest first."""
    return keeper.assignments.select_related("asset", "asset__village", "village").order_by("ends_on", "-starts_on", "-id")


def inspection_photo_list(*, user) -> QuerySet:
    """Inspection photos the user may open (served through the gate, never as bare media)."""
    return restrict(InspectionPhoto.objects.all(), user)


def fault_photo_list(*, user) -> QuerySet:
    return restrict(FaultPhoto.objects.all(), user)


def asset_inspections(asset: Asset, limit: int = 5) -> list[Inspection]:
    """The asset's latest inspections, the open (due) one first, with their photo counts."""
    return list(
        asset.inspections.annotate(photo_count=photo_count())
        .order_by(F("done_on").desc(nulls_first=True), "-due_on", "-id")[:limit]
    )


def county_intervals(county_code: str) -> dict[str, int]:
    """{asset kind: days} of the county's own inspection intervals (kinds at the default are absent)."""
    return dict(InspectionInterval.objects.filter(region_id=county_code).values_list("kind", "days"))


def with_upkeep(assets: list[Asset]) -> list[Asset]:
    """Each asset of the list gets ``last_inspection`` (its latest done inspection, or None) and ``open_fault_count``
    (its faults not verified yet): two queries whatever the number of assets."""
    last = last_inspections(assets)
    faults = open_faults(assets)
    for asset in assets:
        asset.last_inspection = last.get(asset.pk)
        asset.open_fault_count = len(faults.get(asset.pk, ()))
    return assets


def assignable_keepers(*, user, asset: Asset | None = None, village=None) -> QuerySet:
    """Keepers the user sees on the rosters the asset (or the village) lies in (its township's, its county's)."""
    code = asset.village_id if asset is not None else village.code
    return restrict(Keeper.objects.select_related("region"), user).filter(region_id__in=[code[:6], code[:9]]).order_by("name", "id")


def keeper_grants(user) -> QuerySet:
    """(role, village code) for each village where the user, as a keeper, is responsible now: for an asset in
    service there, or for the village itself. core.scoping unions it with the user's role assignments."""
    return (
        KeeperAssignment.objects.filter(current_q(), keeper__user=user)
        .exclude(asset__status=AssetStatus.RETIRED)
        .order_by()
        .values_list(Value(KEEPER, output_field=CharField()), Coalesce("asset__village_id", "village_id"))
    )



def keeper_holders(role: str, codes) -> QuerySet:
    """The other side of ``keeper_grants``: (user id, village code) for each active portal account responsible now
    as a keeper in one of the villages ``codes`` (core.scoping.holders_by_area, for the reminders)."""
    return (
        KeeperAssignment.objects.filter(current_q(), keeper__user__isnull=False, keeper__user__is_active=True)
        .exclude(asset__status=AssetStatus.RETIRED)
        .annotate(area=Coalesce("asset__village_id", "village_id"))
        .filter(area__in=list(codes))
        .order_by()
        .values_list("keeper__user_id", "area")
        .distinct()
    )

# --- inspections and faults ----------------------------------------------------------------------------------

def inspection_overdue_q(today: datetime.date | None = None) -> Q:
    """Due and past its date."""
    return Q(status=InspectionStatus.DUE, due_on__lt=today or timezone.localdate())


def fault_overdue_q(today: datetime.date | None = None) -> Q:
    """Not repaired yet and past its repair deadline."""
    return Q(status__in=OPEN_FAULT_STATUSES, deadline__lt=today or timezone.localdate())


def photo_count() -> Coalesce:
    """An inspection's number of photos, as a subquery: counted for the rows of the page only (a Count() over the
    join would group every inspection of the province before the page is cut: 1.5 s at 190,000 inspections)."""
    photos = (
        InspectionPhoto.objects.filter(inspection=OuterRef("pk")).order_by().values("inspection").annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(photos, output_field=IntegerField()), 0)


def inspection_list(*, user) -> QuerySet:
    return restrict(
        Inspection.objects.select_related("asset", "asset__village", "asset__village__township", "inspector"), user
    ).annotate(photo_count=photo_count())


def inspection_detail(*, user) -> QuerySet:
    return inspection_list(user=user).prefetch_related("photos", "faults")


def fault_list(*, user) -> QuerySet:
    return restrict(
        Fault.objects.select_related("asset", "asset__village", "asset__village__township", "reported_by", "verified_by"), user
    )


def fault_detail(*, user) -> QuerySet:
    return fault_list(user=user).select_related("inspection").prefetch_related("photos")


def last_inspections(assets) -> dict[int, Inspection]:
    """{asset id: its latest done inspection} for the given assets (one query)."""
    ids = [asset.pk for asset in assets]
    latest = (
        Inspection.objects.filter(asset_id=OuterRef("asset_id"), status=InspectionStatus.DONE)
        .order_by("-done_on", "-id").values("pk")[:1]
    )
    rows = Inspection.objects.filter(asset_id__in=ids, status=InspectionStatus.DONE, pk=Subquery(latest))
    return {row.asset_id: row for row in rows}


def open_faults(assets) -> dict[int, list[Fault]]:
    """{asset id: its faults not yet verified, oldest deadline first} for the given assets (one query)."""
    result: dict[int, list[Fault]] = {}
    rows = Fault.objects.filter(asset_id__in=[asset.pk for asset in assets]).exclude(status=FaultStatus.VERIFIED)
    for fault in rows.order_by("deadline", "id"):
        result.setdefault(fault.asset_id, []).append(fault)
    return result


# --- figures -------------------------------------------------------------------------------------------------

@dataclass
class MaintenanceFigures:
    """An area's (or a village's) upkeep in figures, over a period (inspections, faults reported) and now (assets,
    overdue inspections, open and overdue faults)."""

    assets: int = 0
    assets_by_kind: dict[str, int] = field(default_factory=dict)
    inspections_expected: int = 0  # scheduled inspections due in the period by today
    inspections_on_time: int = 0  # ... done on or before their due date
    inspections_done: int = 0  # every inspection done in the period, extra ones included
    condition_sum: int = 0
    overdue_inspections: int = 0  # now
    faults_reported: int = 0  # in the period
    open_faults: int = 0  # now
    overdue_faults: int = 0  # now

    @property
    def on_time_rate(self) -> Decimal | None:
        """Share of the inspections due in the period that were done by their date, in percent (None: none due)."""
        if not self.inspections_expected:
            return None
        return (Decimal(100) * self.inspections_on_time / self.inspections_expected).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def mean_condition(self) -> Decimal | None:
        if not self.inspections_done:
            return None
        return (Decimal(self.condition_sum) / self.inspections_done).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def add(self, other: MaintenanceFigures) -> None:
        for name in ("assets", "inspections_expected", "inspections_on_time", "inspections_done", "condition_sum",
                     "overdue_inspections", "faults_reported", "open_faults", "overdue_faults"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, count in other.assets_by_kind.items():
            self.assets_by_kind[kind] = self.assets_by_kind.get(kind, 0) + count


def maintenance_figures(
    *, prefix: str, group_length: int = 12, start: datetime.date, end: datetime.date, today: datetime.date | None = None,
) -> dict[str, MaintenanceFigures]:
    """The figures of the villages under ``prefix`` (a division code), summed per code of ``group_length`` digits
    (12: per village; 9: per township...), for the period [start, end]; three grouped queries whatever the size."""
    today = today or timezone.localdate()
    last = min(end, today)
    result: dict[str, MaintenanceFigures] = {}

    def of(code):
        return result.setdefault(code, MaintenanceFigures())

    group = Substr("village_id", 1, group_length)
    assets = (
        Asset.objects.filter(village__code__startswith=prefix, status=AssetStatus.IN_SERVICE).order_by()
        .annotate(area=group).values("area", "kind").annotate(n=Count("pk"))
    )
    for row in assets:
        figures = of(row["area"])
        figures.assets += row["n"]
        figures.assets_by_kind[row["kind"]] = figures.assets_by_kind.get(row["kind"], 0) + row["n"]
    group = Substr("asset__village_id", 1, group_length)
    inspections = (
        Inspection.objects.filter(asset__village__code__startswith=prefix).order_by().annotate(area=group).values("area")
        .annotate(
            expected=Count("pk", filter=Q(scheduled=True, due_on__gte=start, due_on__lte=last)
                       & (Q(status=InspectionStatus.DONE) | Q(due_on__lt=today))),
            on_time=Count("pk", filter=Q(scheduled=True, due_on__gte=start, due_on__lte=last, status=InspectionStatus.DONE,
                                         done_on__lte=F("due_on"))),
            done=Count("pk", filter=Q(status=InspectionStatus.DONE, done_on__gte=start, done_on__lte=end)),
            condition=Coalesce(Sum("condition", filter=Q(status=InspectionStatus.DONE, done_on__gte=start, done_on__lte=end)), 0),
            overdue=Count("pk", filter=inspection_overdue_q(today)),
        )
    )
    for row in inspections:
        figures = of(row["area"])
        figures.inspections_expected += row["expected"]
        figures.inspections_on_time += row["on_time"]
        figures.inspections_done += row["done"]
        figures.condition_sum += row["condition"]
        figures.overdue_inspections += row["overdue"]
    faults = (
        Fault.objects.filter(asset__village__code__startswith=prefix).order_by().annotate(area=group).values("area")
        .annotate(
            reported=Count("pk", filter=Q(reported_on__gte=start, reported_on__lte=end)),
            open=Count("pk", filter=Q(status__in=OPEN_FAULT_STATUSES)),
            overdue=Count("pk", filter=fault_overdue_q(today)),
        )
    )
    for row in faults:
        figures = of(row["area"])
        figures.faults_reported += row["reported"]
        figures.open_faults += row["open"]
        figures.overdue_faults += row["overdue"]
    return result


def village_maintenance(village_code: str, *, start: datetime.date, end: datetime.date, today=None) -> MaintenanceFigures:
    return maintenance_figures(prefix=village_code, start=start, end=end, today=today).get(village_code, MaintenanceFigures())


def village_upkeep_facts(village_code: str) -> dict:
    """What the village status adds to its figures: assets in service without a keeper, the last inspection's day."""
    assets = Asset.objects.filter(village_id=village_code, status=AssetStatus.IN_SERVICE)
    last = Inspection.objects.filter(asset__village_id=village_code, status=InspectionStatus.DONE).order_by("-done_on")
    return {
        "without_keeper": assets.exclude(has_keeper_q()).count(),
        "last_done_on": last.values_list("done_on", flat=True).first(),
    }
