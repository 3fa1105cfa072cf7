"""One FilterSet per list: the HTML lists and the API use the same ones."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, IdFilter, MultipleChoiceFilter, RegionCodeFilter, search_village_objects

from .models import Asset, AssetKind, AssetStatus, Keeper
from .selectors import has_keeper_q


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
