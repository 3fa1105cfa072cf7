from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Plans and targets")

    def ready(self):
        # A project is approved only inside the plan, or with a county-approved exception (规划先行): projects sits
        # below planning and never imports it, so planning registers the check (projects.rules.APPROVAL_CHECKS).
        from projects.rules import APPROVAL_CHECKS

        from .rules import plan_citation_problem

        if plan_citation_problem not in APPROVAL_CHECKS:
            APPROVAL_CHECKS.append(plan_citation_problem)
