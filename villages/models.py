"""The administrative hierarchy (行政区划) and the villages (村).

Codes are the national statistical division codes (统计用区划代码), stored in
their short form per level (33, 3305, 330523, 330523108, 330523108204). A
code is the primary key and its prefix selects everything below a region:
``Village.objects.within("3305")`` is ``WHERE code LIKE '3305%'``, served on
PostgreSQL by the varchar_pattern_ops index Django creates for every varchar
key (``*_like``). Foreign keys to a village hold its code, so a project's
region is a prefix of its ``village_id`` too: no join is needed to scope by
area.
"""
from django.db import models
from django.db.models.functions import Left
from django.utils.translation import gettext_lazy as _

from core.constraints import choices_check, non_negative

# The levels and their code lengths are defined in core.divisions (the gate needs them, and core imports no
# domain app); re-exported here, beside the models that hold the codes.
from core.divisions import CHILD_CODE_LENGTH, CODE_LENGTH, LEVEL_BY_LENGTH, PARENT_LEVEL, VILLAGE_CODE_LENGTH, RegionLevel  # noqa: F401
from core.models import TimeStampedModel


class VillageKind(models.TextChoices):
    """From the last three digits of the code (statistical coding rules)."""

    RESIDENTS_COMMITTEE = "residents_committee", _("residents' committee")  # 001-199, 居委会/社区
    VILLAGE_COMMITTEE = "village_committee", _("village committee")  # 200-399, 村委会
    OTHER = "other", _("other village-level unit")  # 400-599, farms, living areas


class VillageCategory(models.TextChoices):
    """Promoted over time: 整治村 → 示范村 → 精品村 → 未来乡村."""

    RENOVATION = "renovation", _("renovation village")
    DEMONSTRATION = "demonstration", _("demonstration village")
    BOUTIQUE = "boutique", _("boutique village")
    FUTURE = "future", _("future village")


CATEGORY_ORDER = [c.value for c in VillageCategory]


class ProgrammePhase(models.TextChoices):
    """The programme's four phases (阶段)."""

    DEMONSTRATION_LED = "demonstration_led", _("demonstration-led (2003-2007)")
    OVERALL_ADVANCEMENT = "overall_advancement", _("overall advancement (2008-2012)")
    DEEPENING = "deepening", _("deepening and upgrading (2013-2020)")
    TRANSFORMATION = "transformation", _("transformation and upgrading (2021-)")


def phase_for_year(year: int | None) -> str | None:
    if year is None or year < 2003:
        return None
    if year <= 2007:
        return ProgrammePhase.DEMONSTRATION_LED
    if year <= 2012:
        return ProgrammePhase.OVERALL_ADVANCEMENT
    if year <= 2020:
        return ProgrammePhase.DEEPENING
    return ProgrammePhase.TRANSFORMATION


def next_category(category: str) -> str | None:
    index = CATEGORY_ORDER.index(category)
    return CATEGORY_ORDER[index + 1] if index + 1 < len(CATEGORY_ORDER) else None


def kind_for_code(code: str) -> str:
    suffix = int(code[-3:])
    if suffix < 200:
        return VillageKind.RESIDENTS_COMMITTEE
    if suffix < 400:
        return VillageKind.VILLAGE_COMMITTEE
    return VillageKind.OTHER


_VILLAGE_SUFFIXES = ("村民委员会", "村委会")
_RESIDENT_SUFFIXES = ("社区居民委员会", "社区居委会")
_SETTLEMENT_ENDINGS = ("村", "社区", "居", "组")


def short_name_for(name: str) -> str:
    """The name people say, without the committee suffix.

    余村村委会 → 余村; 鲁家村委会 → 鲁家村 (the 村 belongs to the village's name);
    下姜村村民委员会 → 下姜村; 清波门社区居委会 → 清波门社区.
    """
    name = name.strip()
    for suffix in _VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(_SETTLEMENT_ENDINGS) else stem + "村"
    for suffix in _RESIDENT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + "社区"
    return name


class SampleData(models.TextChoices):
    """Whether a region's programme figures are invented: set by seed_demo (the sample programme of a county) and
    generate_programme (a province's scale test) through villages.services.region_mark_sample_data, read by every
    report and export that covers the region (villages.selectors.sample_notice), which then says so."""

    REAL = "", _("real data")
    SAMPLE = "sample", _("sample data")
    SCALE_TEST = "scale_test", _("scale-test data")


