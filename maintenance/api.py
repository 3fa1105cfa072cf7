"""API v1 of long-term maintenance (read-only): /api/v1/assets/ with each asset's current keeper,
/api/v1/inspections/ and /api/v1/faults/; the same filters as the pages (maintenance/filters.py), scoped by the
gate, errors in the API's one shape."""
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from core.api import ScopedViewSet

from . import selectors
from .filters import AssetFilterSet, FaultFilterSet, InspectionFilterSet
from .models import (
    Asset,
    AssetKind,
    AssetStatus,
    AssetUnit,
    ChiefType,
    Condition,
    Fault,
    FaultStatus,
    Inspection,
    InspectionStatus,
    OwnerKind,
    Severity,
)


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


class InspectionSerializer(serializers.ModelSerializer):
    asset = serializers.IntegerField(source="asset_id", help_text="The asset inspected.")
    asset_kind = serializers.ChoiceField(source="asset.kind", choices=AssetKind.choices, help_text="The asset's kind.")
    village = serializers.CharField(source="asset.village_id", help_text="12-digit code of the asset's village.")
    status = serializers.ChoiceField(choices=InspectionStatus.choices, help_text="`due` (open) or `done`.")
    scheduled = serializers.BooleanField(help_text="False: an extra inspection recorded without being due.")
    condition = serializers.ChoiceField(choices=Condition.choices, allow_null=True, help_text="1 (bad) to 5 (excellent); null while due.")
    overdue = serializers.SerializerMethodField(help_text="Due and past its date.")
    on_time = serializers.SerializerMethodField(help_text="Done on or before its due date (null while due or unscheduled).")
    checklist = serializers.DictField(child=serializers.BooleanField(), help_text="The kind's checklist: item → ticked.")
    photos = serializers.IntegerField(source="photo_count", help_text="Number of photos.")

    class Meta:
        model = Inspection
        fields = [
            "id", "asset", "asset_kind", "village", "due_on", "scheduled", "status", "done_on", "condition", "checklist",
            "notes", "latitude", "longitude", "overdue", "on_time", "photos", "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, inspection) -> bool:
        return inspection.status == InspectionStatus.DUE and inspection.due_on < self.context["today"]

    def get_on_time(self, inspection) -> bool | None:
        if inspection.status != InspectionStatus.DONE or not inspection.scheduled:
            return None
        return inspection.done_on <= inspection.due_on


class FaultSerializer(serializers.ModelSerializer):
    asset = serializers.IntegerField(source="asset_id", help_text="The faulty asset.")
    asset_kind = serializers.ChoiceField(source="asset.kind", choices=AssetKind.choices, help_text="The asset's kind.")
    village = serializers.CharField(source="asset.village_id", help_text="12-digit code of the asset's village.")
    inspection = serializers.IntegerField(source="inspection_id", allow_null=True, help_text="The inspection that found it (null: reported directly).")
    severity = serializers.ChoiceField(choices=Severity.choices, help_text="minor, major or urgent; sets the repair deadline.")
    status = serializers.ChoiceField(choices=FaultStatus.choices, help_text="reported → repairing → repaired → verified.")
    overdue = serializers.SerializerMethodField(help_text="Not repaired and past its repair deadline.")

    class Meta:
        model = Fault
        fields = [
            "id", "asset", "asset_kind", "village", "inspection", "severity", "description", "reported_on", "deadline",
            "status", "repair_started_on", "repaired_on", "repair_notes", "verified_on", "overdue", "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, fault) -> bool:
        return fault.status in (FaultStatus.REPORTED, FaultStatus.REPAIRING) and fault.deadline < self.context["today"]


class _TodayMixin:
    def get_serializer_context(self):
        from django.utils import timezone

        return {**super().get_serializer_context(), "today": timezone.localdate()}


@extend_schema_view(
    list=extend_schema(description="Inspections of the assets in the caller's scope, newest due first. Filter by "
                                   "`region`, `village`, `asset`, `kind`, `status`, `overdue`, `due_from`, `due_to`."),
    retrieve=extend_schema(description="One inspection."),
)
class InspectionViewSet(_TodayMixin, ScopedViewSet):
    selector = selectors.inspection_list
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet
    queryset = Inspection.objects.none()
    default_ordering = ("-due_on", "-id")


@extend_schema_view(
    list=extend_schema(description="Faults of the assets in the caller's scope, newest first. Filter by `region`, "
                                   "`village`, `asset`, `kind`, `severity`, `status`, `overdue`."),
    retrieve=extend_schema(description="One fault and its repair."),
)
class FaultViewSet(_TodayMixin, ScopedViewSet):
    selector = selectors.fault_list
    serializer_class = FaultSerializer
    filterset_class = FaultFilterSet
    queryset = Fault.objects.none()
    default_ordering = ("-reported_on", "-id")
