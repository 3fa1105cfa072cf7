"""FilterSets of the assessment loop, shared by the pages and the API."""
import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, IdFilter, MultipleChoiceFilter, RegionCodeFilter, UpdatedSinceFilter, YearFilter
from villages.models import VillageCategory

from .models import Assessment, AssessmentScheme, AssessmentStatus, FollowUp, FollowUpStatus, Grade, SchemeKind


class SchemeFilterSet(django_filters.FilterSet):
    """The scheme list (assessment.selectors.scheme_overview: ``in_use`` is annotated there)."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    region = RegionCodeFilter(path="region__code", label=_("issuing region"),
                              help_text=_("Schemes issued by this region or below it: 33, 3305, 330523."))
    year = YearFilter(label=_("year"))
    kind = MultipleChoiceFilter(choices=SchemeKind.choices, label=_("kind"))
    category = django_filters.ChoiceFilter(choices=VillageCategory.choices, label=_("village category"))
    in_use = BooleanFilter(field_name="in_use", label=_("In use (frozen)"))

    class Meta:
        model = AssessmentScheme
        fields = ["region", "year", "kind", "category"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__contains=value) if value else queryset


class AssessmentFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="village__code")
    village = django_filters.CharFilter(field_name="village_id", label=_("Village code"))
    scheme = IdFilter(field_name="scheme_id", label=_("scheme"))
    period = django_filters.CharFilter(label=_("period"))
    status = MultipleChoiceFilter(choices=AssessmentStatus.choices, label=_("status"))
    grade = MultipleChoiceFilter(choices=Grade.choices, label=_("grade"))
    updated_since = UpdatedSinceFilter(field_name="updated_at")

    class Meta:
        model = Assessment
        fields = ["region", "village", "scheme", "period", "status", "grade"]


class FollowUpFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="village__code")
    status = MultipleChoiceFilter(choices=FollowUpStatus.choices, label=_("status"))
    overdue = BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = FollowUp
        fields = ["region", "status"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_follow_up_q()) if value else queryset.exclude(overdue_follow_up_q())


def overdue_follow_up_q(today=None) -> Q:
    """Not yet rectified and past its due date."""
    return Q(status__in=[FollowUpStatus.OPEN, FollowUpStatus.TALK_HELD], due_date__lt=today or timezone.localdate())
