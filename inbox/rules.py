"""The reminder rules: what is due, for whom. Each rule is one query over its objects (bounded by the loosest N any
county has, read in chunks) and yields the events it finds; inbox.services.reminders_run finds their recipients
through the gate (core.scoping.holders_by_area, one query per chunk) and stores the messages."""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import DateField, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import FollowUp, FollowUpStatus
from core.models import Role
from core.scoping import KEEPER
from maintenance.models import Inspection, InspectionStatus
from oversight.models import Problem, ProblemStatus
from projects.models import Project, ProjectStatus, ProjectTransition

from .models import DEFAULT_RULES, Kind, ReminderRule

# Events (a project returned, a submission) older than this are not reminded of: the rules' first run on a portal
# with years of history sends nothing about them.
EVENT_WINDOW_DAYS = 14
CHUNK = 1000


@dataclass(frozen=True)
class Event:
    area: str  # the division code whose holders of the rule's action receive it
    event_key: str
    subject: str
    body: str
    url: str


class CountyRules:
    """Each county's (enabled, N) for one kind: its own row, else DEFAULT_RULES."""

    def __init__(self, kind: str, county_code: str | None = None):
        self.kind = kind
        self.default = DEFAULT_RULES[kind]
        rows = ReminderRule.objects.filter(kind=kind)
        if county_code:
            rows = rows.filter(region_id=county_code[:6])
        self.own = {region: (enabled, days) for region, enabled, days in rows.values_list("region_id", "enabled", "days")}

    def of(self, code: str) -> tuple[bool, int]:
        return self.own.get(code[:6], self.default)

    def enabled(self, code: str) -> bool:
        return self.of(code)[0]

    def days(self, code: str) -> int:
        return self.of(code)[1]

    def any_enabled(self) -> bool:
        return self.default[0] or any(enabled for enabled, _days in self.own.values())

    def widest(self) -> int:
        """The largest N of any enabled county (the default included: some county has no row)."""
        return max([self.default[1]] + [days for enabled, days in self.own.values() if enabled])

    def narrowest(self) -> int:
        return min([self.default[1]] + [days for enabled, days in self.own.values() if enabled])


@dataclass(frozen=True)
class Rule:
    kind: str
    action: str  # core.scoping's action its recipients hold on the area
    find: Callable[[datetime.date, CountyRules, Q], Iterator[Event]]
    roles: frozenset | None = None  # only the holders of these roles (None: every role the action allows)
    own_region_only: bool = False  # only grants for the area itself (the visit's office), not the regions above


def _chunks(queryset) -> Iterator:
    return queryset.iterator(chunk_size=CHUNK)


def _when(deadline: datetime.date, today: datetime.date) -> str:
    return "passed" if deadline < today else "near"


def _deadline_text(deadline: datetime.date, today: datetime.date) -> str:
    if deadline < today:
        return _("The deadline %(date)s has passed (%(days)s days ago).") % {"date": deadline.isoformat(), "days": (today - deadline).days}
    return _("The deadline is %(date)s (in %(days)s days).") % {"date": deadline.isoformat(), "days": (deadline - today).days}


def _since(today: datetime.date):
    """The start of the event window, as an aware time (so that the index on the transition's time serves)."""
    day = today - datetime.timedelta(days=EVENT_WINDOW_DAYS)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def project_returned(today, rules, area_q) -> Iterator[Event]:
    since = _since(today)
    rows = (ProjectTransition.objects.filter(area_q, to_status=ProjectStatus.RETURNED, project__status=ProjectStatus.RETURNED,
                                             at__gte=since)
            .order_by("pk").values_list("pk", "project_id", "project__village_id", "project__name", "reason"))
    for pk, project, village, name, reason in _chunks(rows):
        if rules.enabled(village):
            yield Event(village, f"project_returned:{pk}", _("Project returned: %(name)s") % {"name": name},
                        _("The county returned the project “%(name)s”. Reason: %(reason)s") % {"name": name, "reason": reason},
                        reverse("projects:detail", args=[project]))


def approval_waiting(today, rules, area_q) -> Iterator[Event]:
    since = _since(today)
    rows = (ProjectTransition.objects.filter(area_q, to_status=ProjectStatus.SUBMITTED, project__status=ProjectStatus.SUBMITTED,
                                             at__gte=since)
            .order_by("pk").values_list("pk", "project_id", "project__village_id", "project__name", "project__village__name"))
    for pk, project, village, name, village_name in _chunks(rows):
        if rules.enabled(village):
            yield Event(village, f"approval_waiting:{pk}", _("Waiting for approval: %(name)s") % {"name": name},
                        _("%(village)s submitted the project “%(name)s” for approval.") % {"village": village_name, "name": name},
                        reverse("projects:detail", args=[project]))


def progress_due(today, rules, area_q) -> Iterator[Event]:
    """An open project (under construction) with no progress report in N days: counted from its last report, else
    from its start. The key holds that date, so a new report starts the count again (and a new reminder)."""
    basis = Coalesce("last_reported_on", "actual_start", "planned_start", output_field=DateField())
    rows = (Project.objects.filter(area_q, status=ProjectStatus.UNDER_CONSTRUCTION)
            .annotate(basis=basis).filter(basis__lte=today - datetime.timedelta(days=rules.narrowest()))
            .order_by("pk").values_list("pk", "village_id", "name", "basis"))
    for pk, village, name, since in _chunks(rows):
        enabled, days = rules.of(village)
        if enabled and since <= today - datetime.timedelta(days=days):
            yield Event(village, f"progress_due:{pk}:{since.isoformat()}", _("Progress report due: %(name)s") % {"name": name},
                        _("No progress report on “%(name)s” since %(date)s (%(days)s days).")
                        % {"name": name, "date": since.isoformat(), "days": (today - since).days},
                        reverse("projects:detail", args=[pk]))


