"""The plan's rule on projects (规划先行), registered with projects.rules.APPROVAL_CHECKS by PlanningConfig.ready()."""
from __future__ import annotations

from django.utils.translation import gettext as _

from .models import ExceptionStatus, PlanCitation


def plan_citation_problem(project) -> dict:
    """A project is approved only when it carries out an item of a plan, or when the county approved it as an
    exception outside the plan."""
    citation = PlanCitation.objects.filter(project=project).only("item_id", "exception_status").first()
    if citation is None:
        return {"plan_item": _("The project cites no plan item: cite the item it carries out, or ask for an exception "
                               "outside the plan.")}
    if citation.item_id is None and citation.exception_status != ExceptionStatus.APPROVED:
        if citation.exception_status == ExceptionStatus.REFUSED:
            return {"plan_item": _("The exception outside the plan was refused: cite a plan item.")}
        return {"plan_item": _("The project is outside the plan: approve its exception first.")}
    return {}
