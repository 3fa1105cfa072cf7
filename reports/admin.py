from django.contrib import admin

from core.admin import ScopedAdmin

from .models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(ScopedAdmin):
    """Jobs are written by reports.services only: the admin shows them."""

    list_display = ("id", "kind", "format", "region", "period", "status", "progress", "requester", "scheduled", "created_at",
                    "finished_at", "attempts")
    list_filter = ("kind", "format", "status", "scheduled")
    search_fields = ("region__code", "region__name", "period")
    raw_id_fields = ("region", "requester")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
