"""Summary tables behind the dashboards (dashboard.stats keeps them).

One row per village holds what the dashboards add up at any scope; one row
per township and month holds the monthly trend. Both are maintained on write
(each service that changes a village's figures asks, on commit, for that
village to be recomputed from scratch by a Celery task) and rebuilt nightly
(date-dependent figures: overdue, no report in 30 days, the months an open project must report in). A test checks that
after any sequence of writes they equal a fresh recomputation.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from funding.models import SourceKind
from maintenance.models import AssetKind
from projects.models import ProjectStatus, ProjectType

# One column per value of these choices (tests/dashboard checks none is missing).
STATUSES = list(ProjectStatus.values)
TYPES = list(ProjectType.values)
KINDS = list(SourceKind.values)
ASSET_KINDS = list(AssetKind.values)


def MONEY():  # noqa: N802 - a field factory
    return models.DecimalField(max_digits=18, decimal_places=2, default=0)


class StatsColumns(models.Model):
    """The additive figures of an area: a village's own, or the sum over a township's villages."""

    projects = models.PositiveIntegerField(default=0)
    status_draft = models.PositiveIntegerField(default=0)
    status_submitted = models.PositiveIntegerField(default=0)
    status_returned = models.PositiveIntegerField(default=0)
    status_approved = models.PositiveIntegerField(default=0)
    status_under_construction = models.PositiveIntegerField(default=0)
    status_completed = models.PositiveIntegerField(default=0)
    status_accepted = models.PositiveIntegerField(default=0)
    status_suspended = models.PositiveIntegerField(default=0)
    status_cancelled = models.PositiveIntegerField(default=0)
    type_garbage = models.PositiveIntegerField(default=0)
    type_sewage = models.PositiveIntegerField(default=0)
    type_toilet = models.PositiveIntegerField(default=0)
    type_drinking_water = models.PositiveIntegerField(default=0)
    type_road = models.PositiveIntegerField(default=0)
    type_greening = models.PositiveIntegerField(default=0)
    type_lighting = models.PositiveIntegerField(default=0)
    type_appearance = models.PositiveIntegerField(default=0)
    type_courtyard = models.PositiveIntegerField(default=0)
    type_housing = models.PositiveIntegerField(default=0)
    type_water_conservancy = models.PositiveIntegerField(default=0)
    type_public_facilities = models.PositiveIntegerField(default=0)
    type_culture_hall = models.PositiveIntegerField(default=0)
    type_digital = models.PositiveIntegerField(default=0)
    type_industry = models.PositiveIntegerField(default=0)
    allocated_provincial_special = MONEY()
    allocated_city_matching = MONEY()
    allocated_county_budget = MONEY()
    allocated_integrated_sectoral = MONEY()
    allocated_village_collective = MONEY()
    allocated_farmer = MONEY()
    allocated_social_donation = MONEY()
    allocated_enterprise = MONEY()
    live_projects = models.PositiveIntegerField(default=0, help_text="Projects not cancelled.")
    percent_sum = models.PositiveIntegerField(default=0, help_text="Sum of percent complete over live projects.")
    overdue_projects = models.PositiveIntegerField(default=0)
    stale_projects = models.PositiveIntegerField(default=0, help_text="Under construction, no report in 30 days.")
    budget = MONEY()
    allocated = MONEY()
    allocated_government = MONEY()
    disbursed = MONEY()
    disbursed_government = MONEY()
    # Long-term maintenance (长效管护): assets in service now, by kind; inspections and faults of computed_on's
    # calendar year to date (maintenance.selectors.maintenance_figures); overdue and open ones as of computed_on.
    assets = models.PositiveIntegerField(default=0)
    asset_sewage_station = models.PositiveIntegerField(default=0)
    asset_sewer_network = models.PositiveIntegerField(default=0)
    asset_public_toilet = models.PositiveIntegerField(default=0)
    asset_road = models.PositiveIntegerField(default=0)
    asset_street_lights = models.PositiveIntegerField(default=0)
    asset_waste_station = models.PositiveIntegerField(default=0)
    asset_cultural_hall = models.PositiveIntegerField(default=0)
    asset_greenery = models.PositiveIntegerField(default=0)
    asset_other = models.PositiveIntegerField(default=0)
    inspections_expected = models.PositiveIntegerField(default=0, help_text="Scheduled inspections due this year by now.")
    inspections_on_time = models.PositiveIntegerField(default=0)
    inspections_done = models.PositiveIntegerField(default=0)
    condition_sum = models.PositiveIntegerField(default=0, help_text="Sum of the conditions found this year.")
    overdue_inspections = models.PositiveIntegerField(default=0)
    faults_reported = models.PositiveIntegerField(default=0)
    open_faults = models.PositiveIntegerField(default=0)
    overdue_faults = models.PositiveIntegerField(default=0)
    # Upkeep money (管护经费): allocations to assets and what was paid out of them, apart from the construction
    # money above (allocated, disbursed: allocations to projects).
    upkeep_allocated = MONEY()
    upkeep_disbursed = MONEY()
    # 规划先行 (planning): projects neither drafts nor cancelled, of them those that carry out a plan item and those
    # outside the plan (an exception, whatever its state).
    cited_projects = models.PositiveIntegerField(default=0)
    in_plan_projects = models.PositiveIntegerField(default=0)
    out_of_plan_projects = models.PositiveIntegerField(default=0)
    last_report_on = models.DateField(null=True, blank=True)
    computed_on = models.DateField(help_text="The day the date-dependent figures refer to.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    # The additive columns (summed from villages to townships and from townships upwards).
    @classmethod
    def additive_fields(cls) -> list[str]:
        skip = {"last_report_on", "computed_on", "computed_at"}
        return [f.name for f in StatsColumns._meta.get_fields() if f.concrete and f.name not in skip]


class VillageStats(StatsColumns):
    village = models.OneToOneField(
        "villages.Village", on_delete=models.CASCADE, primary_key=True, related_name="stats", db_constraint=True
    )
    category = models.CharField(max_length=16, db_index=True)
    has_location = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("village statistics")
        verbose_name_plural = _("village statistics")
        constraints = [
            models.CheckConstraint(condition=models.Q(live_projects__lte=models.F("projects")), name="stats_live_within_total"),
            models.CheckConstraint(condition=models.Q(percent_sum__lte=models.F("live_projects") * 100), name="stats_percent_sum_range"),
        ]
        # The "no progress report in 30 days" list has a partial index (last_report_on ASC NULLS FIRST,
        # only over silent villages), created on PostgreSQL by migration 0002: SQLite cannot index NULLS FIRST.

    def __str__(self):
        return f"stats {self.village_id}"


class AreaSums(StatsColumns):
    """The sums of an area's VillageStats, with counts of its villages (a township's, or a county's)."""

    villages = models.PositiveIntegerField(default=0)
    stale_villages = models.PositiveIntegerField(default=0)
    located = models.PositiveIntegerField(default=0)
    category_renovation = models.PositiveIntegerField(default=0)
    category_demonstration = models.PositiveIntegerField(default=0)
    category_boutique = models.PositiveIntegerField(default=0)
    category_future = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    # What a township's row adds to its county's: the additive figures and the counts of villages.
    @classmethod
    def summed_fields(cls) -> list[str]:
        counts = [f.name for f in AreaSums._meta.get_fields() if f.concrete and f.name not in StatsColumns.additive_fields()
                  and f.name not in {"last_report_on", "computed_on", "computed_at"}]
        return [*StatsColumns.additive_fields(), *counts]


