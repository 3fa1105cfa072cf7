"""Long-term maintenance (长效管护): the assets (设施) that accepted projects leave behind, and the named people who
keep them (管护人员) with their chief types (河长、路长、所长…) and the history of handovers.

Room for what follows (issue 19, items 3-8): inspections and faults will hang off Asset (asset → inspections →
faults), inspection intervals off AssetKind, upkeep money off Asset through the funding ledger, and each of them
is placed by the gate through ``asset__village__code``.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choices_check
from core.models import TimeStampedModel
from projects.models import MaintenanceBody, ProjectType


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
        ]

    def __str__(self):
        return f"{self.keeper_id} → {self.asset_id or self.village_id} ({self.chief_type})"
