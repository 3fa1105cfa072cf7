"""One FilterSet per list."""
import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.filters import MultipleChoiceFilter, RegionCodeFilter

from .models import CREATION_CATEGORIES, CreationListEntry, Plan, PlanItem, PlanKind, PlanStatus


class PlanFilterSet(django_filters.FilterSet):
    """The plan list's filters, for the page and the API (/api/v1/plans/) alike."""

    kind = MultipleChoiceFilter(choices=PlanKind.choices, label=_("plan kind"))
    status = MultipleChoiceFilter(choices=PlanStatus.choices, label=_("status"))
    area = RegionCodeFilter(path="area_code")
    village = django_filters.CharFilter(
        method="filter_village", label=_("Village code"),
        help_text=_("A village's code: its construction plans and the layout plans of its county with items for it."),
    )
    q = django_filters.CharFilter(method="search", label=_("Village name"))

    class Meta:
        model = Plan
        fields = ["kind", "status", "area", "village"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(village__name__contains=value) if value else queryset

    def filter_village(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        if not (value.isascii() and value.isdigit() and len(value) == 12):
            return queryset.none()
        names_it = PlanItem.objects.filter(plan=OuterRef("pk"), village_id=value)
        return queryset.filter(Q(kind=PlanKind.CONSTRUCTION, area_code=value)
                               | Q(Exists(names_it), kind=PlanKind.LAYOUT, area_code=value[:6]))


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
