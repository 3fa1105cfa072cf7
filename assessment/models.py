"""Stage assessments (考核): schemes, indicators, scores, ranking follow-ups,
and the category promotions a passed acceptance justifies."""
import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.constraints import choices_check, non_negative
from core.divisions import RegionLevel
from core.models import TimeStampedModel
from villages.models import VillageCategory

# Canonical period labels sort chronologically as strings within a granularity:
# "2024", "2024-H1", "2024-Q3".
PERIOD_REGEX = r"^20[0-9]{2}(-H[12]|-Q[1-4])?$"


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a period label: "2025" → 2025-01-01..2025-12-31, "2025-H2" → 07-01..12-31,
    "2025-Q3" → 07-01..09-30."""
    year, _sep, part = str(period).partition("-")
    first, last = 1, 12
    if part.startswith("H"):
        first = 1 + 6 * (int(part[1:]) - 1)
        last = first + 5
    elif part.startswith("Q"):
        first = 1 + 3 * (int(part[1:]) - 1)
        last = first + 2
    end_month_next = datetime.date(int(year) + (last == 12), last % 12 + 1, 1)
    return datetime.date(int(year), first, 1), end_month_next - datetime.timedelta(days=1)


class Prefill(models.TextChoices):
    """Where the score of an indicator is suggested from when an assessment starts (the assessor may change it,
    with a reason)."""

    MAINTENANCE = "maintenance", _("the village's maintenance figures")


class SchemeKind(models.TextChoices):
    ANNUAL = "annual", _("annual renovation assessment")
    ACCEPTANCE = "acceptance", _("demonstration village acceptance")
    BOUTIQUE_ACCEPTANCE = "boutique_acceptance", _("boutique village acceptance")
    FUTURE_ACCEPTANCE = "future_acceptance", _("future village acceptance")


class IndicatorCategory(models.TextChoices):
    ENVIRONMENT = "environment", _("environment and sanitation")
    INFRASTRUCTURE = "infrastructure", _("infrastructure")
    PUBLIC_SERVICES = "public_services", _("public services")
    INDUSTRY = "industry", _("industry")
    CIVILITY = "civility", _("civility")
    GOVERNANCE = "governance", _("governance")
    MAINTENANCE = "maintenance", _("long-term maintenance")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("excellent")
    GOOD = "good", _("good")
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")


PASSING_GRADES = (Grade.EXCELLENT, Grade.GOOD, Grade.PASS)


# Schemes are issued by a province, a city or a county; townships and villages are scored against them.
SCHEME_ISSUING_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)


class AssessmentScheme(TimeStampedModel):
    """A standard villages are scored against, for a year and a village category."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=SchemeKind.choices)
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    category = models.CharField(
        _("village category"), max_length=16, choices=VillageCategory.choices, blank=True,
        help_text=_("The category of village the scheme applies to; blank for every village."),
    )
    region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, related_name="assessment_schemes",
        verbose_name=_("issuing region"),
    )
    excellent_min = models.DecimalField(_("minimum for excellent"), max_digits=6, decimal_places=2, default=90)
    good_min = models.DecimalField(_("minimum for good"), max_digits=6, decimal_places=2, default=80)
    pass_min = models.DecimalField(_("minimum for pass"), max_digits=6, decimal_places=2, default=60)
    bottom_percent = models.DecimalField(
        _("bottom group (%)"), max_digits=5, decimal_places=2, default=5,
        help_text=_("The lowest-ranked share of villages called in for a talk (末位约谈)."),
    )
    bottom_min = models.PositiveSmallIntegerField(_("bottom group at least"), default=1)
    follow_up_days = models.PositiveSmallIntegerField(_("days to rectify"), default=60)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            choices_check("kind", SchemeKind.choices, "scheme_kind_valid"),
            choices_check("category", VillageCategory.choices, "scheme_category_valid", allow_blank=True),
            models.CheckConstraint(
                condition=models.Q(
                    excellent_min__gt=models.F("good_min"), good_min__gt=models.F("pass_min"), pass_min__gte=0
                ),
                name="scheme_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(bottom_percent__gte=0, bottom_percent__lte=100), name="scheme_bottom_percent_range"
            ),
            models.CheckConstraint(condition=models.Q(year__gte=2003, year__lte=2100), name="scheme_year_range"),
            models.CheckConstraint(condition=models.Q(follow_up_days__gte=1), name="scheme_follow_up_days_positive"),
            models.UniqueConstraint(fields=["region", "year", "name"], name="scheme_unique_name_per_region_year"),
        ]

    def __str__(self):
        return f"{self.name} ({self.year})"

    def grade_for(self, total) -> str:
        if total >= self.excellent_min:
            return Grade.EXCELLENT
        if total >= self.good_min:
            return Grade.GOOD
        if total >= self.pass_min:
            return Grade.PASS
        return Grade.FAIL