class TownshipStats(AreaSums):
    """The sum of a township's VillageStats: what a county's dashboard adds up."""

    township = models.OneToOneField("villages.Region", on_delete=models.CASCADE, primary_key=True, related_name="+")

    class Meta:
        verbose_name = _("township statistics")
        verbose_name_plural = _("township statistics")

    def __str__(self):
        return f"stats {self.township_id}"


class CountyStats(AreaSums):
    """The sum of a county's TownshipStats: what city, province and national dashboards add up (2,978 rows for the
    nation instead of 41,352 townships' rows; README "The nation" has the measurement)."""

    county = models.OneToOneField("villages.Region", on_delete=models.CASCADE, primary_key=True, related_name="+")

    class Meta:
        verbose_name = _("county statistics")
        verbose_name_plural = _("county statistics")

    def __str__(self):
        return f"stats {self.county_id}"


class MonthColumns(models.Model):
    """Progress reports and disbursements of an area in one month, and its reporting discipline: the projects
    expected to report that month, those that did, and those that did by the deadline (dashboard.stats, "Reporting
    discipline": the rule and REPORTING_GRACE_DAYS)."""

    month = models.DateField(help_text="The first day of the month.")
    reports = models.PositiveIntegerField(default=0)
    disbursed = MONEY()
    expected = models.PositiveIntegerField(default=0, help_text="Projects open during the month.")
    reported = models.PositiveIntegerField(default=0, help_text="Of them, those with a progress report dated in the month.")
    on_time = models.PositiveIntegerField(default=0, help_text="Of them, those whose first such report was entered by the deadline.")

    class Meta:
        abstract = True

    SUMMED = ("reports", "disbursed", "expected", "reported", "on_time")


