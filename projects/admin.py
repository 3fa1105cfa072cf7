"""Projects, their timeline, progress reports and photos: read-only here. Every change goes through
projects.services (the lifecycle and its transitions, versions for ETag/If-Match, photo checks, audit rows,
dashboard refreshes)."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import ProgressPhoto, ProgressReport, Project, ProjectTransition


class ProjectTransitionInline(ReadOnlyInline):
    model = ProjectTransition
    fields = ("at", "from_status", "to_status", "actor", "reason")


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "village", "type", "status", "budget", "percent_complete", "planned_end")
    list_filter = ("status", "type", "maintenance_body")
    search_codes = ("village__code",)
    search_fields = ("name",)
    list_select_related = ("village",)
    inlines = [ProjectTransitionInline]


@admin.register(ProjectTransition)
class ProjectTransitionAdmin(ReadOnlyAdmin):
    list_display = ("project", "from_status", "to_status", "actor", "at")
    list_filter = ("to_status",)
    search_ids = ("pk", "project_id")
    list_select_related = ("project", "actor")


class ProgressPhotoInline(ReadOnlyInline):
    model = ProgressPhoto
    fields = ("image", "thumbnail", "content_type", "size_bytes", "taken_at", "gps_latitude", "gps_longitude")


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    """1.3 million rows at province scale: searched by report or project id only, no date hierarchy (its MIN/MAX
    over a filtered list took 4.5 s)."""

    list_display = ("project", "report_date", "percent_complete", "amount_spent", "reporter")
    list_filter = ("report_date",)
    search_ids = ("pk", "project_id")
    list_select_related = ("project", "reporter")
    inlines = [ProgressPhotoInline]


@admin.register(ProgressPhoto)
class ProgressPhotoAdmin(ReadOnlyAdmin):
    list_display = ("id", "report", "content_type", "size_bytes", "taken_at")
    list_filter = ("content_type",)
    search_ids = ("pk", "report_id", "report__project_id")
    list_select_related = ("report", "report__project")
