from django.db.models import QuerySet

from core.scoping import grants, is_unrestricted, restrict

from .models import Region, RegionLevel, Village


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
        return list(Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code"))
    codes = sorted({grant.code for grant in grants(user)})
    return list(Region.objects.filter(code__in=codes).order_by("code"))
