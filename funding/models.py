"""The funding ledger (资金): sources, allocations to projects, disbursements.

Entries are never edited or deleted: a mistake is corrected by a reversal, a
new entry with the negated amount that points at the entry it reverses and
gives a reason. Balances are sums of entries. The database refuses
non-positive ordinary entries, reversals without a reason or with the wrong
sign, and a second reversal of the same entry; over-commitment (an aggregate)
is refused by the services, under row locks.
"""
import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext_lazy as _

from core.constraints import choices_check
from core.models import TimeStampedModel


class SourceKind(models.TextChoices):
    PROVINCIAL_SPECIAL = "provincial_special", _("provincial special fund")
    CITY_MATCHING = "city_matching", _("city matching subsidy")
    COUNTY_BUDGET = "county_budget", _("county budget")
    INTEGRATED_SECTORAL = "integrated_sectoral", _("integrated sectoral funds")
    VILLAGE_COLLECTIVE = "village_collective", _("village collective")
    FARMER = "farmer", _("farmers' own money and labour")
    SOCIAL_DONATION = "social_donation", _("social donation")
    ENTERPRISE = "enterprise", _("enterprise investment")


GOVERNMENT_KINDS = (
    SourceKind.PROVINCIAL_SPECIAL,
    SourceKind.CITY_MATCHING,
    SourceKind.COUNTY_BUDGET,
    SourceKind.INTEGRATED_SECTORAL,
)


class Mechanism(models.TextChoices):
    DIRECT_GRANT = "direct_grant", _("direct grant")
    REWARD_IN_LIEU = "reward_in_lieu", _("reward in lieu of subsidy")
    BUILD_THEN_SUBSIDIZE = "build_then_subsidize", _("build first, subsidise later")


class FundingSource(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=SourceKind.choices, db_index=True)
    mechanism = models.CharField(
        _("mechanism"), max_length=24, choices=Mechanism.choices, default=Mechanism.DIRECT_GRANT, db_index=True
    )
    region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, related_name="funding_sources",
        verbose_name=_("administering region"),
    )
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="funding_sources",
        verbose_name=_("village"),
        help_text=_("For money of one village (its collective, its farmers, a donation to it)."),
    )
    beneficiary_region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="earmarked_funding_sources",
        verbose_name=_("earmarked for"),
        help_text=_("A region below the administering region that the money is earmarked for (a provincial fund for one "
                    "county); it funds only projects there, and only that region's users see it from below."),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), db_index=True)
    total_amount = models.DecimalField(_("total amount (yuan)"), max_digits=16, decimal_places=2)
    document_no = models.CharField(_("appropriation document no."), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-fiscal_year", "region", "name"]
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        constraints = [
            choices_check("kind", SourceKind.choices, "source_kind_valid"),
            choices_check("mechanism", Mechanism.choices, "source_mechanism_valid"),
            models.CheckConstraint(condition=models.Q(total_amount__gt=0), name="source_total_positive"),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=2003, fiscal_year__lte=2100), name="source_fiscal_year_range"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="source_name_not_blank"),
            models.UniqueConstraint(fields=["region", "fiscal_year", "name"], name="source_unique_name_per_region_year"),
            # The earmark lies strictly below the administering region (a division code extends its parent's).
            models.CheckConstraint(
                condition=models.Q(beneficiary_region__isnull=True)
                | (models.Q(StartsWith(Cast("beneficiary_region", models.CharField()), Cast("region", models.CharField())))
                   & ~models.Q(beneficiary_region=models.F("region"))),
                name="source_beneficiary_below_region",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.fiscal_year})"

    @property
    def is_government(self) -> bool:
        return self.kind in GOVERNMENT_KINDS


def _ledger_entry_constraints(prefix: str) -> list:
    """An ordinary entry is positive; a reversal is negative, names the entry it
    reverses and gives a reason. `reverses` is one-to-one: an entry is reversed
    at most once."""
    return [
        models.CheckConstraint(
            name=f"{prefix}_sign_matches_reversal",
            condition=models.Q(reverses__isnull=True, amount__gt=0)
            | (models.Q(reverses__isnull=False, amount__lt=0) & ~models.Q(reason="")),
        ),
    ]


class Purpose(models.TextChoices):
    """What an allocation pays for: building a project (建设), or the upkeep of an asset (管护经费)."""

    CONSTRUCTION = "construction", _("construction")
    UPKEEP = "upkeep", _("upkeep")


class Allocation(models.Model):
    """Money of a source committed to a project (construction) or to an asset's upkeep (管护经费): exactly one of
    ``project`` and ``asset``. ``village`` is the village of either, kept on the row so that one path places every
    entry (core.scoping.AREA_PATHS) and the figures group by one column."""

    source = models.ForeignKey(FundingSource, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("source"))
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="allocations",
        verbose_name=_("project"),
    )
    asset = models.ForeignKey(
        "maintenance.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="upkeep_allocations",
        verbose_name=_("asset"),
    )
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, related_name="allocations", verbose_name=_("village")
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2)
    allocated_on = models.DateField(_("allocated on"), db_index=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal", verbose_name=_("reverses")
    )
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-allocated_on", "-id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = _ledger_entry_constraints("allocation") + [
            models.CheckConstraint(condition=models.Q(allocated_on__gte=datetime.date(2003, 1, 1)), name="allocation_date_in_programme"),
            models.CheckConstraint(
                condition=models.Q(project__isnull=False, asset__isnull=True) | models.Q(project__isnull=True, asset__isnull=False),
                name="allocation_project_xor_asset",
            ),
        ]

    def __str__(self):
        target = f"project {self.project_id}" if self.project_id else f"asset {self.asset_id}"
        return f"{self.source_id} → {target}: {self.amount}"

    def save(self, *args, **kwargs):
        # The village follows from the project or the asset (the services set it; this keeps every other writer,
        # such as a test's factory, from leaving it out).
        if self.village_id is None:
            target = self.project if self.project_id else self.asset if self.asset_id else None
            if target is not None:
                self.village_id = target.village_id
        super().save(*args, **kwargs)

    @property
    def purpose(self) -> str:
        return Purpose.CONSTRUCTION if self.project_id else Purpose.UPKEEP

    def get_purpose_display(self) -> str:
        return Purpose(self.purpose).label


class Disbursement(models.Model):
    """A payment out of an allocation."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="disbursements", verbose_name=_("allocation")
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2)
    paid_on = models.DateField(_("payment date"), db_index=True)
    voucher_no = models.CharField(_("voucher no."), max_length=64, db_index=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal", verbose_name=_("reverses")
    )
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        constraints = _ledger_entry_constraints("disbursement") + [
            models.CheckConstraint(condition=models.Q(paid_on__gte=datetime.date(2003, 1, 1)), name="disbursement_date_in_programme"),
            models.CheckConstraint(condition=~models.Q(voucher_no=""), name="disbursement_voucher_not_blank"),
            models.UniqueConstraint(
                fields=["allocation", "voucher_no"],
                condition=models.Q(reverses__isnull=True),
                name="disbursement_voucher_unique_per_allocation",
            ),
        ]

    def __str__(self):
        return f"{self.voucher_no}: {self.amount}"
