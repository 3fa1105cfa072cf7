"""Plans, citations, targets and creation lists: read-only here. Every change goes through planning.services (the
gate, the reasons, the versions, audit rows)."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import CreationListEntry, Plan, PlanCitation, PlanItem, Target


class PlanItemInline(ReadOnlyInline):
    model = PlanItem
    fk_name = "plan"
    fields = ("kind", "name", "quantity", "estimated_cost", "planned_year", "village", "carried_from")


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "kind", "area_code", "version", "status", "approved_on", "valid_until")
    list_filter = ("kind", "status")
    search_codes = ("area_code",)
    search_fields = ("title",)
    inlines = [PlanItemInline]
    # The document is served through the gate (planning:document), never as a media URL: its name only.
    exclude = ("document",)
    readonly_fields = ("document_name",)

    @admin.display(description=Plan._meta.get_field("document").verbose_name)
    def document_name(self, obj):
        return obj.document.name or "—"


@admin.register(PlanItem)
class PlanItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "kind", "quantity", "planned_year", "plan", "village")
    list_filter = ("kind", "planned_year")
    search_ids = ("pk", "plan_id")
    search_fields = ("name",)
    list_select_related = ("plan", "village")


@admin.register(PlanCitation)
class PlanCitationAdmin(ReadOnlyAdmin):
    list_display = ("id", "project", "item", "exception_status", "decided_by", "decided_at")
    list_filter = ("exception_status",)
    search_ids = ("pk", "project_id", "item_id")
    list_select_related = ("project", "item", "decided_by")


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ("region", "year", "kind", "quantity", "set_by", "updated_at")
    list_filter = ("year", "kind")
    search_codes = ("region__code",)
    list_select_related = ("region", "set_by")


@admin.register(CreationListEntry)
class CreationListEntryAdmin(ReadOnlyAdmin):
    list_display = ("county", "year", "category", "village", "added_by", "created_at")
    list_filter = ("year", "category")
    search_codes = ("village__code",)
    list_select_related = ("county", "village", "added_by")
