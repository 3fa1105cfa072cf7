"""What the portal shows to everyone (公开): a county's choice to open its villages' pages to the public, and its
exemplary cases (典型案例), a village's story with photos that others may learn from.

Nothing here holds personal data: the public pages (disclosure.views) read only through disclosure.selectors, which decide
what is public (published bulletins, the villages of counties that opted in, published cases) and what of it is
shown (never a person: no user, official, keeper or inspector, no GPS position of a photo)."""
from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choices_check
from core.models import TimeStampedModel
from projects.models import PhotoFields, photo_constraints


class CountyPublication(TimeStampedModel):
    """A county's choice: are its villages' public pages open? No row is no."""

    county = models.OneToOneField("villages.Region", on_delete=models.PROTECT, primary_key=True,
                                  related_name="publication", verbose_name=_("county"))
    villages_public = models.BooleanField(_("village pages public"), default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("changed by"))

    class Meta:
        verbose_name = _("county publication")
        verbose_name_plural = _("county publications")
        constraints = [
            # A county's code has six digits (villages.Region: the code's length fixes the level).
            models.CheckConstraint(condition=Exact(Length("county"), 6), name="publication_is_a_county"),
        ]

    def __str__(self):
        return f"{self.county_id}: {self.villages_public}"


STORY_MAX_LENGTH = 20000


class ExemplarStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("exemplar status", "draft")
    PUBLISHED = "published", pgettext_lazy("exemplar status", "published")
    WITHDRAWN = "withdrawn", pgettext_lazy("exemplar status", "withdrawn")


class Exemplar(TimeStampedModel):
    """An exemplary case (典型案例): what a village did, told by its county for others to learn from."""

    village = models.ForeignKey("villages.Village", on_delete=models.PROTECT, related_name="exemplars",
                                verbose_name=_("village"))
    title = models.CharField(_("title"), max_length=120)
    summary = models.CharField(_("summary"), max_length=300,
                               help_text=_("One or two sentences shown in the list of cases."))
    story = models.TextField(_("story"))
    status = models.CharField(_("status"), max_length=10, choices=ExemplarStatus.choices, default=ExemplarStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("exemplary case")
        verbose_name_plural = _("exemplary cases")
        indexes = [
            models.Index(fields=["status", "published_at"], name="exemplar_published_idx"),
            models.Index(fields=["village", "status"], name="exemplar_village_status_idx"),
        ]
        constraints = [
            choices_check("status", ExemplarStatus.choices, "exemplar_status_valid"),
            models.CheckConstraint(condition=~models.Q(title="") & ~models.Q(summary="") & ~models.Q(story=""),
                                   name="exemplar_text_not_blank"),
            # A published case says when; a withdrawn one why.
            models.CheckConstraint(
                name="exemplar_dates_follow_status",
                condition=models.Q(status=ExemplarStatus.DRAFT, withdrawn_reason="")
                | models.Q(status=ExemplarStatus.PUBLISHED, published_at__isnull=False, withdrawn_reason="")
                | (models.Q(status=ExemplarStatus.WITHDRAWN, published_at__isnull=False) & ~models.Q(withdrawn_reason="")),
            ),
            models.CheckConstraint(condition=LessThanOrEqual(Length("story"), STORY_MAX_LENGTH), name="exemplar_story_length"),
        ]

    def __str__(self):
        return self.title


def exemplar_photo_to(instance, filename):
    return f"exemplars/{instance.exemplar.village_id}/{filename}"


def exemplar_thumbnail_to(instance, filename):
    return f"exemplars/{instance.exemplar.village_id}/thumbs/{filename}"


class ExemplarPhoto(PhotoFields):
    exemplar = models.ForeignKey(Exemplar, on_delete=models.CASCADE, related_name="photos", verbose_name=_("exemplary case"))
    image = models.ImageField(_("photo"), upload_to=exemplar_photo_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=exemplar_thumbnail_to, blank=True)

    class Meta:
        ordering = ["exemplar", "id"]
        verbose_name = _("exemplary case photo")
        verbose_name_plural = _("exemplary case photos")
        constraints = [*photo_constraints("exemplar_photo")]
