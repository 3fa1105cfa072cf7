"""Supervision (督查): the visits county, city and province staff make to villages and projects ("四不两直": often
unannounced, straight to the problems), and the register of problems they find (问题清单).

Each finding of a visit is a problem in the register: its village (and the township that must fix it), category,
severity, description, deadline and photos. The township records the rectification (整改) with photos; the visit's
office re-checks it and closes the problem, or reopens it with a reason (and, if it likes, a new deadline). An open
problem past its deadline is overdue.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choices_check
from core.models import TimeStampedModel
from projects.models import PhotoFields, photo_constraints


class VisitKind(models.TextChoices):
    UNANNOUNCED = "unannounced", _("unannounced (四不两直)")
    ANNOUNCED = "announced", _("announced")


class Visit(TimeStampedModel):
    """A supervision visit of an office (a county's, a city's, the province's) to villages of its area."""

    region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, related_name="supervision_visits", verbose_name=_("supervising office"),
        help_text=_("The county, city or province whose staff made the visit; the villages visited are in its area."),
    )
    kind = models.CharField(_("kind of visit"), max_length=12, choices=VisitKind.choices, default=VisitKind.UNANNOUNCED)
    visited_on = models.DateField(_("visit date"))
    inspectors = models.CharField(_("inspectors"), max_length=300, help_text=_("The names of the inspectors."))
    summary = models.TextField(_("summary"), blank=True)
    villages = models.ManyToManyField("villages.Village", related_name="supervision_visits", verbose_name=_("villages visited"))
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="supervision_visits",
                                      verbose_name=_("projects visited"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("supervision visit")
        verbose_name_plural = _("supervision visits")
        indexes = [
            models.Index(fields=["region", "visited_on"], name="visit_region_date_idx"),
            models.Index(fields=["visited_on"], name="visit_date_idx"),
        ]
        constraints = [
            choices_check("kind", VisitKind.choices, "visit_kind_valid"),
            models.CheckConstraint(condition=~models.Q(inspectors=""), name="visit_inspectors_not_blank"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.visited_on}"


class ProblemCategory(models.TextChoices):
    SANITATION = "sanitation", _("village sanitation")
    SEWAGE = "sewage", _("sewage")
    TOILETS = "toilets", _("toilets")
    WASTE = "waste", _("household waste")
    ROADS = "roads", _("roads")
    GREENING = "greening", _("greening and landscape")
    PROGRESS = "progress", _("project progress")
    QUALITY = "quality", _("construction quality")
    FUNDS = "funds", _("use of funds")
    UPKEEP = "upkeep", _("long-term maintenance")
    OTHER = "other", pgettext_lazy("problem category", "other")


class ProblemSeverity(models.TextChoices):
    GENERAL = "general", pgettext_lazy("problem severity", "general")
    SERIOUS = "serious", pgettext_lazy("problem severity", "serious")
    CRITICAL = "critical", pgettext_lazy("problem severity", "critical")


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem status", "to be rectified")
    RECTIFIED = "rectified", pgettext_lazy("problem status", "rectified, to be re-checked")
    CLOSED = "closed", pgettext_lazy("problem status", "closed")


class Problem(TimeStampedModel):
    """A problem found on a supervision visit (问题清单), until the visit's office closes it."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="problems", verbose_name=_("supervision visit"))
    village = models.ForeignKey("villages.Village", on_delete=models.PROTECT, related_name="problems", verbose_name=_("village"))
    # The township that must fix it: the village's (kept for the register's filters and the townships' to-do lists).
    township = models.ForeignKey("villages.Region", on_delete=models.PROTECT, related_name="problems",
                                 verbose_name=_("responsible township"))
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="problems",
                                verbose_name=_("project"))
    category = models.CharField(_("problem category"), max_length=12, choices=ProblemCategory.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=ProblemSeverity.choices)
    description = models.TextField(_("problem found"))
    found_on = models.DateField(_("found on"))
    deadline = models.DateField(_("rectification deadline"))
    status = models.CharField(_("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    rectification = models.TextField(_("rectification"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("found by"))
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("rectified by"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("closed by"))

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["status", "deadline"], name="problem_status_deadline_idx"),
            models.Index(fields=["township", "status"], name="problem_township_status_idx"),
            models.Index(fields=["category"], name="problem_category_idx"),
            models.Index(fields=["severity"], name="problem_severity_idx"),
            models.Index(fields=["found_on"], name="problem_found_idx"),
        ]
        constraints = [
            choices_check("category", ProblemCategory.choices, "problem_category_valid"),
            choices_check("severity", ProblemSeverity.choices, "problem_severity_valid"),
            choices_check("status", ProblemStatus.choices, "problem_status_valid"),
            models.CheckConstraint(condition=~models.Q(description=""), name="problem_description_not_blank"),
            models.CheckConstraint(condition=models.Q(deadline__gte=models.F("found_on")), name="problem_deadline_after_finding"),
            # Each state has its dates: an open problem neither rectified nor closed; a rectified one rectified (with
            # what was done); a closed one both.
            models.CheckConstraint(
                name="problem_dates_follow_status",
                condition=models.Q(status=ProblemStatus.OPEN, rectified_on__isnull=True, closed_on__isnull=True)
                | (models.Q(status=ProblemStatus.RECTIFIED, rectified_on__isnull=False, closed_on__isnull=True)
                   & ~models.Q(rectification=""))
                | (models.Q(status=ProblemStatus.CLOSED, rectified_on__isnull=False, closed_on__isnull=False)
                   & ~models.Q(rectification="")),
            ),
        ]

    def __str__(self):
        return f"{self.village_id} {self.category} {self.status}"


class ProblemPhotoStage(models.TextChoices):
    FOUND = "found", pgettext_lazy("problem photo", "as found")
    RECTIFIED = "rectified", pgettext_lazy("problem photo", "after rectification")


def problem_photo_to(instance, filename):
    return f"problems/{instance.problem.found_on:%Y/%m}/{filename}"


def problem_thumbnail_to(instance, filename):
    return f"problems/{instance.problem.found_on:%Y/%m}/thumbs/{filename}"


class ProblemPhoto(PhotoFields):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="photos", verbose_name=_("problem"))
    stage = models.CharField(_("stage"), max_length=10, choices=ProblemPhotoStage.choices)
    image = models.ImageField(_("photo"), upload_to=problem_photo_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=problem_thumbnail_to, blank=True)

    class Meta:
        ordering = ["problem", "id"]
        verbose_name = _("problem photo")
        verbose_name_plural = _("problem photos")
        constraints = [*photo_constraints("problem_photo"),
                       choices_check("stage", ProblemPhotoStage.choices, "problem_photo_stage_valid")]
