"""Reminders (提醒): each user's inbox of messages, how they were delivered, the counties' rules and the users'
choices of channel."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.constraints import choices_check


class Kind(models.TextChoices):
    PROJECT_RETURNED = "project_returned", _("project returned")
    APPROVAL_WAITING = "approval_waiting", _("submission waiting for approval")
    PROGRESS_DUE = "progress_due", _("progress report due")
    FOLLOW_UP_DUE = "follow_up_due", _("follow-up deadline")
    PROBLEM_DUE = "problem_due", _("problem rectification deadline")
    PROBLEM_RECHECK = "problem_recheck", _("rectification waiting for re-check")
    INSPECTION_DUE = "inspection_due", _("maintenance inspection due")


# A county's rule for a kind when it has set none: (enabled, N days). For the due kinds N is how many days without a
# progress report make one due, or how many days before a deadline (or an inspection's due date) the reminder comes;
# the kinds sent when something happens (returned, waiting) take no N.
DEFAULT_RULES: dict[str, tuple[bool, int]] = {
    Kind.PROJECT_RETURNED: (True, 0),
    Kind.APPROVAL_WAITING: (True, 0),
    Kind.PROGRESS_DUE: (True, 30),
    Kind.FOLLOW_UP_DUE: (True, 3),
    Kind.PROBLEM_DUE: (True, 3),
    Kind.PROBLEM_RECHECK: (True, 0),
    Kind.INSPECTION_DUE: (True, 3),
}
EVENT_KINDS = frozenset({Kind.PROJECT_RETURNED, Kind.APPROVAL_WAITING, Kind.PROBLEM_RECHECK})
DAYS_MAX = 365


class Channel(models.TextChoices):
    INBOX = "inbox", _("inbox")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


# What a user receives when they have not chosen: every message in the inbox, by e-mail, not by SMS.
DEFAULT_CHANNELS: dict[str, bool] = {Channel.INBOX: True, Channel.EMAIL: True, Channel.SMS: False}
SENT_CHANNELS = (Channel.EMAIL, Channel.SMS)  # the channels a delivery task sends on (the inbox is the message)


class Message(models.Model):
    """One reminder to one user. ``event_key`` names the event it is about (``progress_due:<project>:<date>``): the
    unique (recipient, event_key) is what makes a reminder never come twice, whoever runs the rules how often."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=200, blank=True)
    event_key = models.CharField(_("event"), max_length=120)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"], name="message_once_per_event"),
            choices_check("kind", Kind.choices, "message_kind_valid"),
            models.CheckConstraint(condition=models.Q(url="") | models.Q(url__startswith="/"), name="message_url_local"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="message_recipient_read_idx"),
            models.Index(fields=["recipient", "-created_at", "-id"], name="message_recipient_order_idx"),
            models.Index(fields=["event_key"], name="message_event_idx"),
        ]

    def __str__(self):
        return self.subject


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("skipped")


class Delivery(models.Model):
    """One attempt to send a message on a channel (the delivery log): sent, failed (with the error; retried) or
    skipped (with the reason). A channel is sent at most once per message (a constraint)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("message"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=8, choices=DeliveryStatus.choices)
    address = models.CharField(_("address"), max_length=254, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempted_at = models.DateTimeField(_("attempted at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            choices_check("channel", Channel.choices, "delivery_channel_valid"),
            choices_check("status", DeliveryStatus.choices, "delivery_status_valid"),
            models.UniqueConstraint(fields=["message", "channel"], condition=models.Q(status="sent"),
                                    name="delivery_sent_once"),
        ]
        indexes = [models.Index(fields=["message", "channel"], name="delivery_message_channel_idx")]

    def __str__(self):
        return f"{self.message_id} · {self.channel} · {self.status}"


class ReminderRule(models.Model):
    """A county's rule for one kind of reminder: on or off, and its N (see DEFAULT_RULES). A county without a row
    for a kind has the default."""

    region = models.ForeignKey("villages.Region", on_delete=models.PROTECT, related_name="reminder_rules",
                               verbose_name=_("county"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    days = models.PositiveSmallIntegerField(_("days"))

    class Meta:
        ordering = ["region", "kind"]
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        constraints = [
            models.UniqueConstraint(fields=["region", "kind"], name="reminder_rule_unique"),
            choices_check("kind", Kind.choices, "reminder_rule_kind_valid"),
            models.CheckConstraint(condition=models.Q(days__gte=0, days__lte=DAYS_MAX), name="reminder_rule_days_range"),
        ]

    def __str__(self):
        return f"{self.region_id} · {self.kind}"


class Preference(models.Model):
    """A user's choice for one kind on one channel (DEFAULT_CHANNELS where they made none)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences",
                             verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"))

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="preference_unique"),
            choices_check("kind", Kind.choices, "preference_kind_valid"),
            choices_check("channel", Channel.choices, "preference_channel_valid"),
        ]

    def __str__(self):
        return f"{self.user_id} · {self.kind} · {self.channel}"
