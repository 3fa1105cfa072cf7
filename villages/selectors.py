from django.db.models import Count, Q, QuerySet

from core.scoping import grants, is_unrestricted, restrict

from .models import Region, Village


def village_list(*, user) -> QuerySet:
    return restrict(Village.objects.select_related("township"), user)


def region_list(*, user) -> QuerySet:
    return restrict(Region.objects.select_related("parent"), user)


def area_names(codes) -> dict[str, str]:
    """{code: name} for region codes, or short names for village codes (one query)."""
    codes = list(codes)
    if codes and all(len(c) == 12 for c in codes):
        return dict(Village.objects.filter(code__in=codes).values_list("code", "short_name"))
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def home_regions(*, user) -> list[Region]:
    """The regions the user's roles are held for (their starting points)."""
    if is_unrestricted(user):
        return list(Region.objects.filter(level="province"))
    codes = sorted({grant.code for grant in grants(user)})
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def home_villages(*, user, limit: int = 300) -> list[Village]:
    """A township official's villages, with their open project counts."""
    townships = [grant.code for grant in grants(user) if len(grant.code) == 9]
    if not townships:
        return []
    return list(
        village_list(user=user)
        .filter(township_id__in=townships)
        .annotate(
            project_count=Count("projects"),
            open_count=Count("projects", filter=Q(projects__status__in=["approved", "under_construction", "suspended"])),
        )
        .order_by("code")[:limit]
    )