def follow_up_due(today, rules, area_q) -> Iterator[Event]:
    rows = (FollowUp.objects.filter(area_q, status__in=[FollowUpStatus.OPEN, FollowUpStatus.TALK_HELD],
                                    due_date__lte=today + datetime.timedelta(days=rules.widest()))
            .order_by("pk").values_list("pk", "village_id", "village__name", "due_date"))
    for pk, village, village_name, due in _chunks(rows):
        enabled, days = rules.of(village)
        if enabled and due <= today + datetime.timedelta(days=days):
            yield Event(village, f"follow_up_due:{pk}:{due.isoformat()}:{_when(due, today)}",
                        _("Follow-up deadline: %(village)s") % {"village": village_name},
                        _("The bottom-rank follow-up of %(village)s is not finished. ") % {"village": village_name}
                        + _deadline_text(due, today),
                        reverse("assessment:follow_up", args=[pk]))


def problem_due(today, rules, area_q) -> Iterator[Event]:
    rows = (Problem.objects.filter(area_q, status=ProblemStatus.OPEN, deadline__lte=today + datetime.timedelta(days=rules.widest()))
            .order_by("pk").values_list("pk", "village_id", "village__name", "deadline", "description"))
    for pk, village, village_name, deadline, description in _chunks(rows):
        enabled, days = rules.of(village)
        if enabled and deadline <= today + datetime.timedelta(days=days):
            yield Event(village, f"problem_due:{pk}:{deadline.isoformat()}:{_when(deadline, today)}",
                        _("Problem to rectify: %(village)s") % {"village": village_name},
                        f"{description[:200]}\n" + _deadline_text(deadline, today),
                        reverse("oversight:problem_detail", args=[pk]))


def problem_recheck(today, rules, area_q) -> Iterator[Event]:
    """A rectified problem waits for its visit's office: the reminder goes to the office (the visit's region)."""
    rows = (Problem.objects.filter(area_q, status=ProblemStatus.RECTIFIED)
            .order_by("pk").values_list("pk", "village_id", "village__name", "visit__region_id", "rectified_on", "reopened"))
    for pk, village, village_name, office, rectified_on, reopened in _chunks(rows):
        if rules.enabled(village):
            yield Event(office, f"problem_recheck:{pk}:{rectified_on.isoformat()}:{reopened}",
                        _("Rectification to re-check: %(village)s") % {"village": village_name},
                        _("The township rectified a problem of %(village)s on %(date)s; it waits for your re-check.")
                        % {"village": village_name, "date": rectified_on.isoformat()},
                        reverse("oversight:problem_detail", args=[pk]))


def inspection_due(today, rules, area_q) -> Iterator[Event]:
    rows = (Inspection.objects.filter(area_q, status=InspectionStatus.DUE, due_on__lte=today + datetime.timedelta(days=rules.widest()))
            .order_by("pk").values_list("pk", "asset_id", "asset__name", "asset__village_id", "asset__village__name", "due_on"))
    for pk, asset, asset_name, village, village_name, due in _chunks(rows):
        enabled, days = rules.of(village)
        if enabled and due <= today + datetime.timedelta(days=days):
            yield Event(village, f"inspection_due:{pk}:{_when(due, today)}",
                        _("Inspection due: %(asset)s") % {"asset": asset_name},
                        _("The inspection of %(asset)s (%(village)s) is due on %(date)s.")
                        % {"asset": asset_name, "village": village_name, "date": due.isoformat()},
                        reverse("maintenance:asset_inspect", args=[asset]))


OFFICIALS = frozenset({Role.TOWNSHIP_OFFICIAL})
RULES: tuple[Rule, ...] = (
    Rule(Kind.PROJECT_RETURNED, "project.edit", project_returned),
    Rule(Kind.APPROVAL_WAITING, "project.approve", approval_waiting),
    Rule(Kind.PROGRESS_DUE, "progress.create", progress_due),
    Rule(Kind.FOLLOW_UP_DUE, "followup.record", follow_up_due, roles=OFFICIALS),
    Rule(Kind.PROBLEM_DUE, "problem.rectify", problem_due, roles=OFFICIALS),
    Rule(Kind.PROBLEM_RECHECK, "problem.recheck", problem_recheck, own_region_only=True),
    Rule(Kind.INSPECTION_DUE, "inspection.record", inspection_due, roles=frozenset({KEEPER, Role.TOWNSHIP_OFFICIAL})),
)
# The path from each rule's objects to their village's code, to run the rules for one county.
AREA_FIELDS = {
    Kind.PROJECT_RETURNED: "project__village__code", Kind.APPROVAL_WAITING: "project__village__code",
    Kind.PROGRESS_DUE: "village__code", Kind.FOLLOW_UP_DUE: "village__code", Kind.PROBLEM_DUE: "village__code",
    Kind.PROBLEM_RECHECK: "village__code", Kind.INSPECTION_DUE: "asset__village__code",
}


def county_q(kind: str, county_code: str | None) -> Q:
    """The rule's objects in one county (all with None)."""
    return Q(**{f"{AREA_FIELDS[kind]}__startswith": county_code[:6]}) if county_code else Q()
