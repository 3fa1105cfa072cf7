import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import (
    BooleanFilter,
    IdFilter,
    MultipleChoiceFilter,
    OrderingFilter,
    RegionCodeFilter,
    UpdatedSinceFilter,
    search_village_objects,
)

from .models import ProgressReport, Project, ProjectStatus, ProjectType
from .rules import overdue_q, stale_q


class ProjectFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="village__code")
    village = django_filters.CharFilter(field_name="village_id", label=_("Village code"))
    status = MultipleChoiceFilter(choices=ProjectStatus.choices, label=_("status"))
    type = MultipleChoiceFilter(choices=ProjectType.choices, label=_("project type"))
    overdue = BooleanFilter(method="filter_overdue", label=_("Overdue"))
    stale = BooleanFilter(method="filter_stale", label=_("No progress report in 30 days"))
    planned_end_after = django_filters.DateFilter(field_name="planned_end", lookup_expr="gte", label=_("Planned end from"))
    planned_end_before = django_filters.DateFilter(field_name="planned_end", lookup_expr="lte", label=_("Planned end to"))
    updated_since = UpdatedSinceFilter(field_name="updated_at")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    ordering = OrderingFilter(
        fields=(("updated_at", "updated"), ("planned_end", "planned_end"), ("budget", "budget"), ("percent_complete", "progress")),
        field_labels={"updated_at": _("last updated"), "planned_end": _("planned end"), "budget": _("budget"),
                      "percent_complete": _("percent complete")},
        label=_("Order by"),
    )

    class Meta:
        model = Project
        fields = ["region", "village", "status", "type"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_stale(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(stale_q()) if value else queryset.exclude(stale_q())

    def search(self, queryset, name, value):
        return search_village_objects(queryset, value)


class ProgressReportFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="project__village__code")
    village = django_filters.CharFilter(field_name="project__village_id", label=_("Village code"))
    project = IdFilter(field_name="project_id", label=_("Project"))
    date_after = django_filters.DateFilter(field_name="report_date", lookup_expr="gte", label=_("From"))
    date_before = django_filters.DateFilter(field_name="report_date", lookup_expr="lte", label=_("To"))
    updated_since = UpdatedSinceFilter(field_name="created_at")
    ordering = OrderingFilter(fields=(("report_date", "date"), ("id", "id")),
                              field_labels={"report_date": _("report date"), "id": _("entry order")}, label=_("Order by"))

    class Meta:
        model = ProgressReport
        fields = ["region", "village", "project"]


__all__ = ["ProjectFilterSet", "ProgressReportFilterSet"]
