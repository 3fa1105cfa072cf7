from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin

from core.admin import ScopedAdmin

from .models import Assessment, AssessmentScheme, AssessmentStatus, FollowUp, Indicator, IndicatorScore, Promotion
from .services import scheme_is_frozen


def _frozen(obj) -> bool:
    """A scheme with a finalised (or once finalised) assessment, or a finalised assessment, is read-only here:
    scores change only through an audited reopening (assessment.services)."""
    if isinstance(obj, AssessmentScheme):
        return scheme_is_frozen(obj)
    if isinstance(obj, Indicator):
        return scheme_is_frozen(obj.scheme)
    if isinstance(obj, Assessment):
        return obj.status == AssessmentStatus.FINALISED
    if isinstance(obj, IndicatorScore):
        return obj.assessment.status == AssessmentStatus.FINALISED
    return False


class FreezeMixin:
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _frozen(obj)

    def has_add_permission(self, request, obj=None):
        if isinstance(self, InlineModelAdmin):  # obj is the parent being edited
            return super().has_add_permission(request, obj) and not _frozen(obj)
        return super().has_add_permission(request)


class IndicatorInline(FreezeMixin, admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("order", "category", "name", "max_score")


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(FreezeMixin, ScopedAdmin):
    list_display = ("name", "kind", "year", "category", "region", "excellent_min", "good_min", "pass_min")
    list_filter = ("kind", "year", "category")
    search_fields = ("name", "region__code", "region__name")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(FreezeMixin, ScopedAdmin):
    list_display = ("name", "scheme", "category", "max_score", "order")
    list_filter = ("category", "scheme__year")
    search_fields = ("name", "scheme__name")
    autocomplete_fields = ("scheme",)
    list_select_related = ("scheme",)


class IndicatorScoreInline(FreezeMixin, admin.TabularInline):
    model = IndicatorScore
    extra = 0
    fields = ("indicator", "score", "max_score", "evidence")
    autocomplete_fields = ("indicator",)


@admin.register(Assessment)
class AssessmentAdmin(FreezeMixin, ScopedAdmin):
    list_display = ("village", "scheme", "period", "status", "total_score", "grade")
    list_filter = ("status", "grade", "period", "scheme__kind")
    search_fields = ("village__code", "village__short_name", "scheme__name", "period")
    autocomplete_fields = ("village", "scheme", "assessor")
    list_select_related = ("village", "scheme")
    inlines = [IndicatorScoreInline]


@admin.register(IndicatorScore)
class IndicatorScoreAdmin(FreezeMixin, ScopedAdmin):
    list_display = ("assessment", "indicator", "score", "max_score")
    search_fields = ("assessment__village__code", "indicator__name")
    autocomplete_fields = ("assessment", "indicator")
    list_select_related = ("assessment", "indicator")


@admin.register(FollowUp)
class FollowUpAdmin(ScopedAdmin):
    list_display = ("village", "assessment", "rank", "ranked_among", "due_date", "status")
    list_filter = ("status", "due_date")
    search_fields = ("village__code", "village__short_name")
    autocomplete_fields = ("village", "assessment")
    list_select_related = ("village", "assessment")


@admin.register(Promotion)
class PromotionAdmin(ScopedAdmin):
    list_display = ("village", "from_category", "to_category", "promoted_on", "assessment")
    list_filter = ("to_category", "promoted_on")
    search_fields = ("village__code", "village__short_name")
    autocomplete_fields = ("village", "assessment", "actor")
    list_select_related = ("village", "assessment")
