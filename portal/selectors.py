"""Reads that combine several apps, for the portal's pages."""
from django.db.models import Count, Q

from assessment.filters import overdue_follow_up_q
from assessment.models import FollowUp
from core.divisions import CODE_LENGTH, RegionLevel
from core.scoping import grants, restrict
from projects.models import OPEN_STATUSES, Project, ProjectStatus
from projects.rules import overdue_q, stale_q
from villages.models import Village
from villages.selectors import village_list


def todo_for(*, user, limit: int = 20) -> dict:
    """The to-do list (待办): an official's returned, overdue and silent projects and overdue
    follow-ups; county staff's projects to approve or accept and overdue follow-ups."""
    projects = restrict(Project.objects.select_related("village"), user, "project.edit")
    follow_ups = restrict(FollowUp.objects.select_related("village"), user, "followup.record")
    return {
        "follow_ups": list(follow_ups.filter(overdue_follow_up_q()).order_by("due_date")[:limit]),
        "returned": list(projects.filter(status=ProjectStatus.RETURNED).order_by("-updated_at")[:limit]),
        "overdue": list(projects.filter(overdue_q()).order_by("planned_end")[:limit]),
        "stale": list(projects.filter(stale_q()).order_by("last_reported_on")[:limit]),
        "to_approve": list(
            restrict(Project.objects.select_related("village"), user, "project.approve")
            .filter(status__in=[ProjectStatus.SUBMITTED, ProjectStatus.COMPLETED])
            .order_by("updated_at")[:limit]
        ),
    }


def home_villages(*, user, limit: int = 300) -> list[Village]:
    """A township official's villages, with their open project counts."""
    townships = [grant.code for grant in grants(user) if len(grant.code) == CODE_LENGTH[RegionLevel.TOWNSHIP]]
    if not townships:
        return []
    return list(
        village_list(user=user)
        .filter(township_id__in=townships)
        .annotate(
            project_count=Count("projects"),
            open_count=Count("projects", filter=Q(projects__status__in=OPEN_STATUSES)),
        )
        .order_by("code")[:limit]
    )
