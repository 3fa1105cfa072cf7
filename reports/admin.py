from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    """Jobs are written by reports.services only (the run protocol, expiry, the sweeper): the admin shows them."""

    list_display = ("id", "kind", "format", "region", "period", "status", "progress", "requester", "scheduled", "created_at",
                    "finished_at", "attempts")
    list_filter = ("kind", "format", "status", "scheduled")
    search_ids = ("pk",)
    search_codes = ("region__code",)
    list_select_related = ("region", "requester")
