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

from core.divisions import CODE_LENGTH, RegionLevel, ancestor_codes
from core.exceptions import NotPermitted
from core.models import Role, RoleAssignment

WITHIN = "within"  # the object's area is the role's region or below it
EXACT = "exact"  # the object's area is the role's region itself

# A keeper (管护员、河长、路长…) with a portal account holds this role for each village where they are responsible
# for an asset or for the village now: it is derived, never granted (no RoleAssignment holds it), by the grant
# sources the apps register (DERIVED_GRANTS; maintenance registers the keepers' in its AppConfig.ready()).
KEEPER = "keeper"
ALL_ROLES = frozenset(Role.values) | {KEEPER}
HTML_ROLES = frozenset({Role.TOWNSHIP_OFFICIAL, Role.COUNTY_STAFF, Role.SUPERVISOR, KEEPER})

# action → {role: how the object's area must relate to the role's region}
PERMISSIONS: dict[str, dict[str, str]] = {
    # Reading: every role, below its region. api_client reads only through the API
    # (enforced by the HTML views' login gate, see core.views).
    "view": {role: WITHIN for role in ALL_ROLES},
    # A village's facts (population, households, area, coordinates): county staff for their county.
    "village.edit": {Role.COUNTY_STAFF: WITHIN},
    # Projects and progress: township officials in their villages.
    "project.create": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.edit": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.submit": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.start": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.complete": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.withdraw": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "project.discard": {Role.TOWNSHIP_OFFICIAL: WITHIN},
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
    # Assessment schemes and their indicators: county staff for their county; city and province staff (who hold
    # the supervisor role) for their own region and the regions below it. Never township officials.
    "assessment.configure": {Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: WITHIN},
    "followup.record": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "report.request": {Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: WITHIN},
    # The funding ledger as a workbook (a report job): everyone who reads the ledger pages, for their own area.
    "report.request_ledger": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: WITHIN},
    # Long-term maintenance (长效管护): township officials and county staff register, edit and retire the assets of
    # their area, keep their rosters of keepers (a township's, a county's) and assign keepers; supervisors read.
    "asset.manage": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "keeper.manage": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "keeper.assign": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    # Inspections and faults: the keeper of the village, its township's official and the county's staff record
    # inspections, report faults and record repairs; the township (or the county) verifies a repair. County staff
    # set their county's inspection intervals.
    "inspection.record": {KEEPER: WITHIN, Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "fault.report": {KEEPER: WITHIN, Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "fault.repair": {KEEPER: WITHIN, Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "fault.verify": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "maintenance.configure": {Role.COUNTY_STAFF: WITHIN},
    # Plans and targets (规划先行): township officials and county staff record the plans of their villages (county
    # staff their county's layout plan); a township official says which plan item a project carries out, or asks
    # for an exception outside the plan, which county staff decide. Targets are set by the level above (checked on
    # the parent region of the target's: planning.services), read below. County staff keep their creation lists.
    "plan.manage": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "plan.cite": {Role.TOWNSHIP_OFFICIAL: WITHIN},
    "plan.exception_decide": {Role.COUNTY_STAFF: WITHIN},
    "target.set": {Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: WITHIN},
    "creation_list.manage": {Role.COUNTY_STAFF: WITHIN},
    # Supervision (督查): county, city and province staff record their visits and the problems found; the township
    # official (or the county's staff) records the rectification; the visit's office re-checks it and closes or
    # reopens the problem (checked on the visit: oversight.services).
    "visit.record": {Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: WITHIN},
    "problem.rectify": {Role.TOWNSHIP_OFFICIAL: WITHIN, Role.COUNTY_STAFF: WITHIN},
    "problem.recheck": {Role.COUNTY_STAFF: WITHIN, Role.SUPERVISOR: WITHIN},
    # Bulletins (通报): a county's or a city's (or the province's) office composes, edits, approves and publishes its
    # own; published ones are read below it.
    "bulletin.manage": {Role.COUNTY_STAFF: EXACT, Role.SUPERVISOR: EXACT},
    # The public pages (公开): county staff open or close their county's village pages to the public and keep its
    # exemplary cases (典型案例), their stories and photos, published and withdrawn.
    "publicity.manage": {Role.COUNTY_STAFF: WITHIN},
    # Reminders (提醒): county staff set their county's rules (which reminders, after how many days).
    "reminder.configure": {Role.COUNTY_STAFF: WITHIN},
    # Marking a region's figures as invented (sample or scale-test data): no role's action. The command line does it
    # (seed_demo, generate_programme, with no actor, as grant_role grants); of the people, only a superuser could.
    "region.mark_sample_data": {},
}

# model label → path from the model to the division code that places a row.
AREA_PATHS: dict[str, str] = {
    "villages.region": "code",
    "villages.village": "code",
    "core.villagechange": "village_code",  # the outbox (core.changes): read by no user, scoped all the same
    "projects.project": "village__code",
    "projects.projecttransition": "project__village__code",
    "projects.progressreport": "project__village__code",
    "projects.progressphoto": "report__project__village__code",
    "funding.fundingsource": "region__code",
    "funding.allocation": "village__code",  # the village of its project or of its asset (upkeep)
    "funding.disbursement": "allocation__village__code",
    "assessment.assessmentscheme": "region__code",
    "assessment.assessment": "village__code",
    "assessment.indicatorscore": "assessment__village__code",
    "assessment.followup": "village__code",
    "assessment.promotion": "village__code",
    "dashboard.villagestats": "village__code",
    "dashboard.villagestatus": "village__code",  # the bulk feed's snapshots (/api/v1/village-status/)
    "dashboard.townshipmonth": "township__code",
    "dashboard.townshipstats": "township__code",
    "dashboard.countymonth": "county__code",
    "dashboard.countystats": "county__code",
    "dashboard.areaoutput": "region__code",
    "core.roleassignment": "region__code",
    "reports.reportjob": "region__code",
    "maintenance.asset": "village__code",
    "maintenance.keeper": "region__code",  # the township or county whose roster it is
    "maintenance.keeperassignment": "keeper__region__code",
    "maintenance.inspectioninterval": "region__code",
    "maintenance.inspection": "asset__village__code",
    "maintenance.inspectionphoto": "inspection__asset__village__code",
    "maintenance.fault": "asset__village__code",
    "maintenance.faultphoto": "fault__asset__village__code",
    "planning.plan": "area_code",  # a county's layout plan or a village's construction plan
    "planning.planitem": "plan__area_code",
    "planning.plancitation": "project__village__code",
    "planning.target": "region__code",
    "planning.creationlistentry": "village__code",
    "oversight.visit": "region__code",  # the supervising office's area
    "oversight.problem": "village__code",
    "oversight.problemphoto": "problem__village__code",
    "bulletins.bulletin": "region__code",  # the issuing office's
    "imports.importbatch": "region__code",  # the area the file was imported for (read by its uploader only: imports.selectors)
    "disclosure.countypublication": "county__code",
    "disclosure.exemplar": "village__code",
    "disclosure.exemplarphoto": "exemplar__village__code",
}
# Rows administered at a level above the user (a provincial fund, a city's
# assessment scheme, a county's inspection intervals) are visible to the users below it: they allocate from
# them and are scored against them.
VISIBLE_FROM_BELOW = {
    "funding.fundingsource", "assessment.assessmentscheme", "maintenance.inspectioninterval",
    # A county's layout plan (and its items) is read by its townships; a region's target by the regions below it.
    "planning.plan", "planning.planitem", "planning.target",
    # A county's bulletin is read in its townships (only the published ones: bulletins.selectors).
    "bulletins.bulletin",
}
# ... unless the row is meant for another area: a provincial fund earmarked for one county, the money of one
# village. Seen from below, such a row is visible only on its target's line (the target is the user's region,
# above it, or below it). model label → paths to the division codes of its targets (each may be empty).
FROM_BELOW_TARGETS: dict[str, tuple[str, ...]] = {
    "funding.fundingsource": ("beneficiary_region__code", "village__code"),
}


@dataclass(frozen=True)
class Grant:
    role: str
    code: str


# Functions user → a queryset of (role, code) pairs, for roles that follow from what a user is rather than from a
# role assignment (a keeper's villages). Registered by the apps that know (AppConfig.ready()); core imports none of
# them. They are read in the same query as the assigned roles (a UNION), so they cost a request nothing more.
DERIVED_GRANTS: list = []
# The same grants seen from the other side, for finding who holds a derived role in some areas (holders()): functions
# (role, codes) → an iterable of (user id, code) pairs, the code being one of ``codes`` that the user holds ``role``
# for, active users only. Registered with their DERIVED_GRANTS twin (maintenance registers the keepers').
DERIVED_HOLDERS: dict[str, object] = {}


def grants(user) -> tuple[Grant, ...]:
    """The user's role grants (assigned and derived), read once per user object (i.e. once per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, "_qiancun_grants", None)
    if cached is None:
        pairs = user.role_assignments.values_list("role", "region_id")
        if DERIVED_GRANTS:
            pairs = pairs.order_by().union(*(source(user) for source in DERIVED_GRANTS))
        cached = tuple(sorted({Grant(role, code) for role, code in pairs}, key=lambda grant: (grant.code, grant.role)))
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


# The role a region's own users hold, by the length of its code.
_ROLE_OF_LEVEL = {
    CODE_LENGTH[RegionLevel.PROVINCE]: Role.SUPERVISOR, CODE_LENGTH[RegionLevel.CITY]: Role.SUPERVISOR,
    CODE_LENGTH[RegionLevel.COUNTY]: Role.COUNTY_STAFF, CODE_LENGTH[RegionLevel.TOWNSHIP]: Role.TOWNSHIP_OFFICIAL,
}


class RegionReader:
    """A reader for one region, for background jobs that show a region as its own users see it (a ledger report):
    the role its level's users hold (township official, county staff, supervisor), granted for that region only.
    The person who asked for the job was checked when it was requested."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None

    def __init__(self, code: str):
        self.username = f"reader:{code}"
        self._qiancun_grants = (Grant(_ROLE_OF_LEVEL[len(code)], code),)

    def __str__(self):
        return self.username


def reader_of(code: str) -> RegionReader:
    return RegionReader(code)


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
    return ancestor_codes(code)


def _on_the_line_q(target_path: str, code: str) -> Q:
    """The target is empty, or the region ``code`` itself, above it or below it."""
    return (
        Q(**{f"{target_path}__isnull": True})
        | Q(**{f"{target_path}__in": [*_ancestors(code), code]})
        | Q(**{f"{target_path}__startswith": code})
    )


def _from_below_q(model: type[Model], path: str, code: str) -> Q | None:
    """Rows administered above ``code`` that a user of ``code`` sees (VISIBLE_FROM_BELOW, FROM_BELOW_TARGETS)."""
    ancestors = _ancestors(code)
    if not ancestors:
        return None
    condition = Q(**{f"{path}__in": ancestors})
    for target in FROM_BELOW_TARGETS.get(model._meta.label_lower, ()):
        condition &= _on_the_line_q(target, code)
    return condition


def _targets_on_the_line(obj, code: str) -> bool:
    """The object-level twin of ``_on_the_line_q``: each target's code (every target is a foreign key to a
    division, whose primary key is its code) is empty, or on the line of ``code``."""
    for target in FROM_BELOW_TARGETS.get(type(obj)._meta.label_lower, ()):
        value = area_code_of_path(obj, target)
        if value and not (code.startswith(value) or value.startswith(code)):
            return False
    return True


def scope_q(model: type[Model], user, action: str = "view", *, from_below: bool = True) -> Q | None:
    """The filter for the rows of ``model`` the user may take ``action`` on;
    None means no restriction (superuser). ``from_below=False`` leaves out the rows administered above the
    user's regions (VISIBLE_FROM_BELOW): only the rows within the user's own area."""
    if is_unrestricted(user):
        return None
    path = area_path(model)
    terms = []
    for mode, code in _rules(user, action):
        if mode == EXACT:
            terms.append(Q(**{path: code}))
        else:
            terms.append(Q(**{f"{path}__startswith": code}))
            if from_below and action == "view" and model._meta.label_lower in VISIBLE_FROM_BELOW:
                above = _from_below_q(model, path, code)
                if above is not None:
                    terms.append(above)
    if not terms:
        return Q(pk__in=[])
    return reduce(or_, terms)


def restrict(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """The gate for querysets: only the rows the user may take ``action`` on."""
    condition = scope_q(queryset.model, user, action)
    return queryset if condition is None else queryset.filter(condition)


def area_code_of_path(obj, path: str) -> str | None:
    """The division code at the end of ``path`` (``village__code``) from ``obj``, without loading the division:
    divisions are keyed by their code, so ``village__code`` is the foreign key's own value (``village_id``)."""
    *relations, last = path.split("__")
    value = obj
    for index, part in enumerate(relations):
        if index == len(relations) - 1 and last == "code":
            return getattr(value, type(value)._meta.get_field(part).attname)
        value = getattr(value, part)
        if value is None:
            return None
    return getattr(value, last)


def area_code_of(obj) -> str:
    """The division code that places an object (or a region/village code string)."""
    if isinstance(obj, str):
        return obj
    return area_code_of_path(obj, area_path(type(obj)))


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
        if from_below and mode == WITHIN and granted.startswith(code) and _targets_on_the_line(obj, granted):
            return True
    return False


def can_anywhere(user, action: str) -> bool:
    """Does the user hold any grant for the action (to show a button or a menu)?"""
    return is_unrestricted(user) or bool(_rules(user, action))


def require(user, action: str, obj) -> None:
    """Raise NotPermitted unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise NotPermitted(action)


# --- who may act: the gate read the other way round -------------------------------------------------------------

def _holder_codes(code: str) -> list[str]:
    return [*_ancestors(code), code]


def holders_by_area(action: str, codes, *, roles=None, own_region_only: bool = False) -> dict[str, set[int]]:
    """{area code: ids of the active users whose grants allow ``action`` on an object of that area}, for many areas
    in one query of role assignments (plus one per derived role the action allows). A role held WITHIN reaches its
    region and everything below it, EXACT its region only: the rule ``can()`` applies to one object. Superusers are
    not counted (they may do anything, and are reminded of nothing). Callers pass areas in bounded chunks.
    ``roles`` keeps the holders of these roles only (the township's officials, not the county's staff who may act
    too); ``own_region_only`` the grants for the area itself (a visit's office), not for the regions above it."""
    try:
        allowed = PERMISSIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    if roles is not None:
        allowed = {role: mode for role, mode in allowed.items() if role in roles}

    codes = set(codes)
    candidates = set()
    for code in codes:
        candidates.update([code] if own_region_only else _holder_codes(code))
    held: dict[str, list[tuple[int, str]]] = {}  # granted code → [(user id, mode)]
    assigned = [role for role in allowed if role in Role.values]
    if assigned and candidates:
        rows = RoleAssignment.objects.filter(
            role__in=assigned, region_id__in=candidates, user__is_active=True,
        ).order_by().values_list("user_id", "role", "region_id")
        for user_id, role, granted in rows:
            held.setdefault(granted, []).append((user_id, allowed[role]))
    for role, mode in allowed.items():
        source = DERIVED_HOLDERS.get(role)
        if source is None or not codes:
            continue
        for user_id, granted in source(role, candidates):
            held.setdefault(granted, []).append((user_id, mode))
    found: dict[str, set[int]] = {}
    for code in codes:
        users = set()
        for granted in [code] if own_region_only else _holder_codes(code):
            for user_id, mode in held.get(granted, ()):
                if mode == WITHIN or granted == code:
                    users.add(user_id)
        found[code] = users
    return found


def holders(action: str, obj) -> QuerySet:
    """The active users (superusers aside) who may take ``action`` on ``obj`` (an object with an area, or a code):
    those holding an allowing role for its area or a region above it (EXACT roles: for its area itself), assigned or
    derived. The reverse of ``can()``, for the reminders (inbox)."""
    from django.contrib.auth import get_user_model

    code = area_code_of(obj)
    ids = holders_by_area(action, [code])[code]
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk")
