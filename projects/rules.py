"""When a project needs attention, defined once: overdue (past its planned end, work not finished) and stale (under
construction with no progress report for STALE_AFTER_DAYS). The filters, the to-do list, the dashboards' figures
and the reports all use these."""
from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from .models import OPEN_STATUSES, ProjectStatus

STALE_AFTER_DAYS = 30


def overdue_q(today: datetime.date | None = None) -> Q:
    """Planned end passed and not completed (approved, under construction or suspended)."""
    return Q(planned_end__lt=today or timezone.localdate(), status__in=OPEN_STATUSES)


def stale_q(today: datetime.date | None = None) -> Q:
    """Under construction with no progress report in STALE_AFTER_DAYS days (or none since it started that long ago)."""
    cutoff = (today or timezone.localdate()) - datetime.timedelta(days=STALE_AFTER_DAYS)
    return Q(status=ProjectStatus.UNDER_CONSTRUCTION) & (
        Q(last_reported_on__lt=cutoff) | Q(last_reported_on__isnull=True, actual_start__lt=cutoff)
    )


# Checks a project must pass before the county approves it, registered by the layers above (planning: inside the plan
# or with an approved exception). Each takes the locked project and returns {field: message} of what is missing, or
# an empty dict.
APPROVAL_CHECKS: list = []


def approval_problems(project) -> dict:
    problems: dict = {}
    for check in APPROVAL_CHECKS:
        problems.update(check(project) or {})
    return problems
