"""Reads of imports: a user reads their own imports (within their areas, through the gate)."""
from django.db.models import QuerySet

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
