"""Assets, keepers, inspections and faults: read-only here. Every change goes through maintenance.services (the gate,
the locks, the handovers, the repair lifecycle, audit rows and dashboard refreshes)."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Asset, Fault, FaultPhoto, Inspection, InspectionInterval, InspectionPhoto, Keeper, KeeperAssignment


class AssignmentInline(ReadOnlyInline):
    model = KeeperAssignment
    fk_name = "asset"
    fields = ("keeper", "chief_type", "starts_on", "ends_on", "created_by")


@admin.register(Asset)
class AssetAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "village", "kind", "status", "commissioned_on", "maintenance_body")
    list_filter = ("kind", "status", "maintenance_body", "owner_kind")
    search_codes = ("village__code",)
    search_fields = ("name",)
    list_select_related = ("village",)
    inlines = [AssignmentInline]


@admin.register(Keeper)
class KeeperAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "phone", "organisation", "region", "user")
    search_codes = ("region__code",)
    search_fields = ("name",)
    list_select_related = ("region", "user")


@admin.register(KeeperAssignment)
class KeeperAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("id", "keeper", "chief_type", "asset", "village", "starts_on", "ends_on")
    list_filter = ("chief_type",)
    search_ids = ("pk", "asset_id", "keeper_id")
    list_select_related = ("keeper", "asset", "village")


@admin.register(InspectionInterval)
class InspectionIntervalAdmin(ReadOnlyAdmin):
    list_display = ("region", "kind", "days", "updated_at")
    list_filter = ("kind",)
    search_codes = ("region__code",)
    list_select_related = ("region",)


class InspectionPhotoInline(ReadOnlyInline):
    model = InspectionPhoto
    fields = ("image", "thumbnail", "content_type", "size_bytes", "taken_at", "gps_latitude", "gps_longitude")


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ("id", "asset", "due_on", "status", "done_on", "condition", "scheduled")
    list_filter = ("status", "scheduled", "condition")
    search_ids = ("pk", "asset_id")
    list_select_related = ("asset",)
    inlines = [InspectionPhotoInline]


class FaultPhotoInline(ReadOnlyInline):
    model = FaultPhoto
    fields = ("stage", "image", "thumbnail", "content_type", "size_bytes", "taken_at")


@admin.register(Fault)
class FaultAdmin(ReadOnlyAdmin):
    list_display = ("id", "asset", "severity", "status", "reported_on", "deadline", "repaired_on", "verified_on")
    list_filter = ("status", "severity")
    search_ids = ("pk", "asset_id")
    list_select_related = ("asset",)
    inlines = [FaultPhotoInline]
