"""Regions and villages: read-only here. They come from the national division codes (import_divisions); a
village's category changes only by promotion after a passed acceptance (assessment.services.village_promote)."""
from django.contrib import admin

from core.admin import CodePrefixSearchMixin, ReadOnlyAdmin

from .models import Region, Village


@admin.register(Region)
class RegionAdmin(CodePrefixSearchMixin, ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name",)  # digits search by code prefix (CodePrefixSearchMixin)
    list_select_related = ("parent",)


@admin.register(Village)
class VillageAdmin(CodePrefixSearchMixin, ReadOnlyAdmin):
    list_display = ("code", "short_name", "name", "township", "kind", "category", "population")
    list_filter = ("category", "kind")
    search_fields = ("short_name",)  # digits search by code prefix
    list_select_related = ("township",)
