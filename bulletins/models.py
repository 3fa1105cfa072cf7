"""Bulletins (通报): what a county's or a city's office makes known of a period, composed from what the portal knows
(the ranking and its bottom group, overdue projects, supervision's problems, the reporting discipline), edited,
approved and published; a published bulletin is a page and a PDF, and no longer changes."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choices_check
from core.models import TimeStampedModel


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("bulletin status", "draft")
    APPROVED = "approved", pgettext_lazy("bulletin status", "approved")
    PUBLISHED = "published", pgettext_lazy("bulletin status", "published")


def bulletin_pdf_to(instance, filename):
    return f"bulletins/{instance.region_id}/{filename}"


class Bulletin(TimeStampedModel):
    region = models.ForeignKey("villages.Region", on_delete=models.PROTECT, related_name="bulletins",
                               verbose_name=_("issuing office"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    # What the portal knew when the bulletin was composed (the figures its text was written from), kept as they were.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT)
    composed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("composed by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("published by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=bulletin_pdf_to, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        indexes = [
            models.Index(fields=["region", "status"], name="bulletin_region_status_idx"),
            models.Index(fields=["status", "published_at"], name="bulletin_published_idx"),
        ]
        constraints = [
            choices_check("status", BulletinStatus.choices, "bulletin_status_valid"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="bulletin_period_in_order"),
            models.CheckConstraint(condition=~models.Q(title="") & ~models.Q(body=""), name="bulletin_text_not_blank"),
            # Approved and published bulletins say when and by whom; a published one has its PDF.
            models.CheckConstraint(
                name="bulletin_dates_follow_status",
                condition=models.Q(status=BulletinStatus.DRAFT, approved_at__isnull=True, published_at__isnull=True)
                | models.Q(status=BulletinStatus.APPROVED, approved_at__isnull=False, published_at__isnull=True)
                | (models.Q(status=BulletinStatus.PUBLISHED, approved_at__isnull=False, published_at__isnull=False)
                   & ~models.Q(pdf="")),
            ),
        ]

    def __str__(self):
        return self.title
