"""Long-term maintenance (长效管护): the assets (设施) that accepted projects leave behind, and the named people who
keep them (管护人员) with their chief types (河长、路长、所长…) and the history of handovers.

An asset is inspected at the interval of its kind (InspectionInterval: the defaults below, which a county may
change for its own assets); a beat task opens each asset's next due inspection, which the keeper or the township
official records on a phone with a condition (1-5), the checklist of the kind, notes, photos and the position.
A fault (from an inspection or reported directly) gets a repair deadline by its severity and goes reported →
repairing → repaired (with photos) → verified by the township. Upkeep money (管护经费) goes to assets through the
funding ledger (funding.Allocation.asset), which sits above this app.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choices_check
from core.models import TimeStampedModel
from projects.models import MaintenanceBody, PhotoFields, ProjectType, photo_constraints


class AssetKind(models.TextChoices):
    SEWAGE_STATION = "sewage_station", _("sewage station")
    SEWER_NETWORK = "sewer_network", _("sewer network")
    PUBLIC_TOILET = "public_toilet", _("public toilet")
    ROAD = "road", pgettext_lazy("asset kind", "road")
    STREET_LIGHTS = "street_lights", _("street lights")
    WASTE_STATION = "waste_station", _("waste transfer station")
    CULTURAL_HALL = "cultural_hall", _("cultural hall")
    GREENERY = "greenery", pgettext_lazy("asset kind", "greenery")
    OTHER = "other", pgettext_lazy("asset kind", "other")


class AssetUnit(models.TextChoices):
    KM = "km", _("km")
    HOUSEHOLDS = "households", pgettext_lazy("unit", "households")
    STATIONS = "stations", _("stations")
    UNITS = "units", _("units")
    SQUARE_METRES = "m2", _("square metres")


class OwnerKind(models.TextChoices):
    """产权归属: who owns the facility."""

    VILLAGE_COLLECTIVE = "village_collective", pgettext_lazy("property owner", "village collective")
    TOWNSHIP_GOVERNMENT = "township_government", _("township government")
    COUNTY_DEPARTMENT = "county_department", _("county department")
    ENTERPRISE = "enterprise", _("enterprise")
    OTHER = "other", pgettext_lazy("property owner", "other")


class AssetStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("in service")
    RETIRED = "retired", _("retired")


# What an accepted project of each type leaves behind: (asset kind, default unit). A project of a type not listed
# (housing, digital village, industry...) yields an asset of kind "other", counted in units.
KIND_FOR_PROJECT_TYPE: dict[str, tuple[str, str]] = {
    ProjectType.GARBAGE: (AssetKind.WASTE_STATION, AssetUnit.STATIONS),
    ProjectType.SEWAGE: (AssetKind.SEWAGE_STATION, AssetUnit.STATIONS),
    ProjectType.TOILET: (AssetKind.PUBLIC_TOILET, AssetUnit.STATIONS),
    ProjectType.DRINKING_WATER: (AssetKind.OTHER, AssetUnit.HOUSEHOLDS),
    ProjectType.ROAD: (AssetKind.ROAD, AssetUnit.KM),
    ProjectType.GREENING: (AssetKind.GREENERY, AssetUnit.SQUARE_METRES),
    ProjectType.LIGHTING: (AssetKind.STREET_LIGHTS, AssetUnit.UNITS),
    ProjectType.CULTURE_HALL: (AssetKind.CULTURAL_HALL, AssetUnit.STATIONS),
}


def kind_and_unit_for(project_type: str) -> tuple[str, str]:
    return KIND_FOR_PROJECT_TYPE.get(project_type, (AssetKind.OTHER, AssetUnit.UNITS))


class ChiefType(models.TextChoices):
    """The chiefs of Zhejiang's long-term maintenance (河长制、道长制、所长制、林长制、田长制) and the keepers."""

    RIVER = "river", _("river chief")
    ROAD = "road", _("road chief")
    STATION = "station", _("station chief")
    FOREST = "forest", _("forest chief")
    FIELD = "field", _("field chief")
    CLEANER = "cleaner", _("cleaner")
    KEEPER = "keeper", _("keeper")


