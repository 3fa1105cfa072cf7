"""One FilterSet per list: the page, its export and the API use the same."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, IdFilter, MultipleChoiceFilter, OrderingFilter, RegionCodeFilter

from .models import Problem, ProblemCategory, ProblemSeverity, ProblemStatus, Visit, VisitKind
from .selectors import problem_overdue_q


class VisitFilterSet(django_filters.FilterSet):
    """Supervision visits: the HTML list and /api/v1/visits/."""

    region = RegionCodeFilter(path="region__code", label=_("supervising office or below (code)"))
    kind = MultipleChoiceFilter(choices=VisitKind.choices, label=_("kind of visit"))
    visited_after = django_filters.DateFilter(field_name="visited_on", lookup_expr="gte", label=_("Visited from"))
    visited_before = django_filters.DateFilter(field_name="visited_on", lookup_expr="lte", label=_("Visited to"))
    village = django_filters.CharFilter(field_name="villages__code", label=_("Village code"), distinct=True)
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Visit
        fields = ["region", "kind", "village"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(inspectors__contains=value) | Q(summary__contains=value)) if value else queryset


class ProblemFilterSet(django_filters.FilterSet):
    """The problem register (问题清单): the HTML list, its XLSX export and /api/v1/problems/, by every field."""

    region = RegionCodeFilter(path="village__code", label=_("area (code)"))
    township = django_filters.CharFilter(field_name="township_id", label=_("responsible township (code)"))
    village = django_filters.CharFilter(field_name="village_id", label=_("Village code"))
    visit = IdFilter(field_name="visit_id", label=_("supervision visit"))
    # The office itself (the province's own visits are not its counties'), not the area below it.
    office = django_filters.CharFilter(field_name="visit__region_id", label=_("supervising office (code)"))
    category = MultipleChoiceFilter(choices=ProblemCategory.choices, label=_("problem category"))
    severity = MultipleChoiceFilter(choices=ProblemSeverity.choices, label=_("severity"))
    status = MultipleChoiceFilter(choices=ProblemStatus.choices, label=_("status"))
    overdue = BooleanFilter(method="filter_overdue", label=_("Overdue"))
    found_after = django_filters.DateFilter(field_name="found_on", lookup_expr="gte", label=_("Found from"))
    found_before = django_filters.DateFilter(field_name="found_on", lookup_expr="lte", label=_("Found to"))
    deadline_after = django_filters.DateFilter(field_name="deadline", lookup_expr="gte", label=_("Deadline from"))
    deadline_before = django_filters.DateFilter(field_name="deadline", lookup_expr="lte", label=_("Deadline to"))
    q = django_filters.CharFilter(method="search", label=_("Search"))
    ordering = OrderingFilter(
        fields=(("deadline", "deadline"), ("found_on", "found_on"), ("village_id", "village")),
        field_labels={"deadline": _("rectification deadline"), "found_on": _("found on"), "village_id": _("village")},
        label=_("order by"),
    )

    class Meta:
        model = Problem
        fields = ["region", "township", "village", "visit", "office", "category", "severity", "status"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(problem_overdue_q()) if value else queryset.exclude(problem_overdue_q())

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(description__contains=value) | Q(village__name__contains=value) | Q(rectification__contains=value)
        ) if value else queryset
