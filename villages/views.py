from django.db.models import Count, Q, Sum

from assessment import selectors as assessment_selectors
from core import audit, scoping
from core.views import ScopedDetailView, ScopedListView
from funding.selectors import figures_for_area

from . import selectors
from .filters import VillageFilterSet


class VillageListView(ScopedListView):
    selector = selectors.village_list
    filterset_class = VillageFilterSet
    template_name = "villages/village_list.html"


class VillageDetailView(ScopedDetailView):
    selector = selectors.village_list
    template_name = "villages/village_detail.html"
    context_object_name = "village"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_context_data(self, **kwargs):
        from projects.selectors import project_list

        context = super().get_context_data(**kwargs)
        projects = project_list(user=self.request.user).filter(village=self.object)
        context["projects"] = projects.order_by("status", "planned_end")
        context["can_create"] = scoping.can(self.request.user, "project.create", self.object)
        context["history"] = audit.history(self.object)[:20]
        context["money"] = figures_for_area(user=self.request.user, code=self.object.code)
        assessments = list(
            assessment_selectors.assessment_list(user=self.request.user)
            .filter(village=self.object, status="finalised").order_by("-period", "-finalised_at")[:3]
        )
        ranks = assessment_selectors.village_ranks(assessments[:1])
        context["assessments"] = [(a, ranks.get(a.pk)) for a in assessments]
        context["follow_ups"] = assessment_selectors.follow_up_list(user=self.request.user).filter(
            assessment_selectors.open_follow_ups_q(), village=self.object
        )
        context["promotions"] = assessment_selectors.promotions_of(self.object)
        context["project_totals"] = projects.aggregate(
            count=Count("id"), budget=Sum("budget"), done=Count("id", filter=Q(status__in=["completed", "accepted"]))
        )
        return context
