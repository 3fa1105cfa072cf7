"""Reads of assets and keepers: scoped through the gate, with what the pages show joined in, so a page costs the
same queries for 1 row and for 50."""
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.scoping import restrict

from .models import Asset, AssetStatus, Keeper, KeeperAssignment


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
    """The assets shown on a village's or a project's page, with their current keepers (two queries)."""
    assets = asset_list(user=user)
    if village is not None:
        assets = assets.filter(village=village)
    if project is not None:
        assets = assets.filter(project=project)
    return list(assets.order_by("status", "kind", "id")[:100])


def keeper_list(*, user) -> QuerySet:
    current = (
        KeeperAssignment.objects.filter(current_q(), keeper=OuterRef("pk"), asset__status=AssetStatus.IN_SERVICE)
        .order_by().values("keeper").annotate(n=Count("pk")).values("n")
    )
    return restrict(Keeper.objects.select_related("region", "user"), user).annotate(
        asset_count=Coalesce(Subquery(current, output_field=IntegerField()), 0)
    )


def keeper_assignments(keeper: Keeper) -> QuerySet:
    """What a keeper is (and was) responsible for, newest first."""
    return keeper.assignments.select_related("asset", "asset__village", "village").order_by("ends_on", "-starts_on", "-id")


def assignable_keepers(*, user, asset: Asset) -> QuerySet:
    """Keepers the user sees on the rosters the asset lies in (its township's, its county's)."""
    code = asset.village_id
    return restrict(Keeper.objects.select_related("region"), user).filter(region_id__in=[code[:6], code[:9]]).order_by("name", "id")


def keeper_grants(user) -> QuerySet:
    """(role, village code) for each village where the user, as a keeper, is responsible now: for an asset in
    service there, or for the village itself. core.scoping unions it with the user's role assignments."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Coalesce

    from core.scoping import KEEPER

    return (
        KeeperAssignment.objects.filter(current_q(), keeper__user=user)
        .exclude(asset__status=AssetStatus.RETIRED)
        .order_by()
        .values_list(Value(KEEPER, output_field=CharField()), Coalesce("asset__village_id", "village_id"))
    )
