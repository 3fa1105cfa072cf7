"""Shared bases and the project's user model."""
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _

from .divisions import CODE_LENGTH, RegionLevel


class User(AbstractUser):
    """The portal's user. A custom model from the first migration so that later
    fields (phone, office) never need a user-model swap."""

    phone = models.CharField(_("phone"), max_length=32, blank=True)

    @property
    def display_name(self) -> str:
        """How people are shown on pages (潘立新, not township_tianhuangping): the name, else the username. A Chinese
        name split into family and given name reads family name first, without a space."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if first and last:
            return f"{last}{first}" if _is_cjk(last + first) else f"{first} {last}"
        return first or last or self.username

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    TOWNSHIP_OFFICIAL = "township_official", _("township official")
    COUNTY_STAFF = "county_staff", _("county staff")
    SUPERVISOR = "supervisor", _("supervisor")
    API_CLIENT = "api_client", _("API client")


# The region levels each role may be held for, as the length of the region's code
# (2 province, 4 city, 6 county, 9 township).
ROLE_CODE_LENGTHS: dict[str, tuple[int, ...]] = {
    Role.TOWNSHIP_OFFICIAL: (CODE_LENGTH[RegionLevel.TOWNSHIP],),
    Role.COUNTY_STAFF: (CODE_LENGTH[RegionLevel.COUNTY],),
    Role.SUPERVISOR: (CODE_LENGTH[RegionLevel.PROVINCE], CODE_LENGTH[RegionLevel.CITY]),
    Role.API_CLIENT: tuple(sorted(CODE_LENGTH.values())),
}


class RoleAssignment(models.Model):
    """A role held for a region: it reaches the region and everything below it."""

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "villages.Region", on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("region")
    )
    granted_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        ordering = ["user", "role", "region"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="role_assignment_unique"),
            # A role is held at its level only: the region's code length fixes the level.
            models.CheckConstraint(
                name="role_assignment_region_level",
                condition=reduce(
                    or_,
                    [
                        models.Q(role=role) & models.Q(In(Length("region"), list(lengths)))
                        for role, lengths in ROLE_CODE_LENGTHS.items()
                    ],
                ),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.region_id}"


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    TRANSITION = "transition", _("status changed")
    GRANT = "grant", _("role granted")
    REVOKE = "revoke", _("role revoked")


class AuditEntry(models.Model):
    """Who changed what, when, from where: written by the service that makes
    the change, in the same transaction. Never edited or deleted through the
    portal (and, on PostgreSQL, a trigger refuses UPDATE and DELETE)."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=12, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=32)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True, help_text=_("{field: [before, after]}"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="audit_object_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=[a.value for a in AuditAction]), name="audit_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_repr}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the response it got (core.api.idempotent)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class VillageChange(models.Model):
    """Outbox: "the figures of this village changed", written in the same transaction as the change.

    The dashboard's summary rows are rebuilt from these rows (dashboard.stats.drain), by the refresh task queued
    after the commit and by a periodic sweeper: a change made while the broker is down, or by a path that queues
    nothing, is still summarised, without waiting for the nightly rebuild. A code, not a foreign key: core knows
    no domain app."""

    village_code = models.CharField(_("village code"), max_length=12)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("village change")
        verbose_name_plural = _("village changes")
        indexes = [models.Index(fields=["village_code", "id"], name="village_change_code_idx")]

    def __str__(self):
        return f"{self.village_code} @ {self.recorded_at:%Y-%m-%d %H:%M:%S}"
