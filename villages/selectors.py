from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.scoping import grants, is_unrestricted, restrict

from .models import Region, RegionLevel, SampleData, Village


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


def sample_data_kinds(code: str) -> list[str]:
    """The kinds of invented data (SampleData) that a report or export about the region ``code`` covers: the marks
    of the region itself, of a region above it and of the regions below it. One query over the few marked regions
    (a partial index); an unknown code has none."""
    marked = Region.objects.exclude(sample_data=SampleData.REAL).values_list("code", "sample_data")
    return sorted({kind for marked_code, kind in marked if marked_code.startswith(code) or code.startswith(marked_code)})


def sample_notice(code: str) -> str:
    """The line a report or export about the region ``code`` carries when its figures are, wholly or partly, invented
    (in the active language; empty for real data): a banner on every sheet, in the file's properties, on the page."""
    notices = {
        SampleData.SAMPLE: _("Sample data: invented figures, not real data"),
        SampleData.SCALE_TEST: _("Scale-test data: synthetic figures, not real data"),
    }
    return " · ".join(notices[kind] for kind in sample_data_kinds(code))
