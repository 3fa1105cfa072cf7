"""Regions and villages: read-only here. They come from the national division codes (import_divisions); a
village's category changes only by promotion after a passed acceptance (assessment.services.village_promote)."""
from django.contrib import admin

from core.admin import CodePrefixSearchMixin, ReadOnlyAdmin

from .models import Region, Village
from .services import VILLAGE_EDITABLE, village_update


@admin.register(Region)
class RegionAdmin(CodePrefixSearchMixin, ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name",)  # digits search by code prefix (CodePrefixSearchMixin)
    list_select_related = ("parent",)


@admin.register(Village)
class VillageAdmin(CodePrefixSearchMixin, ReadOnlyAdmin):
    """A village's facts (population, households, area, coordinates, year of joining) change through
    villages.services.village_update (audited, the dashboard refreshed); the rest is read-only."""

    list_display = ("code", "short_name", "name", "township", "kind", "category", "population")
    list_filter = ("category", "kind")
    search_fields = ("short_name",)  # digits search by code prefix
    list_select_related = ("township",)
    fields = ("code", "name", "short_name", "township", "kind", "category", *VILLAGE_EDITABLE, "created_at", "updated_at")

    def has_change_permission(self, request, obj=None):
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.fields if name not in VILLAGE_EDITABLE]

    def save_model(self, request, obj, form, change):
        village_update(actor=request.user, village=obj, data={name: form.cleaned_data[name] for name in VILLAGE_EDITABLE})