class RegionQuerySet(models.QuerySet):
    def within(self, code: str):
        """The region itself and every region below it."""
        return self.filter(code__startswith=code)

    def children_of(self, code: str):
        return self.filter(parent_id=code)


class Region(TimeStampedModel):
    """A province, city (地级), county/district (县级) or township (乡级)."""

    code = models.CharField(_("division code"), max_length=9, primary_key=True)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    level = models.CharField(_("level"), max_length=8, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    sample_data = models.CharField(
        _("invented data"), max_length=10, choices=SampleData.choices, default=SampleData.REAL, blank=True,
        help_text=_("The programme figures of this region and below are invented (sample or scale-test data); "
                    "every report and export covering it says so."),
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [
            # The few marked regions, read by every report (villages.selectors.sample_notice).
            models.Index(fields=["sample_data"], condition=~models.Q(sample_data=""), name="region_sample_data_idx"),
        ]
        constraints = [
            choices_check("level", RegionLevel.choices, "region_level_valid"),
            choices_check("sample_data", SampleData.choices, "region_sample_data_valid"),
            # The code's length fixes the level, and the parent is the code's prefix.
            models.CheckConstraint(
                name="region_code_matches_level_and_parent",
                condition=(
                    models.Q(level=RegionLevel.PROVINCE, code__regex=r"^[0-9]{2}$", parent__isnull=True)
                    | models.Q(level=RegionLevel.CITY, code__regex=r"^[0-9]{4}$", parent=Left("code", 2))
                    | models.Q(level=RegionLevel.COUNTY, code__regex=r"^[0-9]{6}$", parent=Left("code", 4))
                    | models.Q(level=RegionLevel.TOWNSHIP, code__regex=r"^[0-9]{9}$", parent=Left("code", 6))
                ),
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="region_name_not_blank"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def ancestor_codes(self) -> list[str]:
        """Codes from the province down to this region."""
        return [self.code[:n] for n in sorted(CODE_LENGTH.values()) if n <= len(self.code)]


class VillageQuerySet(models.QuerySet):
    def within(self, code: str):
        """Every village below the region with this code (or the village itself)."""
        return self.filter(code__startswith=code)


class Village(TimeStampedModel):
    """An administrative village (村民委员会) or residents' committee."""

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("full name"), max_length=64)
    short_name = models.CharField(_("name"), max_length=64, db_index=True)
    township = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="villages", verbose_name=_("township")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=VillageKind.choices, db_index=True)
    category = models.CharField(
        _("category"), max_length=16, choices=VillageCategory.choices, default=VillageCategory.RENOVATION, db_index=True
    )
    population = models.PositiveIntegerField(_("registered population"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=9, decimal_places=2, null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    joined_year = models.PositiveSmallIntegerField(
        _("year joined the programme"), null=True, blank=True,
        help_text=_("The year the village entered the renovation programme (2003 or later)."),
    )

    objects = VillageQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        constraints = [
            choices_check("kind", VillageKind.choices, "village_kind_valid"),
            choices_check("category", VillageCategory.choices, "village_category_valid"),
            models.CheckConstraint(
                name="village_code_matches_township_and_kind",
                condition=models.Q(township=Left("code", 9))
                & (
                    models.Q(kind=VillageKind.RESIDENTS_COMMITTEE, code__regex=r"^[0-9]{9}[01][0-9]{2}$")
                    | models.Q(kind=VillageKind.VILLAGE_COMMITTEE, code__regex=r"^[0-9]{9}[23][0-9]{2}$")
                    | models.Q(kind=VillageKind.OTHER, code__regex=r"^[0-9]{9}[4-9][0-9]{2}$")
                ),
            ),
            models.CheckConstraint(condition=~models.Q(name="") & ~models.Q(short_name=""), name="village_name_not_blank"),
            non_negative("area_km2", "village_area_non_negative"),
            models.CheckConstraint(
                name="village_coordinates_valid",  # both or neither, within range
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(
                    latitude__isnull=False, longitude__isnull=False,
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180,
                ),
            ),
            models.CheckConstraint(
                name="village_households_not_above_population",
                condition=models.Q(households__isnull=True)
                | models.Q(population__isnull=True)
                | models.Q(households__lte=models.F("population")),
            ),
            models.CheckConstraint(
                name="village_joined_year_in_programme",
                condition=models.Q(joined_year__isnull=True) | models.Q(joined_year__gte=2003, joined_year__lte=2100),
            ),
        ]

    def __str__(self):
        return f"{self.short_name} ({self.code})"

    @property
    def county_code(self) -> str:
        return self.code[:6]
