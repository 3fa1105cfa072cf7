"""Renovation projects (整治项目), their lifecycle, progress reports and photos."""
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choices_check, non_negative
from core.models import TimeStampedModel


class ProjectType(models.TextChoices):
    """The programme's own list, easiest first (先易后难)."""

    GARBAGE = "garbage", _("garbage collection and sorting")
    SEWAGE = "sewage", _("sewage treatment")
    TOILET = "toilet", _("toilet revolution")
    DRINKING_WATER = "drinking_water", _("safe drinking water")
    ROAD = "road", _("road hardening")
    GREENING = "greening", _("greening")
    LIGHTING = "lighting", _("lighting")
    APPEARANCE = "appearance", _("village appearance")
    COURTYARD = "courtyard", _("beautiful courtyards")
    HOUSING = "housing", _("dilapidated housing renovation")
    WATER_CONSERVANCY = "water_conservancy", _("rural water conservancy")
    PUBLIC_FACILITIES = "public_facilities", _("public service facilities")
    CULTURE_HALL = "culture_hall", _("village culture hall")
    DIGITAL = "digital", _("digital village")
    INDUSTRY = "industry", _("industry cultivation")


class OutputUnit(models.TextChoices):
    """The unit a kind of work is counted in (its output): planned and accepted quantities, plan items, targets."""

    HOUSEHOLDS = "households", pgettext_lazy("unit", "households")
    KM = "km", _("km")
    STATIONS = "stations", _("stations")
    LAMPS = "lamps", _("lamps")
    SQUARE_METRES = "m2", _("square metres")
    SITES = "sites", _("sites")
    VILLAGES = "villages", pgettext_lazy("unit", "villages")


# What a project of each type produces, in what unit (卫生厕所改造 户, 污水管网 km, 路灯 盏, 绿化 m²...).
OUTPUT_UNITS: dict[str, str] = {
    ProjectType.GARBAGE: OutputUnit.STATIONS,
    ProjectType.SEWAGE: OutputUnit.KM,
    ProjectType.TOILET: OutputUnit.HOUSEHOLDS,
    ProjectType.DRINKING_WATER: OutputUnit.HOUSEHOLDS,
    ProjectType.ROAD: OutputUnit.KM,
    ProjectType.GREENING: OutputUnit.SQUARE_METRES,
    ProjectType.LIGHTING: OutputUnit.LAMPS,
    ProjectType.APPEARANCE: OutputUnit.SQUARE_METRES,
    ProjectType.COURTYARD: OutputUnit.HOUSEHOLDS,
    ProjectType.HOUSING: OutputUnit.HOUSEHOLDS,
    ProjectType.WATER_CONSERVANCY: OutputUnit.KM,
    ProjectType.PUBLIC_FACILITIES: OutputUnit.SITES,
    ProjectType.CULTURE_HALL: OutputUnit.SITES,
    ProjectType.DIGITAL: OutputUnit.SITES,
    ProjectType.INDUSTRY: OutputUnit.SITES,
}
assert set(OUTPUT_UNITS) == set(ProjectType.values)


def output_unit_of(kind: str) -> str:
    return OUTPUT_UNITS[kind]


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned")
    APPROVED = "approved", _("approved")
    UNDER_CONSTRUCTION = "under_construction", _("under construction")
    COMPLETED = "completed", _("completed")
    ACCEPTED = "accepted", _("accepted")
    SUSPENDED = "suspended", _("suspended")
    CANCELLED = "cancelled", _("cancelled")


# The lifecycle, defined once: every move is one named action, from some statuses to one, taken under one
# permission of the gate (core.scoping.PERMISSIONS). Services enforce it (projects.services.project_transition);
# the timeline (ProjectTransition) records every move; TRANSITIONS (which status may follow which) is derived.
@dataclass(frozen=True)
class LifecycleAction:
    name: str
    sources: tuple[str, ...]
    target: str
    permission: str
    label: str
    reason_required: bool = False
    # Plain words shown on the confirmation step before an irreversible or destructive move; empty: no confirmation.
    confirm: str = ""


