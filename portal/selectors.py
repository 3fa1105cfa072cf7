"""Reads that combine several apps, for the portal's pages."""
from assessment.filters import overdue_follow_up_q
from assessment.models import FollowUp
from core.scoping import restrict
from projects.filters import overdue_q
from projects.models import Project, ProjectStatus
from projects.selectors import stale_q


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
