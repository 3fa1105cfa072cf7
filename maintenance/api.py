"""API v1: /api/v1/assets/ (read-only), with each asset's current keeper."""
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from core.api import ScopedViewSet

from . import selectors
from .filters import AssetFilterSet
from .models import Asset, AssetKind, AssetStatus, AssetUnit, ChiefType, OwnerKind


class CurrentKeeperSerializer(serializers.Serializer):
    name = serializers.CharField(source="keeper.name", help_text="The keeper's name.")
    phone = serializers.CharField(source="keeper.phone", help_text="The keeper's phone (may be empty).")
    organisation = serializers.CharField(source="keeper.organisation", help_text="The keeper's organisation (may be empty).")
    chief_type = serializers.ChoiceField(choices=ChiefType.choices, help_text="河长, 路长, 所长, 林长, 田长, 保洁员 or 管护员.")
    starts_on = serializers.DateField(help_text="Responsible since this day.")


class AssetSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village_id", help_text="12-digit code of the village the asset is in.")
    project = serializers.IntegerField(source="project_id", allow_null=True, help_text="The project that built it (null: registered by hand).")
    kind = serializers.ChoiceField(choices=AssetKind.choices, help_text="Asset kind.")
    unit = serializers.ChoiceField(choices=AssetUnit.choices, help_text="Unit of the quantity.")
    owner_kind = serializers.ChoiceField(choices=OwnerKind.choices, help_text="Property owner (产权归属).")
    status = serializers.ChoiceField(choices=AssetStatus.choices, help_text="In service or retired.")
    current_keeper = serializers.SerializerMethodField(help_text="The person responsible now (null: none).")

    class Meta:
        model = Asset
        fields = [
            "id", "village", "project", "kind", "name", "latitude", "longitude", "quantity", "unit", "commissioned_on",
            "owner_kind", "owner_name", "maintenance_body", "status", "retired_on", "current_keeper", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CurrentKeeperSerializer(allow_null=True))
    def get_current_keeper(self, asset):
        current = asset.current[0] if getattr(asset, "current", None) else None
        return CurrentKeeperSerializer(current).data if current else None


@extend_schema_view(
    list=extend_schema(description="Assets (设施) in the caller's scope, with their current keeper. Filter by `region`, "
                                   "`village`, `project`, `kind`, `status`, `no_keeper`."),
    retrieve=extend_schema(description="One asset and its current keeper."),
)
class AssetViewSet(ScopedViewSet):
    selector = selectors.asset_list
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
    queryset = Asset.objects.none()
    default_ordering = ("id",)