S = ProjectStatus
# Every move of the lifecycle is one named action, taken by one role.
LIFECYCLE_ACTIONS: dict[str, LifecycleAction] = {
    a.name: a
    for a in (
        LifecycleAction("submit", (S.DRAFT, S.RETURNED), S.SUBMITTED, "project.submit", _("Submit for approval")),
        # 撤回: take a submitted project back before the county acts on it; it can be edited and submitted again.
        LifecycleAction("withdraw", (S.SUBMITTED,), S.DRAFT, "project.withdraw", _("Withdraw")),
        # 作废: the township gives up a project the county has not approved. Final.
        LifecycleAction(
            "discard", (S.DRAFT, S.RETURNED), S.CANCELLED, "project.discard", _("Discard project"), True,
            _("The project will be cancelled for good: it cannot be edited, submitted or restored afterwards."),
        ),
        LifecycleAction(
            "approve", (S.SUBMITTED,), S.APPROVED, "project.approve", _("Approve"), False,
            _("Once approved, the budget, type and planned dates are fixed and money can be allocated to the project."),
        ),
        LifecycleAction("return", (S.SUBMITTED,), S.RETURNED, "project.return", _("Return for correction"), True),
        LifecycleAction("start", (S.APPROVED,), S.UNDER_CONSTRUCTION, "project.start", _("Start construction")),
        LifecycleAction("complete", (S.UNDER_CONSTRUCTION,), S.COMPLETED, "project.complete", _("Report completion")),
        LifecycleAction(
            "accept", (S.COMPLETED,), S.ACCEPTED, "project.accept", _("Accept"), False,
            _("Acceptance closes the project for good: it can no longer be edited and no more progress can be reported."),
        ),
        LifecycleAction("rework", (S.COMPLETED,), S.UNDER_CONSTRUCTION, "project.accept", _("Fail acceptance: rework"), True),
        LifecycleAction("suspend", (S.APPROVED, S.UNDER_CONSTRUCTION), S.SUSPENDED, "project.suspend", _("Suspend"), True),
        LifecycleAction("resume", (S.SUSPENDED,), S.UNDER_CONSTRUCTION, "project.resume", _("Resume")),
        LifecycleAction(
            "cancel", (S.APPROVED, S.UNDER_CONSTRUCTION, S.SUSPENDED), S.CANCELLED, "project.cancel", _("Cancel project"), True,
            _("The project will be cancelled for good: no more money, payments or progress reports; this cannot be undone."),
        ),
    )
}


TRANSITIONS: dict[str, set[str]] = {
    status: {action.target for action in LIFECYCLE_ACTIONS.values() if status in action.sources} for status in ProjectStatus
}

# Statuses in which work is (or should be) going on: overdue when past the planned end.
OPEN_STATUSES = (
    ProjectStatus.APPROVED,
    ProjectStatus.UNDER_CONSTRUCTION,
    ProjectStatus.SUSPENDED,
)
DONE_STATUSES = (ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED)
# Statuses in which a progress report is accepted (projects.services.progress_report_create).
REPORTABLE_STATUSES = (
    ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.SUSPENDED, ProjectStatus.COMPLETED,
)


class MaintenanceBody(models.TextChoices):
    """管护主体: who looks after the facility once it is accepted (建管并重)."""

    # "village collective" is also a kind of funding (村集体投入, funding.SourceKind): here it is the body (村集体).
    VILLAGE_COLLECTIVE = "village_collective", pgettext_lazy("maintenance body", "village collective")
    CONTRACTED_COMPANY = "contracted_company", _("contracted company")
    TOWNSHIP_DEPARTMENT = "township_department", _("township department")


class ProjectQuerySet(models.QuerySet):
    def within(self, code: str):
        """Projects of every village below the region (no join: the village key is its code)."""
        return self.filter(village__code__startswith=code)


