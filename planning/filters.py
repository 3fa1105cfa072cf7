"""One FilterSet per list."""
import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import MultipleChoiceFilter, RegionCodeFilter

from .models import CREATION_CATEGORIES, CreationListEntry, Plan, PlanKind, PlanStatus


class PlanFilterSet(django_filters.FilterSet):
    kind = MultipleChoiceFilter(choices=PlanKind.choices, label=_("plan kind"))
    status = MultipleChoiceFilter(choices=PlanStatus.choices, label=_("status"))
    region = RegionCodeFilter(path="area_code")
    q = django_filters.CharFilter(method="search", label=_("Village name"))

    class Meta:
        model = Plan
        fields = ["kind", "status", "region"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(village__name__contains=value) if value else queryset


class CreationListFilterSet(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county_id", label=_("County code"))
    year = django_filters.NumberFilter(field_name="year", label=_("year"))
    category = MultipleChoiceFilter(choices=CREATION_CATEGORIES, label=_("category to create"))
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = CreationListEntry
        fields = ["county", "year", "category"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(village__name__contains=value) if value else queryset
