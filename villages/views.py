from django.db.models import Count, Q, Sum

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
        context["project_totals"] = projects.aggregate(
            count=Count("id"), budget=Sum("budget"), done=Count("id", filter=Q(status__in=["completed", "accepted"]))
        )
        return context
