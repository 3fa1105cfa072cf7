"""The access gate: the one place where a user's roles turn into query filters.

Every role is held for a region and reaches that region and everything below
it. A row's area is a division code (a village's code, a region's code), and
"below" is a code prefix, so a user's reach is an OR of ``startswith``
filters on the path from the model to that code (``AREA_PATHS``).

- ``restrict(queryset, user, action)``: the rows the user may see (``"view"``)
  or act on (``"project.approve"``, ...). Views, viewsets, exports, tasks and
  the admin all call it; nothing else filters by area.
- ``can(user, action, obj)`` / ``require(...)``: the same rule for one object
  (or, for creation, the region or village it would be created in).
- ``PERMISSIONS``: which roles may take which action, and how the object's
  area must relate to the role's region (below it, or exactly it).

Objects outside the user's view scope are answered with 404 by the views
(``get_object_or_404(restrict(...))``) so that their existence does not leak.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Model, Q, QuerySet

from core.exceptions import NotPermitted
from core.models import Role

WITHIN = "within"  # the object's area is the role's region or below it
EXACT = "exact"  # the object's area is the role's region itself

ALL_ROLES = frozenset(Role.values)
HTML_ROLES = frozenset({Role.TOWNSHIP_OFFICIAL, Role.COUNTY_STAFF, Role.SUPERVISOR})

# action → {role: how the object's area must relate to the role's region}
PERMISSIONS: dict[str, dict[str, str]] = {
    # Reading: every role, below its region. api_client reads only through the API
    # (enforced by the HTML views' login gate, see core.views).
    "view": {role: WITHIN for role in ALL_ROLES},
    # Projects and progress: township officials in their villages.
    "project.create": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.edit": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.submit": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.start": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.complete": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.withdraw": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "progress.create": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    # County staff approve, return, accept, suspend, resume and cancel.
    "project.approve": {Role.COUNTY_STAFF: WITHIN},
    "project.return": {Role.COUNTY_STAFF: WITHIN},
    "project.accept": {Role.COUNTY_STAFF: WITHIN},
    "project.suspend": {Role.COUNTY_STAFF: WITHIN},
    "project.resume": {Role.COUNTY_STAFF: WITHIN},
    "project.cancel": {Role.COUNTY_STAFF: WITHIN},
    # Money: county staff for their county; supervisors for sources of their own level.
    "funding_source.manage": {Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: EXACT},
    "allocation.create": {Role.COUNTY_STAFF: WITHIN},
    "disbursement.create": {Role.COUNTY_STAFF: WITHIN},
    # Assessments and reports.
    "assessment.manage": {Role.COUNTY_STAFF: WITHIN},
    "followup.record": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "report.request": {Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: WITHIN},
}

# model label → path from the model to the division code that places a row.
AREA_PATHS: dict[str, str] = {
    "villages.region": "code",
    "villages.village": "code",
    "projects.project": "village__code",
    "projects.projecttransition": "project__village__code",
    "projects.progressreport": "project__village__code",
    "projects.progressphoto": "report__project__village__code",
    "funding.fundingsource": "region__code",
    "funding.allocation": "project__village__code",
    "funding.disbursement": "allocation__project__village__code",
    "assessment.assessmentscheme": "region__code",
    "assessment.assessment": "village__code",
    "assessment.indicatorscore": "assessment__village__code",
    "assessment.followup": "village__code",
    "assessment.promotion": "village__code",
    "dashboard.villagestats": "village__code",
    "dashboard.townshipmonth": "township__code",
    "dashboard.townshipstats": "township__code",
    "core.roleassignment": "region__code",
    "reports.reportjob": "region__code",
}
# Rows administered at a level above the user (a provincial fund, a city's
# assessment scheme) are visible to the users below it: they allocate from
# them and are scored against them.
VISIBLE_FROM_BELOW = {"funding.fundingsource", "assessment.assessmentscheme"}


@dataclass(frozen=True)
class Grant:
    role: str
    code: str


def grants(user) -> tuple[Grant, ...]:
    """The user's role grants, read once per user object (i.e. once per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, "_qiancun_grants", None)
    if cached is None:
        cached = tuple(
            Grant(role, code) for role, code in user.role_assignments.values_list("role", "region_id").order_by("region_id")
        )
        user._qiancun_grants = cached
    return cached


class _SystemReader:
    """The reader of background jobs that act for no one in particular (scheduled reports): it sees
    everything, so the job itself must narrow what it reads (a report reads below its region only).
    The person who asked for a job was checked when it was requested."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None
    username = "system"

    def __str__(self):
        return "system"


SYSTEM = _SystemReader()


def roles_of(user) -> set[str]:
    return {grant.role for grant in grants(user)}


def is_unrestricted(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def _rules(user, action: str) -> list[tuple[str, str]]:
    """(mode, code) pairs of the user's grants that allow the action."""
    try:
        allowed = PERMISSIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    return [(allowed[grant.role], grant.code) for grant in grants(user) if grant.role in allowed]


def area_path(model: type[Model]) -> str:
    try:
        return AREA_PATHS[model._meta.label_lower]
    except KeyError:
        raise LookupError(f"{model._meta.label} has no area path in core.scoping.AREA_PATHS") from None


def _ancestors(code: str) -> list[str]:
    return [code[:n] for n in (2, 4, 6, 9) if n < len(code)]


def scope_q(model: type[Model], user, action: str = "view") -> Q | None:
    """The filter for the rows of ``model`` the user may take ``action`` on;
    None means no restriction (superuser)."""
    if is_unrestricted(user):
        return None
    path = area_path(model)
    terms = []
    for mode, code in _rules(user, action):
        if mode == EXACT:
            terms.append(Q(**{path: code}))
        else:
            terms.append(Q(**{f"{path}__startswith": code}))
            if action == "view" and model._meta.label_lower in VISIBLE_FROM_BELOW:
                terms.extend(Q(**{path: ancestor}) for ancestor in _ancestors(code))
    if not terms:
        return Q(pk__in=[])
    return reduce(or_, terms)


def restrict(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """The gate for querysets: only the rows the user may take ``action`` on."""
    condition = scope_q(queryset.model, user, action)
    return queryset if condition is None else queryset.filter(condition)


def area_code_of(obj) -> str:
    """The division code that places an object (or a region/village code string)."""
    if isinstance(obj, str):
        return obj
    value = obj
    for part in area_path(type(obj)).split("__"):
        value = getattr(value, part)
    return value


def can(user, action: str, obj) -> bool:
    """May the user take ``action`` on ``obj`` (a model instance, or for a
    creation the Region/Village/code it would be created in)?"""
    if is_unrestricted(user):
        return True
    code = area_code_of(obj)
    from_below = action == "view" and not isinstance(obj, str) and type(obj)._meta.label_lower in VISIBLE_FROM_BELOW
    for mode, granted in _rules(user, action):
        if (mode == EXACT and code == granted) or (mode == WITHIN and code.startswith(granted)):
            return True
        if from_below and mode == WITHIN and granted.startswith(code):
            return True
    return False


def can_anywhere(user, action: str) -> bool:
    """Does the user hold any grant for the action (to show a button or a menu)?"""
    return is_unrestricted(user) or bool(_rules(user, action))


def require(user, action: str, obj) -> None:
    """Raise NotPermitted unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise NotPermitted(action)
