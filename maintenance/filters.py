"""One FilterSet per list: the HTML lists and the API use the same ones."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, IdFilter, MultipleChoiceFilter, RegionCodeFilter, search_village_objects

from .models import Asset, AssetKind, AssetStatus, Fault, FaultStatus, Inspection, InspectionStatus, Keeper, Severity
from .selectors import fault_overdue_q, has_keeper_q, inspection_overdue_q


class AssetFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="village__code")
    village = django_filters.CharFilter(field_name="village_id", label=_("Village code"))
    project = IdFilter(field_name="project_id", label=_("Project"))
    kind = MultipleChoiceFilter(choices=AssetKind.choices, label=_("asset kind"))
    status = MultipleChoiceFilter(choices=AssetStatus.choices, label=_("status"))
    no_keeper = BooleanFilter(method="filter_no_keeper", label=_("Without a keeper"))
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Asset
        fields = ["region", "village", "project", "kind", "status"]

    def filter_no_keeper(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(has_keeper_q()) if value else queryset.filter(has_keeper_q())

    def search(self, queryset, name, value):
        return search_village_objects(queryset, value)


class KeeperFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="region__code")
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Keeper
        fields = ["region"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__contains=value) | Q(organisation__contains=value) | Q(phone__startswith=value)) if value else queryset


class InspectionFilterSet(django_filters.FilterSet):
    """Inspections: the HTML list, the to-do list's overdue ones and /api/v1/inspections/."""

    region = RegionCodeFilter(path="asset__village__code")
    village = django_filters.CharFilter(field_name="asset__village_id", label=_("Village code"))
    asset = IdFilter(field_name="asset_id", label=_("asset"))
    kind = MultipleChoiceFilter(field_name="asset__kind", choices=AssetKind.choices, label=_("asset kind"))
    status = MultipleChoiceFilter(choices=InspectionStatus.choices, label=_("status"))
    overdue = BooleanFilter(method="filter_overdue", label=_("Overdue"))
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due until"))
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Inspection
        fields = ["region", "village", "asset", "kind", "status"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(inspection_overdue_q()) if value else queryset.exclude(inspection_overdue_q())

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(asset__name__contains=value) | Q(asset__village__name__contains=value)) if value else queryset


class FaultFilterSet(django_filters.FilterSet):
    """Faults: the HTML list, the to-do list's overdue repairs and /api/v1/faults/."""

    region = RegionCodeFilter(path="asset__village__code")
    village = django_filters.CharFilter(field_name="asset__village_id", label=_("Village code"))
    asset = IdFilter(field_name="asset_id", label=_("asset"))
    kind = MultipleChoiceFilter(field_name="asset__kind", choices=AssetKind.choices, label=_("asset kind"))
    severity = MultipleChoiceFilter(choices=Severity.choices, label=_("severity"))
    status = MultipleChoiceFilter(choices=FaultStatus.choices, label=_("status"))
    overdue = BooleanFilter(method="filter_overdue", label=_("Repair overdue"))
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Fault
        fields = ["region", "village", "asset", "kind", "severity", "status"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(fault_overdue_q()) if value else queryset.exclude(fault_overdue_q())

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(description__contains=value) | Q(asset__name__contains=value) | Q(asset__village__name__contains=value)
        ) if value else queryset
