"""Reads of supervision: scoped through the gate, with what the pages show joined in."""
from __future__ import annotations

import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.scoping import restrict
from projects.models import ProjectStatus
from projects.selectors import project_list

from .models import Problem, ProblemPhoto, ProblemStatus, Visit


def problem_overdue_q(today: datetime.date | None = None) -> Q:
    """To be rectified and past its deadline (a rectification waiting for its re-check is not overdue)."""
    return Q(status=ProblemStatus.OPEN, deadline__lt=today or timezone.localdate())


def visit_list(*, user) -> QuerySet:
    """Visits with their numbers of villages, problems and problems still open (subqueries: counted for the rows
    of the page only)."""
    problems = Problem.objects.filter(visit=OuterRef("pk")).order_by().values("visit")
    villages = Visit.villages.through.objects.filter(visit=OuterRef("pk")).order_by().values("visit")
    return restrict(Visit.objects.select_related("region", "recorded_by"), user).annotate(
        village_count=Coalesce(Subquery(villages.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0),
        problem_count=Coalesce(Subquery(problems.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0),
        open_count=Coalesce(Subquery(problems.exclude(status=ProblemStatus.CLOSED).annotate(n=Count("pk")).values("n"),
                                     output_field=IntegerField()), 0),
    )


def visit_detail(*, user) -> QuerySet:
    return restrict(Visit.objects.select_related("region", "recorded_by"), user)


def problem_list(*, user, action: str = "view") -> QuerySet:
    return restrict(
        Problem.objects.select_related("village", "township", "visit", "visit__region", "project"), user, action
    )


def problem_detail(*, user) -> QuerySet:
    return problem_list(user=user).select_related("found_by", "rectified_by", "closed_by").prefetch_related("photos")


def problem_photo_list(*, user) -> QuerySet:
    return restrict(ProblemPhoto.objects.select_related("problem"), user)


def finding_projects(*, user, villages) -> QuerySet:
    """The projects a finding on a visit may name: those of the villages visited that the user sees, from
    submission on (not drafts, not cancelled ones)."""
    return (project_list(user=user).filter(village__in=villages)
            .exclude(status__in=[ProjectStatus.DRAFT, ProjectStatus.CANCELLED]).order_by("village_id", "name"))