# The chief type a new asset's named keeper gets at acceptance, by the asset's kind.
CHIEF_FOR_KIND: dict[str, str] = {
    AssetKind.ROAD: ChiefType.ROAD,
    AssetKind.STREET_LIGHTS: ChiefType.ROAD,
    AssetKind.SEWAGE_STATION: ChiefType.STATION,
    AssetKind.WASTE_STATION: ChiefType.STATION,
    AssetKind.PUBLIC_TOILET: ChiefType.CLEANER,
}


def chief_for(kind: str) -> str:
    return CHIEF_FOR_KIND.get(kind, ChiefType.KEEPER)


def owner_kind_from_text(text: str) -> str:
    """The structured owner read from the free text typed at acceptance before assets existed (the data migration):
    a company is an enterprise, a county bureau a county department, a township a township government; a village
    (or nothing written) the village collective."""
    text = (text or "").strip()
    if not text:
        return OwnerKind.VILLAGE_COLLECTIVE
    if any(word in text for word in ("公司", "企业", "厂")):
        return OwnerKind.ENTERPRISE
    if any(word in text for word in ("县", "局", "区住建", "委员会办公室")) and "村" not in text:
        return OwnerKind.COUNTY_DEPARTMENT
    if any(word in text for word in ("镇", "乡", "街道")) and "村" not in text:
        return OwnerKind.TOWNSHIP_GOVERNMENT
    if "村" in text or "集体" in text or "合作社" in text:
        return OwnerKind.VILLAGE_COLLECTIVE
    return OwnerKind.OTHER


class Asset(TimeStampedModel):
    """A facility kept after construction: a sewage station, a road, a public toilet..."""

    kind = models.CharField(_("asset kind"), max_length=20, choices=AssetKind.choices)
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, related_name="assets", verbose_name=_("village")
    )
    # Empty for facilities built before the portal, registered by hand.
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="assets", verbose_name=_("project")
    )
    name = models.CharField(_("asset name"), max_length=120)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=12, choices=AssetUnit.choices)
    commissioned_on = models.DateField(_("commissioned on"))
    owner_kind = models.CharField(_("property owner"), max_length=20, choices=OwnerKind.choices)
    owner_name = models.CharField(_("owner's name"), max_length=120, blank=True)
    maintenance_body = models.CharField(_("maintenance body"), max_length=20, choices=MaintenanceBody.choices)
    status = models.CharField(_("status"), max_length=12, choices=AssetStatus.choices, default=AssetStatus.IN_SERVICE)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["village", "kind", "id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            models.Index(fields=["village", "kind"], name="asset_village_kind_idx"),
            models.Index(fields=["kind", "status"], name="asset_kind_status_idx"),
            models.Index(fields=["status"], name="asset_status_idx"),
        ]
        constraints = [
            choices_check("kind", AssetKind.choices, "asset_kind_valid"),
            choices_check("unit", AssetUnit.choices, "asset_unit_valid"),
            choices_check("owner_kind", OwnerKind.choices, "asset_owner_kind_valid"),
            choices_check("maintenance_body", MaintenanceBody.choices, "asset_maintenance_body_valid"),
            choices_check("status", AssetStatus.choices, "asset_status_valid"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="asset_quantity_positive"),
            models.CheckConstraint(condition=~models.Q(name=""), name="asset_name_not_blank"),
            # A retired asset says since when; one in service has no such date.
            models.CheckConstraint(
                condition=models.Q(status=AssetStatus.RETIRED, retired_on__isnull=False)
                | models.Q(status=AssetStatus.IN_SERVICE, retired_on__isnull=True),
                name="asset_retired_has_date",
            ),
            models.CheckConstraint(
                name="asset_location_valid",
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False, latitude__gte=-90, latitude__lte=90,
                           longitude__gte=-180, longitude__lte=180),
            ),
        ]

    def __str__(self):
        return self.name


