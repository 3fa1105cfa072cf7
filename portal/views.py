"""Pages that combine several apps: home with the to-do list, the village page, the project page."""
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from assessment import selectors as assessment_selectors
from assessment.models import AssessmentStatus
from core import audit, scoping
from core.views import PortalAccessMixin, ScopedDetailView
from funding import selectors as funding_selectors
from funding.selectors import figures_for_area
from funding.services import FUNDABLE_STATUSES
from maintenance import selectors as maintenance_selectors
from planning import selectors as planning_selectors
from planning.forms import CitationForm, ExceptionDecisionForm
from planning.models import ExceptionStatus
from planning.services import CITABLE_STATUSES
from projects import selectors as project_selectors
from projects import services as project_services
from projects.forms import TransitionForm
from projects.models import DONE_STATUSES, REPORTABLE_STATUSES, ProjectStatus
from projects.selectors import project_list
from villages import selectors as village_selectors
from villages.selectors import home_regions

from .selectors import home_villages, supervision_for, todo_for


class HomeView(PortalAccessMixin, TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["regions"] = home_regions(user=user)
        context["villages"] = home_villages(user=user)
        context["todo"] = todo_for(user=user)
        context["today"] = timezone.localdate()
        context["supervision"] = supervision_for(user=user)
        return context


home = HomeView.as_view()


class VillageDetailView(ScopedDetailView):
    selector = village_selectors.village_list
    template_name = "villages/village_detail.html"
    context_object_name = "village"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        projects = project_list(user=self.request.user).filter(village=self.object)
        context["projects"] = projects.order_by("status", "planned_end")
        context["can_create"] = scoping.can(self.request.user, "project.create", self.object)
        context["history"] = audit.history(self.object)[:20]
        context["money"] = figures_for_area(user=self.request.user, code=self.object.code)
        assessments = list(
            assessment_selectors.assessment_list(user=self.request.user)
            .filter(village=self.object, status=AssessmentStatus.FINALISED).order_by("-period", "-finalised_at")[:3]
        )
        ranks = assessment_selectors.village_ranks(assessments[:1])
        context["assessments"] = [(a, ranks.get(a.pk)) for a in assessments]
        context["follow_ups"] = assessment_selectors.follow_up_list(user=self.request.user).filter(
            assessment_selectors.open_follow_ups_q(), village=self.object
        )
        context["promotions"] = assessment_selectors.promotions_of(self.object)
        context["assets"] = maintenance_selectors.assets_of(user=self.request.user, village=self.object)
        context["village_keepers"] = [a for a in maintenance_selectors.village_keepers(user=self.request.user, village=self.object)
                                      if a.ends_on is None]
        context["village_code"] = self.object.code
        context["add_asset_url"] = (
            reverse("maintenance:asset_create") + "?village=" + self.object.code
            if scoping.can(self.request.user, "asset.manage", self.object) else ""
        )
        context["plan"] = planning_selectors.current_construction_plan(user=self.request.user, village=self.object)
        context["creation_entries"] = planning_selectors.creation_entries_of(user=self.request.user, village=self.object)
        context["can_plan"] = scoping.can(self.request.user, "plan.manage", self.object)
        context["project_totals"] = projects.aggregate(
            count=Count("id"), budget=Sum("budget"), done=Count("id", filter=Q(status__in=DONE_STATUSES))
        )
        return context


def project_timeline(project) -> list[dict]:
    """The project's status changes and progress reports in one list, oldest first (the order a story is read in):
    by the day each happened, then by when it was recorded."""
    entries = [
        {"kind": "transition", "day": timezone.localtime(t.at).date(), "at": t.at, "item": t}
        for t in project.transitions.all()
    ] + [
        {"kind": "progress", "day": r.report_date, "at": r.created_at, "item": r}
        for r in project.progress_reports.all()
    ]
    return sorted(entries, key=lambda e: (e["day"], e["at"]))


def return_reason(project):
    """The county's latest return (退回) of a project that is returned now: shown at the top of its page."""
    if project.status != ProjectStatus.RETURNED:
        return None
    returns = [t for t in project.transitions.all() if t.to_status == ProjectStatus.RETURNED]
    return max(returns, key=lambda t: (t.at, t.id)) if returns else None


class ProjectDetailView(ScopedDetailView):
    selector = project_selectors.project_detail
    template_name = "projects/project_detail.html"
    context_object_name = "project"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, project = self.request.user, self.object
        actions = project_services.available_actions(user, project)
        context["actions"] = [{"action": a, "fields": TransitionForm(action=a, project=project).fields_for(a)} for a in actions]
        context["can_edit"] = scoping.can(user, "project.edit", project) and project.status not in project_services.CLOSED_STATUSES
        may_report = scoping.can(user, "progress.create", project)
        context["can_report"] = may_report and project.status in REPORTABLE_STATUSES
        # The township official is told why the button is missing (before approval, once closed).
        context["report_unavailable"] = project_services.progress_unavailable_reason(project) if may_report else ""
        context["history"] = audit.history(project)[:50]
        context["money"] = funding_selectors.figures_for_area(user=user, project=project)
        context["allocations"] = funding_selectors.allocation_list(user=user).filter(project=project).order_by("allocated_on", "id")
        may_allocate = scoping.can(user, "allocation.create", project)
        context["can_allocate"] = may_allocate and project.status in FUNDABLE_STATUSES
        context["allocate_unavailable"] = (
            _("Money can be allocated once the project is approved.")
            if may_allocate and project.status not in FUNDABLE_STATUSES and project.status != ProjectStatus.CANCELLED else ""
        )
        context["timeline"] = project_timeline(project)
        context["return_reason"] = return_reason(project)
        context["assets"] = maintenance_selectors.assets_of(user=user, project=project)
        context["add_asset_url"] = (
            reverse("maintenance:asset_create") + f"?project={project.pk}"
            if project.status == ProjectStatus.ACCEPTED and scoping.can(user, "asset.manage", project) else ""
        )
        context.update(self.plan_context(user, project))
        return context

    @staticmethod
    def plan_context(user, project) -> dict:
        """The 规划 panel: the plan item the project carries out, or its exception outside the plan and its state; the
        form to cite an item (or ask for the exception) while the county has not approved the project; the county's
        decision on a pending exception."""
        citation = planning_selectors.citation_of(project)
        can_cite = project.status in CITABLE_STATUSES and scoping.can(user, "plan.cite", project)
        can_decide = bool(
            citation and citation.exception_status == ExceptionStatus.PENDING
            and scoping.can(user, "plan.exception_decide", citation)
        )
        return {
            "citation": citation,
            "cite_form": CitationForm(items=planning_selectors.citable_items(project), initial={
                "item": citation.item_id if citation else None,
                "out_of_plan_reason": citation.out_of_plan_reason if citation else "",
            }) if can_cite else None,
            "decide_form": ExceptionDecisionForm(auto_id="id_exception_%s") if can_decide else None,
        }
