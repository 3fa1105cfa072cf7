"""Assessment: schemes and their indicators are configured here (as on the portal's scheme pages) while no assessment
uses them, audited; once a village is scored under a scheme, the scheme is read-only (its indicators, maxima and
thresholds made the scores). Assessments, scores, follow-ups and promotions are written by assessment.services
only (scoring, finalising with ranks, reopening with a reason, follow-up steps, promotion): read-only here."""
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from core.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline

from .models import Assessment, AssessmentScheme, FollowUp, Indicator, IndicatorScore, Promotion
from .services import SchemeFrozen, scheme_in_use


def _scheme_of(obj):
    return obj if isinstance(obj, AssessmentScheme) else getattr(obj, "scheme", None)


class UnusedSchemeOnly:
    """Change and delete only while no assessment uses the scheme (for an inline, ``obj`` is the scheme). The
    permission is read when the request starts; the write itself takes the scheme's row lock first and checks
    again, as assessment.services does, so an assessment opened meanwhile (which takes the same lock) is not
    slipped past (the admin's change and delete views run in one transaction)."""

    def _lock_unused(self, obj):
        scheme = _scheme_of(obj)
        if scheme is None or scheme.pk is None:
            return  # a new scheme
        locked = AssessmentScheme.objects.select_for_update(of=("self",)).get(pk=scheme.pk)
        if scheme_in_use(locked):
            raise PermissionDenied(SchemeFrozen.default_message)

    def save_model(self, request, obj, form, change):
        self._lock_unused(obj)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        self._lock_unused(obj)
        super().delete_model(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and scheme_in_use(_scheme_of(obj)))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and scheme_in_use(_scheme_of(obj)))

    def has_add_permission(self, request, obj=None):
        if isinstance(self, admin.options.InlineModelAdmin):
            return super().has_add_permission(request, obj) and not (obj is not None and scheme_in_use(obj))
        return super().has_add_permission(request)


class IndicatorInline(UnusedSchemeOnly, admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("order", "category", "name", "max_score")


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(UnusedSchemeOnly, AuditedAdmin):
    list_display = ("name", "kind", "year", "category", "region", "excellent_min", "good_min", "pass_min")
    list_filter = ("kind", "year", "category")
    search_codes = ("region__code",)
    search_fields = ("name",)
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(UnusedSchemeOnly, AuditedAdmin):
    list_display = ("name", "scheme", "category", "max_score", "order")
    list_filter = ("category", "scheme__year")
    search_ids = ("pk", "scheme_id")
    search_fields = ("name",)
    autocomplete_fields = ("scheme",)
    list_select_related = ("scheme",)

    def has_add_permission(self, request, obj=None):
        return False  # indicators are added on their scheme's page (the inline), which knows whether it is in use


class IndicatorScoreInline(ReadOnlyInline):
    model = IndicatorScore
    fields = ("indicator", "score", "max_score", "evidence")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("village", "scheme", "period", "status", "total_score", "grade")
    list_filter = ("status", "grade", "period", "scheme__kind")
    search_ids = ("pk", "scheme_id")
    search_codes = ("village__code",)
    list_select_related = ("village", "scheme")
    inlines = [IndicatorScoreInline]


@admin.register(IndicatorScore)
class IndicatorScoreAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "indicator", "score", "max_score")
    search_ids = ("pk", "assessment_id")
    list_select_related = ("assessment", "indicator")


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("village", "assessment", "rank", "ranked_among", "due_date", "status")
    list_filter = ("status", "due_date")
    search_codes = ("village__code",)
    list_select_related = ("village", "assessment")


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdmin):
    list_display = ("village", "from_category", "to_category", "promoted_on", "assessment")
    list_filter = ("to_category", "promoted_on")
    search_codes = ("village__code",)
    list_select_related = ("village", "assessment")
