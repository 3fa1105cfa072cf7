"""Reads of imports: a user reads their own imports (within their areas, through the gate)."""
from django.db.models import QuerySet
from django.utils import timezone

from core import scoping
from villages.models import Region

from .models import ImportBatch


def import_list(*, user) -> QuerySet:
    rows = ImportBatch.objects.select_related("region", "requester")
    if not getattr(user, "is_authenticated", False):
        return rows.none()
    return scoping.restrict(rows, user).filter(requester_id=user.pk)


def import_areas(*, user) -> list[Region]:
    """The regions of the user's grants (a file is imported for one of them)."""
    codes = {grant.code for grant in scoping.grants(user) if len(grant.code) <= 9}
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def score_rounds(*, user) -> list[tuple[str, str]]:
    """The assessment rounds offered for an import of scores, as ("scheme id:period", label), latest first: every
    round with an assessment not yet finalised that the user can see, and the annual period of each scheme with
    indicators of this year or last that the user can read (a round the import may open)."""
    from assessment.models import AssessmentScheme
    from assessment.selectors import round_list

    found: dict[tuple[int, str], str] = {}
    for row in round_list(user=user):
        if row["finalised"] < row["villages"]:
            found[(row["scheme_id"], row["period"])] = row["scheme__name"]
    schemes = scoping.restrict(AssessmentScheme.objects.filter(
        year__gte=timezone.localdate().year - 1, indicators__isnull=False), user).distinct()
    for scheme in schemes.order_by("-year", "name"):
        found.setdefault((scheme.pk, str(scheme.year)), scheme.name)
    return [(f"{pk}:{period}", f"{name} · {period}")
            for (pk, period), name in sorted(found.items(), key=lambda item: (item[0][1], item[1]), reverse=True)]