class Indicator(models.Model):
    """A weighted indicator: its maximum score is its weight in the total."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("scheme"))
    category = models.CharField(_("indicator category"), max_length=20, choices=IndicatorCategory.choices)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("standard"), blank=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    prefill = models.CharField(
        _("score suggested from"), max_length=16, choices=Prefill.choices, blank=True, default="", db_default="",
        help_text=_("The 长效管护 indicator: its score is suggested from the village's inspections, asset condition and "
                    "faults when the assessment starts; the assessor may change it, giving a reason. One per scheme."),
    )

    class Meta:
        ordering = ["scheme", "order", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            choices_check("category", IndicatorCategory.choices, "indicator_category_valid"),
            choices_check("prefill", Prefill.choices, "indicator_prefill_valid", allow_blank=True),
            models.UniqueConstraint(fields=["scheme"], condition=models.Q(prefill=Prefill.MAINTENANCE),
                                    name="indicator_one_maintenance_prefill_per_scheme"),
            models.CheckConstraint(condition=models.Q(max_score__gt=0), name="indicator_max_score_positive"),
            models.UniqueConstraint(fields=["scheme", "name"], name="indicator_unique_name_per_scheme"),
        ]

    def __str__(self):
        return self.name


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    FINALISED = "finalised", _("finalised")


class Assessment(TimeStampedModel):
    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("scheme"))
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, related_name="assessments", verbose_name=_("village")
    )
    period = models.CharField(_("period"), max_length=8, help_text=_("2024, 2024-H1 or 2024-Q3."))
    status = models.CharField(_("status"), max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    total_score = models.DecimalField(_("total score"), max_digits=7, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assessor"),
    )
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        ordering = ["-period", "village"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [
            models.Index(fields=["period", "status"], name="assessment_period_status_idx"),
            models.Index(fields=["village", "period"], name="assessment_village_period_idx"),
            # Dashboards: the latest finalised round, its top and bottom by total score.
            models.Index(fields=["status", "period", "total_score"], name="assessment_ranking_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "village", "period"], name="assessment_unique_per_period"),
            choices_check("status", AssessmentStatus.choices, "assessment_status_valid"),
            choices_check("grade", Grade.choices, "assessment_grade_valid", allow_blank=True),
            models.CheckConstraint(condition=models.Q(period__regex=PERIOD_REGEX), name="assessment_period_format"),
            non_negative("total_score", "assessment_total_non_negative"),
            # A finalised assessment has its total, grade and the time it was finalised.
            models.CheckConstraint(
                condition=~models.Q(status=AssessmentStatus.FINALISED)
                | (models.Q(total_score__isnull=False, finalised_at__isnull=False) & ~models.Q(grade="")),
                name="assessment_finalised_complete",
            ),
        ]

    def __str__(self):
        return f"{self.village_id} {self.period} {self.scheme_id}"

    @property
    def passed(self) -> bool:
        return self.status == AssessmentStatus.FINALISED and self.grade in PASSING_GRADES


class IndicatorScore(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("assessment"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="scores", verbose_name=_("indicator"))
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    # Copied from the indicator when scored, so the database itself keeps
    # score within 0..max (schemes are frozen once an assessment is finalised).
    max_score = models.DecimalField(_("maximum score"), max_digits=6, decimal_places=2)
    evidence = models.TextField(_("evidence"), blank=True)
    # The score suggested when the assessment started (Indicator.prefill) and the figures it came from; a score
    # other than the suggestion keeps the assessor's reason.
    suggested = models.DecimalField(_("suggested score"), max_digits=6, decimal_places=2, null=True, blank=True)
    # Database defaults too: bulk loads (sample.scale's COPY) name only the columns they fill.
    suggestion_basis = models.JSONField(_("figures of the suggestion"), default=dict, db_default={}, blank=True)
    override_reason = models.TextField(_("reason for a score other than the suggested one"), blank=True, db_default="")

    class Meta:
        ordering = ["assessment", "indicator__order", "indicator_id"]
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="score_unique_per_indicator"),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=models.F("max_score")), name="score_within_max"
            ),
            models.CheckConstraint(
                condition=models.Q(suggested__isnull=True)
                | models.Q(suggested__gte=0, suggested__lte=models.F("max_score")),
                name="score_suggested_within_max",
            ),
            # A score that departs from its suggestion says why.
            models.CheckConstraint(
                condition=models.Q(suggested__isnull=True) | models.Q(score=models.F("suggested")) | ~models.Q(override_reason=""),
                name="score_override_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.indicator_id}: {self.score}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("open")
    TALK_HELD = "talk_held", _("talk held")
    RECTIFIED = "rectified", _("rectified")
    CLOSED = "closed", _("closed")


class FollowUp(TimeStampedModel):
    """Bottom-rank follow-up (末位约谈): a talk, a rectification, a re-inspection."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, related_name="follow_up", verbose_name=_("assessment")
    )
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("village")
    )
    rank = models.PositiveIntegerField(_("rank in county"))
    ranked_among = models.PositiveIntegerField(_("villages ranked"))
    due_date = models.DateField(_("due date"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    talk_held_on = models.DateField(_("talk held on"), null=True, blank=True)
    talk_notes = models.TextField(_("talk notes"), blank=True)
    rectification = models.TextField(_("rectification"), blank=True)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    reinspected_on = models.DateField(_("re-inspected on"), null=True, blank=True)
    reinspection_notes = models.TextField(_("re-inspection notes"), blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["status", "due_date"], name="followup_status_due_idx")]
        constraints = [
            choices_check("status", FollowUpStatus.choices, "followup_status_valid"),
            models.CheckConstraint(condition=models.Q(rank__gte=1, rank__lte=models.F("ranked_among")), name="followup_rank_range"),
            models.CheckConstraint(
                condition=models.Q(status=FollowUpStatus.OPEN) | models.Q(talk_held_on__isnull=False),
                name="followup_talk_recorded",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[FollowUpStatus.RECTIFIED, FollowUpStatus.CLOSED])
                | models.Q(rectified_on__isnull=False),
                name="followup_rectification_recorded",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=FollowUpStatus.CLOSED) | models.Q(reinspected_on__isnull=False),
                name="followup_closed_after_reinspection",
            ),
        ]

    def __str__(self):
        return f"{self.village_id} #{self.rank}/{self.ranked_among}"


class Promotion(models.Model):
    """A change of a village's category, justified by a passed acceptance."""

    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, related_name="promotions", verbose_name=_("village")
    )
    from_category = models.CharField(_("from"), max_length=16, choices=VillageCategory.choices)
    to_category = models.CharField(_("to"), max_length=16, choices=VillageCategory.choices)
    promoted_on = models.DateField(_("promoted on"))
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="promotions", verbose_name=_("justifying assessment")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["village", "promoted_on", "id"]
        verbose_name = _("category promotion")
        verbose_name_plural = _("category promotions")
        constraints = [
            choices_check("from_category", VillageCategory.choices, "promotion_from_valid"),
            choices_check("to_category", VillageCategory.choices, "promotion_to_valid"),
            models.CheckConstraint(condition=~models.Q(from_category=models.F("to_category")), name="promotion_changes_category"),
            models.UniqueConstraint(fields=["assessment"], name="promotion_once_per_assessment"),
        ]

    def __str__(self):
        return f"{self.village_id}: {self.from_category} → {self.to_category}"
