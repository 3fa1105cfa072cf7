"""API v1: /api/v1/villages/, /villages/{code}/, /regions/, /regions/{code}/ (the status and summary actions, which
combine apps, are added by portal.api)."""
import django_filters
from rest_framework import serializers

from core.api import ScopedViewSet
from core.filters import RegionCodeFilter, UpdatedSinceFilter

from . import selectors
from .filters import VillageFilterSet
from .models import Region, RegionLevel, Village


class VillageSerializer(serializers.ModelSerializer):
    township = serializers.CharField(source="township_id", read_only=True)
    township_name = serializers.CharField(source="township.name", read_only=True)

    class Meta:
        model = Village
        fields = ["code", "name", "short_name", "township", "township_name", "kind", "category", "population", "households",
                  "area_km2", "latitude", "longitude", "joined_year", "updated_at"]
        read_only_fields = fields


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", read_only=True, allow_null=True, help_text="Code of the region above.")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "updated_at"]
        read_only_fields = fields


class RegionFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="code")
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, help_text="province, city, county or township.")
    parent = django_filters.CharFilter(field_name="parent_id", help_text="Code of the region above.")
    updated_since = UpdatedSinceFilter(field_name="updated_at")
    ordering = django_filters.OrderingFilter(fields=(("code", "code"), ("name", "name")))

    class Meta:
        model = Region
        fields = ["region", "level", "parent"]


class RegionViewSet(ScopedViewSet):
    """Administrative regions in the caller's scope (province, city, county, township)."""

    selector = selectors.region_list
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    queryset = Region.objects.none()
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}"
    default_ordering = ("code",)


class VillageViewSet(ScopedViewSet):
    """Villages the user may see; filter by `region` (any division code: everything below it), category, kind."""

    selector = selectors.village_list
    serializer_class = VillageSerializer
    filterset_class = VillageFilterSet
    queryset = Village.objects.none()
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{12}"
    default_ordering = ("code",)
