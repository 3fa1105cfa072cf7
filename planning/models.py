"""Plans and targets (规划先行、一张蓝图绘到底): the plans a village is built to, the yearly targets each level sets and
breaks down to the level below, and the counties' creation lists (创建名单).

- A plan (村庄布局规划 for a county, 村庄建设规划 for a village) has versions: a new version supersedes the current
  one and both are kept, so a successor sees what was promised. Its items (work kind, quantity, estimated cost,
  planned year) are what projects carry out: a project cites one item (PlanCitation), or it is an exception outside
  the plan, with a reason the county approves.
- A target is one region's quantity of one kind of work for one year, set by the level above (the province sets its
  own). Accepted projects count toward the actual of their year and area (dashboard.targets computes it).
- A creation list names the villages a county puts up for 示范村 / 精品村 / 未来乡村 creation in a year.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choices_check, non_negative
from core.models import TimeStampedModel
from projects.models import OutputUnit, ProjectType, output_unit_of
from villages.models import VillageCategory

# The size of a plan document (a scanned, approved PDF).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


class PlanKind(models.TextChoices):
    LAYOUT = "layout", _("village layout plan")  # 村庄布局规划: a county's
    CONSTRUCTION = "construction", _("village construction plan")  # 村庄建设规划: one village's


class PlanStatus(models.TextChoices):
    CURRENT = "current", pgettext_lazy("plan status", "current")
    SUPERSEDED = "superseded", _("superseded")


def plan_upload_to(instance, filename):
    return f"plans/{instance.area_code}/v{instance.version}-{filename}"


class Plan(TimeStampedModel):
    kind = models.CharField(_("plan kind"), max_length=16, choices=PlanKind.choices)
    # A layout plan's county, or a construction plan's village; area_code is the one of them that is set (the gate
    # places the plan by it).
    region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="plans", verbose_name=_("county")
    )
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="plans", verbose_name=_("village")
    )
    area_code = models.CharField(_("division code"), max_length=12, db_index=True, editable=False)
    title = models.CharField(_("title"), max_length=160)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    approved_on = models.DateField(_("approved on"))
    approved_by = models.CharField(_("approving body"), max_length=120)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    document = models.FileField(_("plan document (PDF)"), upload_to=plan_upload_to, blank=True)
    document_size = models.PositiveIntegerField(_("document size (bytes)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.CURRENT)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by", verbose_name=_("supersedes")
    )
    change_reason = models.TextField(_("reason for the change"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        ordering = ["area_code", "kind", "-version"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        indexes = [models.Index(fields=["status", "kind"], name="plan_status_kind_idx")]
        constraints = [
            choices_check("kind", PlanKind.choices, "plan_kind_valid"),
            choices_check("status", PlanStatus.choices, "plan_status_valid"),
            models.CheckConstraint(condition=models.Q(valid_until__gte=models.F("valid_from")), name="plan_validity_ordered"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="plan_version_positive"),
            models.CheckConstraint(condition=~models.Q(title=""), name="plan_title_not_blank"),
            models.CheckConstraint(
                name="plan_kind_places_it",
                condition=models.Q(kind=PlanKind.LAYOUT, region__isnull=False, village__isnull=True)
                | models.Q(kind=PlanKind.CONSTRUCTION, village__isnull=False, region__isnull=True),
            ),
            # A later version says why the plan changed (前任政绩、后任包袱 is what this prevents).
            models.CheckConstraint(
                condition=models.Q(version=1) | ~models.Q(change_reason=""), name="plan_revision_has_reason"
            ),
            models.UniqueConstraint(fields=["area_code", "kind", "version"], name="plan_version_unique"),
            models.UniqueConstraint(
                fields=["area_code", "kind"], condition=models.Q(status=PlanStatus.CURRENT), name="plan_one_current"
            ),
            models.CheckConstraint(
                condition=models.Q(document_size__isnull=True)
                | models.Q(document_size__gt=0, document_size__lte=MAX_DOCUMENT_BYTES),
                name="plan_document_size_within_limit",
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    @property
    def is_current(self) -> bool:
        return self.status == PlanStatus.CURRENT


class PlanItem(models.Model):
    """One piece of work the plan promises: a kind, a quantity in the kind's unit, an estimated cost, a year."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items", verbose_name=_("plan"))
    # The village the work is for: a construction plan's own village; a layout plan names it, or leaves it empty for
    # work that concerns no single village.
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="plan_items",
        verbose_name=_("village"),
    )
    kind = models.CharField(_("work kind"), max_length=20, choices=ProjectType.choices)
    name = models.CharField(_("item"), max_length=160)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    estimated_cost = models.DecimalField(_("estimated cost (yuan)"), max_digits=14, decimal_places=2)
    planned_year = models.PositiveSmallIntegerField(_("planned year"))
    # The item of the previous version this one continues (a revision copies the items).
    carried_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_to", verbose_name=_("carried from")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["plan", "planned_year", "kind", "id"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        indexes = [models.Index(fields=["village", "planned_year"], name="planitem_village_year_idx")]
        constraints = [
            choices_check("kind", ProjectType.choices, "planitem_kind_valid"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="planitem_quantity_positive"),
            non_negative("estimated_cost", "planitem_cost_non_negative"),
            models.CheckConstraint(
                condition=models.Q(planned_year__gte=2003, planned_year__lte=2100), name="planitem_year_range"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="planitem_name_not_blank"),
        ]

    def __str__(self):
        return self.name

    @property
    def unit(self) -> str:
        return output_unit_of(self.kind)

    def get_unit_display(self) -> str:
        return OutputUnit(self.unit).label