class Project(TimeStampedModel):
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, related_name="projects", verbose_name=_("village")
    )
    type = models.CharField(_("project type"), max_length=20, choices=ProjectType.choices)
    name = models.CharField(_("project name"), max_length=120)
    # The township's or county's own number for the project (项目编号), unique in its village: an import's natural key
    # (a second upload of the same file finds its projects by it and changes nothing).
    reference = models.CharField(_("reference number"), max_length=40, blank=True)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    # Output in the unit of the type (OUTPUT_UNITS): planned when the project is drawn up, actual at acceptance.
    planned_output = models.DecimalField(_("planned output"), max_digits=12, decimal_places=2, null=True, blank=True)
    actual_output = models.DecimalField(_("accepted output"), max_digits=12, decimal_places=2, null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=64)
    responsible_phone = models.CharField(_("responsible person's phone"), max_length=32, blank=True)
    # Long-term maintenance (长效管护), set at acceptance.
    property_owner = models.CharField(_("property owner"), max_length=120, blank=True)
    maintenance_body = models.CharField(
        _("maintenance body"), max_length=20, choices=MaintenanceBody.choices, blank=True
    )
    maintenance_owner = models.CharField(
        _("maintenance owner"), max_length=120, blank=True,
        help_text=_("The one named person answerable for the asset (road chief, etc.)."),
    )
    # Denormalised from the latest progress report, maintained by the service that adds reports.
    percent_complete = models.PositiveSmallIntegerField(_("percent complete"), default=0)
    last_reported_on = models.DateField(_("last progress report"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [
            models.Index(fields=["status", "type"], name="project_status_type_idx"),
            models.Index(fields=["type"], name="project_type_idx"),
            models.Index(fields=["planned_end", "status"], name="project_planned_end_idx"),
            models.Index(fields=["last_reported_on"], name="project_last_reported_idx"),
            models.Index(fields=["village", "status"], name="project_village_status_idx"),
            # Plan against actual: the accepted projects of a year (planning targets).
            models.Index(fields=["accepted_on", "type"], name="project_accepted_on_idx"),
        ]
        constraints = [
            choices_check("type", ProjectType.choices, "project_type_valid"),
            choices_check("status", ProjectStatus.choices, "project_status_valid"),
            choices_check("maintenance_body", MaintenanceBody.choices, "project_maintenance_body_valid", allow_blank=True),
            models.UniqueConstraint(fields=["village", "reference"], condition=~models.Q(reference=""),
                                    name="project_reference_unique_in_village"),
            non_negative("budget", "project_budget_non_negative"),
            non_negative("planned_output", "project_planned_output_non_negative"),
            non_negative("actual_output", "project_actual_output_non_negative"),
            models.CheckConstraint(
                condition=models.Q(accepted_on__isnull=True) | models.Q(status=ProjectStatus.ACCEPTED),
                name="project_accepted_on_only_when_accepted",
            ),
            models.CheckConstraint(condition=models.Q(percent_complete__lte=100), name="project_percent_le_100"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="project_version_positive"),
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")), name="project_planned_dates_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(actual_end__isnull=True)
                | models.Q(actual_start__isnull=False, actual_end__gte=models.F("actual_start")),
                name="project_actual_dates_ordered",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="project_name_not_blank"),
            # Completed and accepted projects have an actual end date.
            models.CheckConstraint(
                condition=~models.Q(status__in=DONE_STATUSES) | models.Q(actual_end__isnull=False),
                name="project_done_has_actual_end",
            ),
            # An accepted facility has a named maintenance body and owner (建管并重).
            models.CheckConstraint(
                condition=~models.Q(status=ProjectStatus.ACCEPTED)
                | (~models.Q(maintenance_body="") & ~models.Q(maintenance_owner="")),
                name="project_accepted_has_maintenance",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def output_unit(self) -> str:
        return OUTPUT_UNITS[self.type]

    def get_output_unit_display(self) -> str:
        return OutputUnit(self.output_unit).label


class ProjectTransition(models.Model):
    """One move in a project's lifecycle: the project's timeline."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("project"))
    from_status = models.CharField(_("from"), max_length=20, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=ProjectStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), db_index=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["project", "at", "id"]
        verbose_name = _("project status change")
        verbose_name_plural = _("project status changes")
        constraints = [
            choices_check("from_status", ProjectStatus.choices, "transition_from_valid", allow_blank=True),
            choices_check("to_status", ProjectStatus.choices, "transition_to_valid"),
            models.CheckConstraint(condition=~models.Q(from_status=models.F("to_status")), name="transition_changes_status"),
            # Returning a project requires a reason (退回理由).
            models.CheckConstraint(
                condition=~models.Q(to_status=ProjectStatus.RETURNED) | ~models.Q(reason=""),
                name="transition_return_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.project_id}: {self.from_status or '-'} → {self.to_status}"


class ProgressReport(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="progress_reports", verbose_name=_("project")
    )
    report_date = models.DateField(_("report date"))
    percent_complete = models.PositiveSmallIntegerField(_("percent complete"))
    amount_spent = models.DecimalField(_("amount spent to date (yuan)"), max_digits=14, decimal_places=2)
    narrative = models.TextField(_("progress narrative"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    correction_reason = models.TextField(
        _("correction reason"), blank=True,
        help_text=_("Required when the percentage is below the previous report's."),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("reporter"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-report_date", "-id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        indexes = [
            models.Index(fields=["project", "report_date"], name="progress_project_date_idx"),
            models.Index(fields=["report_date"], name="progress_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(percent_complete__lte=100), name="progress_percent_le_100"),
            non_negative("amount_spent", "progress_amount_non_negative"),
        ]

    def __str__(self):
        return f"{self.project_id} {self.report_date} {self.percent_complete}%"


def photo_upload_to(instance, filename):
    return f"progress/{instance.report.report_date:%Y/%m}/{filename}"


def thumbnail_upload_to(instance, filename):
    return f"progress/{instance.report.report_date:%Y/%m}/thumbs/{filename}"


def photo_constraints(prefix: str) -> list:
    """The rules every stored photo keeps (a progress photo's, an inspection's, a repair's): a re-encoded JPEG,
    PNG or WebP of at most 10 MB, with a GPS position on Earth or none."""
    return [
        choices_check(
            "content_type", [("image/jpeg", "JPEG"), ("image/png", "PNG"), ("image/webp", "WebP")], f"{prefix}_content_type_valid",
        ),
        models.CheckConstraint(
            condition=models.Q(size_bytes__gt=0, size_bytes__lte=10 * 1024 * 1024), name=f"{prefix}_size_within_limit"
        ),
        models.CheckConstraint(
            name=f"{prefix}_gps_valid",
            condition=models.Q(gps_latitude__isnull=True, gps_longitude__isnull=True)
            | models.Q(
                gps_latitude__isnull=False, gps_longitude__isnull=False,
                gps_latitude__gte=-90, gps_latitude__lte=90, gps_longitude__gte=-180, gps_longitude__lte=180,
            ),
        ),
    ]


class PhotoFields(models.Model):
    """What is kept of a photo that went through projects.photos (re-encoded, with its thumbnail and EXIF fields).
    A concrete photo model adds its owner and its ``image`` and ``thumbnail`` fields with their upload paths."""

    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=32)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    # From EXIF where present.
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    gps_latitude = models.DecimalField(_("GPS latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    gps_longitude = models.DecimalField(_("GPS longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class ProgressPhoto(PhotoFields):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report"))
    image = models.ImageField(_("photo"), upload_to=photo_upload_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=thumbnail_upload_to, blank=True)

    class Meta:
        ordering = ["report", "id"]
        verbose_name = _("progress photo")
        verbose_name_plural = _("progress photos")
        constraints = photo_constraints("photo")

    def __str__(self):
        return self.image.name