class TownshipMonth(MonthColumns):
    """One township's month."""

    township = models.ForeignKey("villages.Region", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("township month")
        verbose_name_plural = _("township months")
        constraints = [
            models.UniqueConstraint(fields=["township", "month"], name="township_month_unique"),
            models.CheckConstraint(condition=models.Q(reported__lte=models.F("expected")), name="township_month_reported_within"),
            models.CheckConstraint(condition=models.Q(on_time__lte=models.F("reported")), name="township_month_on_time_within"),
        ]
        indexes = [models.Index(fields=["month", "township"], name="township_month_idx")]

    def __str__(self):
        return f"{self.township_id} {self.month:%Y-%m}"


class CountyMonth(MonthColumns):
    """One county's month: the sum of its townships' (what city, province and national dashboards add up)."""

    county = models.ForeignKey("villages.Region", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("county month")
        verbose_name_plural = _("county months")
        constraints = [
            models.UniqueConstraint(fields=["county", "month"], name="county_month_unique"),
            models.CheckConstraint(condition=models.Q(reported__lte=models.F("expected")), name="county_month_reported_within"),
            models.CheckConstraint(condition=models.Q(on_time__lte=models.F("reported")), name="county_month_on_time_within"),
        ]
        indexes = [models.Index(fields=["month", "county"], name="county_month_idx")]

    def __str__(self):
        return f"{self.county_id} {self.month:%Y-%m}"


class AreaOutput(models.Model):
    """What one township, or one county, made in one year by target kind (planning.TargetKind): the accepted output
    of its projects of each type accepted that year, and its villages promoted that year to each category. A
    county's row is the sum of its townships'. The plan-against-actual panel reads them above township scope
    (dashboard.targets): a county's townships, a city's or the province's counties."""

    class Level(models.TextChoices):
        TOWNSHIP = "township", _("township")
        COUNTY = "county", _("county")

    region = models.ForeignKey("villages.Region", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, choices=Level.choices)
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20)
    output = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("area output")
        verbose_name_plural = _("area outputs")
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "kind"], name="area_output_unique"),
        ]
        indexes = [models.Index(fields=["year", "level", "region"], name="area_output_year_idx")]

    def __str__(self):
        return f"{self.region_id} {self.year} {self.kind}: {self.output}"


class VillageStatus(models.Model):
    """The status block of each village (dashboard.status.village_blocks, the one function behind
    /api/v1/villages/{code}/status/), as the JSON text the bulk feed (/api/v1/village-status/) sends.

    Written by dashboard.stats.rebuild() with the village's summary row, and rewritten only when the block's digest
    changes: ``changed_at`` is then the moment the block last changed, so ``updated_since`` finds exactly the villages
    whose status changed. Stamps are strictly increasing in commit order (dashboard.status._stamp: taken under one
    transaction-level lock held until commit), which makes the largest committed stamp a safe watermark."""

    village = models.OneToOneField(
        "villages.Village", on_delete=models.CASCADE, primary_key=True, related_name="status_snapshot"
    )
    block = models.TextField(help_text="The status block as compact JSON text.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the block's text.")
    changed_at = models.DateTimeField(db_index=True, help_text="When the block last changed (strictly increasing).")
    computed_on = models.DateField(help_text="The day the block was last computed (date-dependent figures).")

    class Meta:
        verbose_name = _("village status")
        verbose_name_plural = _("village statuses")

    def __str__(self):
        return f"status {self.village_id}"