class Keeper(TimeStampedModel):
    """A named person on a township's or county's roster of keepers (管护人员)."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="keeper_entries",
        verbose_name=_("portal account"),
    )
    # The township or county whose roster it is.
    region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, related_name="keepers", verbose_name=_("roster of")
    )

    class Meta:
        ordering = ["region", "name", "id"]
        verbose_name = _("keeper")
        verbose_name_plural = _("keepers")
        indexes = [models.Index(fields=["region", "name"], name="keeper_region_name_idx")]
        constraints = [models.CheckConstraint(condition=~models.Q(name=""), name="keeper_name_not_blank")]

    def __str__(self):
        return self.name


class KeeperAssignment(models.Model):
    """A keeper answerable for one asset, or for a village as a whole (a 河长 for its streams), for a period.
    ``ends_on`` empty: current. A handover ends one and starts the next (maintenance.services.keeper_assign)."""

    keeper = models.ForeignKey(Keeper, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("keeper"))
    chief_type = models.CharField(_("chief type"), max_length=12, choices=ChiefType.choices)
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments", verbose_name=_("asset")
    )
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="keeper_assignments",
        verbose_name=_("village"),
    )
    starts_on = models.DateField(pgettext_lazy("period", "from"))
    ends_on = models.DateField(pgettext_lazy("period", "until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assigned by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("keeper assignment")
        verbose_name_plural = _("keeper assignments")
        indexes = [
            models.Index(fields=["asset", "ends_on"], name="assignment_asset_ends_idx"),
            models.Index(fields=["keeper", "ends_on"], name="assignment_keeper_ends_idx"),
        ]
        constraints = [
            choices_check("chief_type", ChiefType.choices, "assignment_chief_type_valid"),
            # For one asset or for one village, never both, never neither.
            models.CheckConstraint(
                condition=models.Q(asset__isnull=False, village__isnull=True)
                | models.Q(asset__isnull=True, village__isnull=False),
                name="assignment_asset_or_village",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="assignment_dates_ordered",
            ),
            # Every asset has at most one current responsible person.
            models.UniqueConstraint(
                fields=["asset"], condition=models.Q(ends_on__isnull=True, asset__isnull=False),
                name="assignment_one_current_per_asset",
            ),
            # A village has at most one current chief of each type (one 河长, one 林长...).
            models.UniqueConstraint(
                fields=["village", "chief_type"], condition=models.Q(ends_on__isnull=True, village__isnull=False),
                name="assignment_one_current_chief_per_village",
            ),
        ]

    def __str__(self):
        return f"{self.keeper_id} → {self.asset_id or self.village_id} ({self.chief_type})"


# How often each kind of asset is inspected unless its county says otherwise (InspectionInterval), in days.
DEFAULT_INTERVAL_DAYS: dict[str, int] = {
    AssetKind.SEWAGE_STATION: 30,
    AssetKind.SEWER_NETWORK: 90,
    AssetKind.PUBLIC_TOILET: 30,
    AssetKind.ROAD: 90,
    AssetKind.STREET_LIGHTS: 90,
    AssetKind.WASTE_STATION: 30,
    AssetKind.CULTURAL_HALL: 90,
    AssetKind.GREENERY: 90,
    AssetKind.OTHER: 180,
}
# A due inspection is opened this many days before its date, so it is on the keeper's list ahead of time.
INSPECTION_LEAD_DAYS = 7


class InspectionInterval(models.Model):
    """A county's own inspection interval for one asset kind (otherwise DEFAULT_INTERVAL_DAYS)."""

    region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, related_name="inspection_intervals", verbose_name=_("county")
    )
    kind = models.CharField(_("asset kind"), max_length=20, choices=AssetKind.choices)
    days = models.PositiveSmallIntegerField(_("interval (days)"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["region", "kind"]
        verbose_name = _("inspection interval")
        verbose_name_plural = _("inspection intervals")
        constraints = [
            choices_check("kind", AssetKind.choices, "interval_kind_valid"),
            models.UniqueConstraint(fields=["region", "kind"], name="interval_one_per_county_kind"),
            models.CheckConstraint(condition=models.Q(days__gte=1, days__lte=366), name="interval_days_in_range"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.kind}: {self.days}"


# The short checklist of each kind: (key, label). An inspection stores {key: true/false} for its asset's kind.
CHECKLISTS: dict[str, tuple[tuple[str, object], ...]] = {
    AssetKind.SEWAGE_STATION: (
        ("equipment_running", _("Equipment running normally")),
        ("effluent_clear", _("Effluent clear, no odour")),
        ("site_clean", _("Site clean and tidy")),
        ("records_kept", _("Operation log kept")),
    ),
    AssetKind.SEWER_NETWORK: (
        ("no_blockage", _("No blockage")),
        ("covers_intact", _("Manhole covers intact")),
        ("no_overflow", _("No sewage overflowing")),
    ),
    AssetKind.PUBLIC_TOILET: (
        ("cleaned", _("Cleaned on schedule")),
        ("water_power", _("Water and power working")),
        ("fixtures_intact", _("Fixtures intact")),
        ("no_odour", _("No strong odour")),
    ),
    AssetKind.ROAD: (
        ("surface_intact", _("Surface intact, no potholes")),
        ("drains_clear", _("Drains clear")),
        ("signs_intact", _("Signs and markings intact")),
    ),
    AssetKind.STREET_LIGHTS: (
        ("lights_on", _("Lights working")),
        ("poles_intact", _("Poles and wiring intact")),
    ),
    AssetKind.WASTE_STATION: (
        ("cleared_daily", _("Cleared every day")),
        ("bins_intact", _("Bins and equipment intact")),
        ("sorting_followed", _("Waste sorted")),
    ),
    AssetKind.CULTURAL_HALL: (
        ("open_as_scheduled", _("Open as scheduled")),
        ("building_safe", _("Building safe")),
        ("fire_equipment", _("Fire equipment in order")),
    ),
    AssetKind.GREENERY: (
        ("plants_healthy", _("Plants healthy")),
        ("no_litter", _("No litter")),
        ("tended", _("Watered and trimmed")),
    ),
    AssetKind.OTHER: (
        ("facility_intact", _("Facility intact")),
        ("site_clean", _("Surroundings clean")),
    ),
}


class Condition(models.IntegerChoices):
    """The condition an inspection finds, 1 (worst) to 5 (best)."""

    BAD = 1, _("1 · bad")
    POOR = 2, _("2 · poor")
    FAIR = 3, _("3 · fair")
    GOOD = 4, _("4 · good")
    EXCELLENT = 5, _("5 · excellent")


class InspectionStatus(models.TextChoices):
    DUE = "due", _("due")
    DONE = "done", _("done")


class Inspection(TimeStampedModel):
    """One inspection of an asset: opened as due by the beat task (or recorded unscheduled), then done."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("asset"))
    due_on = models.DateField(_("due on"))
    # False: recorded without being due (an extra round after a storm).
    scheduled = models.BooleanField(_("scheduled"), default=True)
    status = models.CharField(_("status"), max_length=8, choices=InspectionStatus.choices, default=InspectionStatus.DUE)
    done_on = models.DateField(_("inspected on"), null=True, blank=True)
    condition = models.PositiveSmallIntegerField(_("condition"), choices=Condition.choices, null=True, blank=True)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Where the phone was when the inspection was recorded (from the browser), if given.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("inspector"),
    )

    class Meta:
        ordering = ["-due_on", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [
            models.Index(fields=["status", "due_on"], name="inspection_status_due_idx"),
            models.Index(fields=["asset", "due_on"], name="inspection_asset_due_idx"),
            models.Index(fields=["done_on"], name="inspection_done_idx"),
            models.Index(fields=["-due_on", "-id"], name="inspection_due_order_idx"),  # the lists' order
        ]
        constraints = [
            choices_check("status", InspectionStatus.choices, "inspection_status_valid"),
            models.CheckConstraint(
                condition=models.Q(condition__isnull=True) | models.Q(condition__gte=1, condition__lte=5),
                name="inspection_condition_1_to_5",
            ),
            # Done: when and what was found; due: neither yet.
            models.CheckConstraint(
                condition=models.Q(status=InspectionStatus.DONE, done_on__isnull=False, condition__isnull=False)
                | models.Q(status=InspectionStatus.DUE, done_on__isnull=True, condition__isnull=True),
                name="inspection_done_has_findings",
            ),
            # An asset has at most one open (due) inspection: the beat task may run twice, it opens one.
            models.UniqueConstraint(
                fields=["asset"], condition=models.Q(status=InspectionStatus.DUE), name="inspection_one_due_per_asset"
            ),
            models.CheckConstraint(
                name="inspection_location_valid",
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False, latitude__gte=-90, latitude__lte=90,
                           longitude__gte=-180, longitude__lte=180),
            ),
        ]

    def __str__(self):
        return f"{self.asset_id} {self.due_on} {self.status}"


def inspection_photo_to(instance, filename):
    return f"inspections/{instance.inspection.due_on:%Y/%m}/{filename}"


def inspection_thumbnail_to(instance, filename):
    return f"inspections/{instance.inspection.due_on:%Y/%m}/thumbs/{filename}"


class InspectionPhoto(PhotoFields):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos", verbose_name=_("inspection"))
    image = models.ImageField(_("photo"), upload_to=inspection_photo_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=inspection_thumbnail_to, blank=True)

    class Meta:
        ordering = ["inspection", "id"]
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        constraints = photo_constraints("inspection_photo")


class Severity(models.TextChoices):
    MINOR = "minor", pgettext_lazy("fault severity", "minor")
    MAJOR = "major", pgettext_lazy("fault severity", "major")
    URGENT = "urgent", pgettext_lazy("fault severity", "urgent")


# Days from the report to the repair deadline, by severity.
REPAIR_DAYS: dict[str, int] = {Severity.URGENT: 2, Severity.MAJOR: 7, Severity.MINOR: 30}


class FaultStatus(models.TextChoices):
    REPORTED = "reported", _("reported")
    REPAIRING = "repairing", _("repairing")
    REPAIRED = "repaired", _("repaired")
    VERIFIED = "verified", _("verified")


OPEN_FAULT_STATUSES = (FaultStatus.REPORTED, FaultStatus.REPAIRING)


class Fault(TimeStampedModel):
    """A fault of an asset, found at an inspection or reported directly, until the township verifies its repair."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="faults", verbose_name=_("asset"))
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="faults", verbose_name=_("inspection")
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.TextField(_("fault"))
    reported_on = models.DateField(_("reported on"))
    deadline = models.DateField(_("repair deadline"))
    status = models.CharField(_("status"), max_length=10, choices=FaultStatus.choices, default=FaultStatus.REPORTED)
    repair_started_on = models.DateField(_("repair started on"), null=True, blank=True)
    repaired_on = models.DateField(_("repaired on"), null=True, blank=True)
    repair_notes = models.TextField(_("repair"), blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("reported by"),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("verified by"),
    )

    class Meta:
        ordering = ["-reported_on", "-id"]
        verbose_name = _("fault")
        verbose_name_plural = _("faults")
        indexes = [
            models.Index(fields=["status", "deadline"], name="fault_status_deadline_idx"),
            models.Index(fields=["asset", "status"], name="fault_asset_status_idx"),
            models.Index(fields=["severity"], name="fault_severity_idx"),
            models.Index(fields=["reported_on"], name="fault_reported_idx"),
        ]
        constraints = [
            choices_check("severity", Severity.choices, "fault_severity_valid"),
            choices_check("status", FaultStatus.choices, "fault_status_valid"),
            models.CheckConstraint(condition=~models.Q(description=""), name="fault_description_not_blank"),
            models.CheckConstraint(condition=models.Q(deadline__gte=models.F("reported_on")), name="fault_deadline_after_report"),
            # Each step has its date: repaired and verified faults say when they were repaired; verified ones when
            # they were verified; open ones neither.
            models.CheckConstraint(
                name="fault_dates_follow_status",
                condition=models.Q(status__in=OPEN_FAULT_STATUSES, repaired_on__isnull=True, verified_on__isnull=True)
                | models.Q(status=FaultStatus.REPAIRED, repaired_on__isnull=False, verified_on__isnull=True)
                | models.Q(status=FaultStatus.VERIFIED, repaired_on__isnull=False, verified_on__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.asset_id} {self.severity} {self.status}"


class FaultPhotoStage(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("fault photo", "as reported")
    REPAIRED = "repaired", pgettext_lazy("fault photo", "after repair")


def fault_photo_to(instance, filename):
    return f"faults/{instance.fault.reported_on:%Y/%m}/{filename}"


def fault_thumbnail_to(instance, filename):
    return f"faults/{instance.fault.reported_on:%Y/%m}/thumbs/{filename}"


class FaultPhoto(PhotoFields):
    fault = models.ForeignKey(Fault, on_delete=models.CASCADE, related_name="photos", verbose_name=_("fault"))
    stage = models.CharField(_("stage"), max_length=10, choices=FaultPhotoStage.choices)
    image = models.ImageField(_("photo"), upload_to=fault_photo_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=fault_thumbnail_to, blank=True)

    class Meta:
        ordering = ["fault", "id"]
        verbose_name = _("fault photo")
        verbose_name_plural = _("fault photos")
        constraints = [*photo_constraints("fault_photo"), choices_check("stage", FaultPhotoStage.choices, "fault_photo_stage_valid")]
