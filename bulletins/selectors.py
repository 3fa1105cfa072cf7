"""Reads of bulletins, and what a new bulletin is composed from."""
from __future__ import annotations

import datetime

from django.db.models import QuerySet

from core.scoping import restrict
from oversight.models import Problem, ProblemStatus
from oversight.selectors import problem_overdue_q
from reports.selectors import overdue_head, region_dashboard

from .models import Bulletin, BulletinStatus

LIST_LIMIT = 10


def bulletin_list(*, user) -> QuerySet:
    """The published bulletins the user reads (a county's are read in its townships), and the drafts and approved
    ones of the offices the user writes bulletins for."""
    rows = Bulletin.objects.select_related("region")
    return (restrict(rows, user).filter(status=BulletinStatus.PUBLISHED) | restrict(rows, user, "bulletin.manage")).distinct()


def _rate(value) -> str | None:
    return None if value is None else f"{value}"


def compose_figures(region, start: datetime.date, end: datetime.date, today: datetime.date) -> dict:
    """What the portal knows of the region for a bulletin of the period, JSON-ready: the projects and the overdue
    ones (the longest overdue named), the latest finalised annual ranking's bottom (末位), supervision's problems
    found and closed in the period, still open and overdue (the overdue ones named), last month's reporting
    discipline per area below. Read for no one in particular (the office's whole area)."""
    board = region_dashboard(region, today)
    totals = board.totals
    problems = Problem.objects.filter(village__code__startswith=region.code)
    overdue_problems = problems.filter(problem_overdue_q(today)).select_related("village", "township").order_by("deadline", "id")
    reporting = totals.reporting
    return {
        "region": region.code, "region_name": region.name,
        "period": [start.isoformat(), end.isoformat()], "as_of": today.isoformat(),
        "projects": totals.projects, "overdue_projects": totals.overdue_projects,
        "overdue": [{"name": p.name, "village": p.village.short_name, "township": p.village.township.name,
                     "planned_end": p.planned_end.isoformat(), "days": (today - p.planned_end).days}
                    for p in overdue_head(region.code, today, LIST_LIMIT)],
        "ranking_period": board.ranking_period,
        "bottom": [{"village": a.village.short_name, "township": a.village.township.name, "score": f"{a.total_score}"}
                   for a in board.bottom],
        "problems_found": problems.filter(found_on__gte=start, found_on__lte=end).count(),
        "problems_closed": problems.filter(status=ProblemStatus.CLOSED, closed_on__gte=start, closed_on__lte=end).count(),
        "problems_open": problems.exclude(status=ProblemStatus.CLOSED).count(),
        "problems_overdue": [{"village": p.village.short_name, "township": p.township.name, "category": p.get_category_display(),
                              "description": p.description, "deadline": p.deadline.isoformat()}
                             for p in overdue_problems[:LIST_LIMIT]],
        "problems_overdue_count": overdue_problems.count(),
        "reporting_month": board.reporting_month.isoformat() if board.reporting_month else None,
        "reporting_rate": _rate(reporting.rate if reporting else None),
        "on_time_rate": _rate(reporting.on_time_rate if reporting else None),
        "areas": [{"code": c.code, "name": c.name, "overdue_projects": c.overdue_projects,
                   "on_time_rate": _rate(c.reporting.on_time_rate if c.reporting else None)} for c in board.children],
    }



