from django.contrib import admin

from core.admin import CodePrefixSearchMixin, ScopedAdmin

from .models import Region, Village


@admin.register(Region)
class RegionAdmin(CodePrefixSearchMixin, ScopedAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name",)  # digits search by code prefix (CodePrefixSearchMixin)
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)


@admin.register(Village)
class VillageAdmin(CodePrefixSearchMixin, ScopedAdmin):
    list_display = ("code", "short_name", "name", "township", "kind", "category", "population")
    list_filter = ("category", "kind")
    search_fields = ("short_name", "name")  # digits search by code prefix
    autocomplete_fields = ("township",)
    list_select_related = ("township",)
    readonly_fields = ("created_at", "updated_at")

