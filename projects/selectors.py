"""Reads of projects that need care: scoped through the gate, with what the
pages show joined in, so a page costs the same queries for 1 row and for 50."""
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from core.scoping import restrict

from .models import ProgressPhoto, ProgressReport, Project, ProjectTransition


def project_list(*, user) -> QuerySet:
    return restrict(Project.objects.select_related("village", "village__township"), user)


def project_detail(*, user) -> QuerySet:
    return project_list(user=user).select_related("created_by", "updated_by").prefetch_related(
        Prefetch("transitions", queryset=ProjectTransition.objects.select_related("actor").order_by("at", "id")),
        Prefetch(
            "progress_reports",
            queryset=ProgressReport.objects.select_related("reporter").prefetch_related("photos").order_by("-report_date", "-id"),
        ),
    )


def progress_report_list(*, user) -> QuerySet:
    return restrict(
        ProgressReport.objects.select_related("project", "project__village", "reporter").prefetch_related("photos"), user
    )


def photo_list(*, user) -> QuerySet:
    return restrict(ProgressPhoto.objects.all(), user)


def completion(percent_sum, live_projects) -> Decimal | None:
    """Average percent complete of the live projects, one decimal: the one definition the dashboards, the reports
    and the village status API share."""
    return (Decimal(percent_sum) / live_projects).quantize(Decimal("0.1")) if live_projects else None