class ExceptionStatus(models.TextChoices):
    PENDING = "pending", _("awaiting the county")
    APPROVED = "approved", pgettext_lazy("exception", "approved")
    REFUSED = "refused", _("refused")


class PlanCitation(models.Model):
    """What a project carries out: a plan item, or nothing in the plan, with a reason (规划外项目) that the county
    approves or refuses. A project is approved only with an item or an approved exception (planning.rules)."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="plan_citation", verbose_name=_("project")
    )
    item = models.ForeignKey(
        PlanItem, on_delete=models.PROTECT, null=True, blank=True, related_name="citations", verbose_name=_("plan item")
    )
    out_of_plan_reason = models.TextField(_("why outside the plan"), blank=True)
    exception_status = models.CharField(
        _("exception"), max_length=10, choices=ExceptionStatus.choices, blank=True, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("plan citation")
        verbose_name_plural = _("plan citations")
        constraints = [
            choices_check("exception_status", ExceptionStatus.choices, "citation_exception_valid", allow_blank=True),
            models.CheckConstraint(
                name="citation_item_or_exception",
                condition=models.Q(item__isnull=False, out_of_plan_reason="", exception_status="")
                | (models.Q(item__isnull=True) & ~models.Q(out_of_plan_reason="") & ~models.Q(exception_status="")),
            ),
            models.CheckConstraint(
                name="citation_refusal_has_note",
                condition=~models.Q(exception_status=ExceptionStatus.REFUSED) | ~models.Q(decision_note=""),
            ),
        ]

    def __str__(self):
        return f"{self.project_id} → {self.item_id or self.exception_status}"

    @property
    def in_plan(self) -> bool:
        return self.item_id is not None


class TargetKind(models.TextChoices):
    """What a target counts: the output of one kind of work, or villages newly created in a category."""

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
    NEW_DEMONSTRATION = "new_demonstration", _("new demonstration villages")
    NEW_BOUTIQUE = "new_boutique", _("new boutique villages")
    NEW_FUTURE = "new_future", _("new future villages")


# Village-creation targets: the category a village reaches (assessment.Promotion) to count.
CREATION_KINDS = {
    TargetKind.NEW_DEMONSTRATION: VillageCategory.DEMONSTRATION,
    TargetKind.NEW_BOUTIQUE: VillageCategory.BOUTIQUE,
    TargetKind.NEW_FUTURE: VillageCategory.FUTURE,
}
assert set(ProjectType.values) | {k.value for k in CREATION_KINDS} == set(TargetKind.values)


def target_unit(kind: str) -> str:
    return OutputUnit.VILLAGES if kind in CREATION_KINDS else output_unit_of(kind)


class Target(TimeStampedModel):
    region = models.ForeignKey("villages.Region", on_delete=models.PROTECT, related_name="targets", verbose_name=_("region"))
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=20, choices=TargetKind.choices)
    quantity = models.DecimalField(_("target quantity"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("set by")
    )

    class Meta:
        ordering = ["region", "year", "kind"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        indexes = [models.Index(fields=["year", "kind"], name="target_year_kind_idx")]
        constraints = [
            choices_check("kind", TargetKind.choices, "target_kind_valid"),
            non_negative("quantity", "target_quantity_non_negative"),
            models.CheckConstraint(condition=models.Q(year__gte=2003, year__lte=2100), name="target_year_range"),
            models.UniqueConstraint(fields=["region", "year", "kind"], name="target_unique_per_region_year_kind"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.year} {self.kind}: {self.quantity}"

    @property
    def unit(self) -> str:
        return target_unit(self.kind)

    def get_unit_display(self) -> str:
        return OutputUnit(self.unit).label


CREATION_CATEGORIES = [(c.value, c.label) for c in VillageCategory if c != VillageCategory.RENOVATION]


class CreationListEntry(models.Model):
    """创建名单: a village the county puts up for creation as a category in a year."""

    county = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, related_name="creation_entries", verbose_name=_("county")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category to create"), max_length=16, choices=CREATION_CATEGORIES)
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, related_name="creation_entries", verbose_name=_("village")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["county", "-year", "category", "village"]
        verbose_name = _("creation list entry")
        verbose_name_plural = _("creation list entries")
        indexes = [models.Index(fields=["county", "year", "category"], name="creation_county_year_idx")]
        constraints = [
            choices_check("category", CREATION_CATEGORIES, "creation_category_valid"),
            models.CheckConstraint(condition=models.Q(year__gte=2003, year__lte=2100), name="creation_year_range"),
            models.UniqueConstraint(fields=["year", "category", "village"], name="creation_once_per_year_category"),
        ]

    def __str__(self):
        return f"{self.year} {self.category}: {self.village_id}"
