"""Writes of the reminders.

``reminders_run`` (beat, daily: inbox.tasks.run_reminders) runs every rule of inbox.rules and stores one message per
recipient and event; the unique (recipient, event_key) makes a second run store nothing. Each stored message is then
delivered on the channels its recipient chose by a task of its own (inbox.tasks.deliver, after the commit), which
logs every attempt (Delivery) and never sends a channel twice.
"""
from __future__ import annotations

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit, scoping
from core.exceptions import InvalidInput, NotPermitted
from core.models import AuditAction

from . import rules as rule_module
from . import selectors, sms
from .models import (
    DAYS_MAX,
    EVENT_KINDS,
    SENT_CHANNELS,
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Message,
    Preference,
    ReminderRule,
)

logger = logging.getLogger("qiancun.inbox")
BATCH = 500  # events per batch: one query for their recipients, one for their choices, one insert


def _batches(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def reminders_run(*, today: datetime.date | None = None, county_code: str | None = None) -> dict[str, int]:
    """Run every enabled rule (for one county, or all) and store the messages due; {kind: messages stored}.
    Idempotent: the messages of events already reminded of are not stored again (nor delivered again)."""
    today = today or timezone.localdate()
    counts: Counter = Counter()
    with translation.override(settings.LANGUAGE_CODE):
        for rule in rule_module.RULES:
            county_rules = rule_module.CountyRules(rule.kind, county_code)
            if not county_rules.any_enabled():
                continue
            area_q = rule_module.county_q(rule.kind, county_code)
            for events in _batches(rule.find(today, county_rules, area_q), BATCH):
                counts[rule.kind] += _store(rule, events)
    return {kind: counts.get(kind, 0) for kind in Kind.values}


def _store(rule, events) -> int:
    """Store the messages of a batch of events: their recipients in one query (through the gate), the ones already
    stored left out, the rest inserted; their deliveries are queued after the commit."""
    recipients = scoping.holders_by_area(rule.action, {event.area for event in events}, roles=rule.roles,
                                         own_region_only=rule.own_region_only)
    pairs = [(user_id, event) for event in events for user_id in sorted(recipients.get(event.area, ()))]
    if not pairs:
        return 0
    with transaction.atomic():
        existing = set(Message.objects.filter(event_key__in={event.event_key for _u, event in pairs})
                       .values_list("recipient_id", "event_key"))
        pairs = [(user_id, event) for user_id, event in pairs if (user_id, event.event_key) not in existing]
        if not pairs:
            return 0
        choices = selectors.channel_choices(user_id for user_id, _e in pairs)
        now = timezone.now()
        new = [
            Message(recipient_id=user_id, kind=rule.kind, subject=event.subject[:200], body=event.body, url=event.url,
                    event_key=event.event_key,
                    # The inbox turned off for this kind: kept (it is what makes the reminder come once) but read.
                    read_at=None if selectors.wants(choices, user_id, rule.kind, Channel.INBOX) else now)
            for user_id, event in pairs
        ]
        Message.objects.bulk_create(new, ignore_conflicts=True)
        stored = Message.objects.filter(event_key__in={m.event_key for m in new}, created_at__gte=now,
                                        recipient_id__in={m.recipient_id for m in new})
        wanted = {(m.recipient_id, m.event_key) for m in new}
        stored = [(pk, user_id) for pk, user_id, key in stored.values_list("pk", "recipient_id", "event_key")
                  if (user_id, key) in wanted]
        from .tasks import deliver

        for pk, user_id in stored:
            if any(selectors.wants(choices, user_id, rule.kind, channel) for channel in SENT_CHANNELS):
                deliver.delay_on_commit(pk)
        _forget_unread({user_id for _pk, user_id in stored})
    return len(stored)


def _forget_unread(user_ids) -> None:
    """Drop the cached unread counts now and once more after the commit (a page counting in between would cache
    the count from before it)."""
    user_ids = set(user_ids)
    selectors.forget_unread(user_ids)
    transaction.on_commit(lambda: selectors.forget_unread(user_ids))


# --- delivery ---------------------------------------------------------------------------------------------------

def _link(message: Message) -> str:
    return f"{settings.PORTAL_URL}{message.url}" if message.url else ""


def _send_email(message: Message, address: str) -> str:
    body = message.body + (f"\n\n{_link(message)}" if message.url else "")
    EmailMessage(subject=f"{settings.EMAIL_SUBJECT_PREFIX}{message.subject}", body=body,
                 from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send(fail_silently=False)
    return ""


def _send_sms(message: Message, phone: str) -> str:
    text = f"{settings.EMAIL_SUBJECT_PREFIX}{message.subject} {_link(message)}".strip()
    return str(sms.adapter().send(phone, text))[:100]


_SENDERS = {
    Channel.EMAIL: (_send_email, lambda user: user.email.strip(), lambda: _("no e-mail address")),
    Channel.SMS: (_send_sms, lambda user: user.phone.strip(), lambda: _("no phone")),
}


def message_deliver(*, message_id: int) -> list[str]:
    """Send a message on each channel its recipient chose that has not been sent (or skipped) yet; log every attempt.
    Returns the channels that failed (the task tries them again later). Safe to run twice at once: the message's
    row is locked while it is sent, and a channel sent is never sent again (a constraint)."""
    failed = []
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        message = (Message.objects.select_for_update(of=("self",)).select_related("recipient")
                   .filter(pk=message_id).first())
        if message is None:
            return []
        done = set(message.deliveries.filter(status__in=[DeliveryStatus.SENT, DeliveryStatus.SKIPPED])
                   .values_list("channel", flat=True))
        user = message.recipient
        choices = selectors.channel_choices([user.pk])
        for channel in SENT_CHANNELS:
            if channel in done or not selectors.wants(choices, user.pk, message.kind, channel):
                continue
            send, address_of, missing = _SENDERS[channel]
            address = address_of(user)
            if not user.is_active:
                Delivery.objects.create(message=message, channel=channel, status=DeliveryStatus.SKIPPED,
                                        error=_("account inactive"))
                continue
            if not address:
                Delivery.objects.create(message=message, channel=channel, status=DeliveryStatus.SKIPPED, error=missing())
                continue
            try:
                provider_id = send(message, address)
            except Exception as error:  # noqa: BLE001 - any failure of a backend is logged and tried again
                logger.warning("inbox: %s of message %s failed: %s", channel, message.pk, error)
                Delivery.objects.create(message=message, channel=channel, status=DeliveryStatus.FAILED, address=address,
                                        error=f"{type(error).__name__}: {error}"[:2000])
                failed.append(channel)
            else:
                Delivery.objects.create(message=message, channel=channel, status=DeliveryStatus.SENT, address=address,
                                        provider_id=provider_id)
    return failed


# --- the user's inbox ---------------------------------------------------------------------------------------------

def message_open(*, actor, message: Message) -> Message:
    """Mark one of the actor's messages read (opening it)."""
    with transaction.atomic():
        if message.recipient_id != actor.pk:
            raise NotPermitted("inbox.read")
        if message.read_at is None:
            Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())
            message.refresh_from_db(fields=["read_at"])
            _forget_unread([actor.pk])
    return message


def messages_mark_all_read(*, actor) -> int:
    """Mark every unread message of the actor read."""
    with transaction.atomic():
        count = Message.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
        _forget_unread([actor.pk])
    return count


@transaction.atomic
def preferences_set(*, actor, choices: dict[tuple[str, str], bool]) -> int:
    """The actor's own choices {(kind, channel): enabled}; one audit row per choice that changed. Returns how many."""
    for kind, channel in choices:
        if kind not in Kind.values or channel not in Channel.values:
            raise InvalidInput(_("Choose one of the listed values."))
    own = {(p.kind, p.channel): p for p in Preference.objects.select_for_update().filter(user_id=actor.pk)}
    current = selectors.channel_choices([actor.pk])
    changed = 0
    for (kind, channel), enabled in sorted(choices.items()):
        enabled = bool(enabled)
        if selectors.wants(current, actor.pk, kind, channel) == enabled and (kind, channel) not in own:
            continue  # the default already says so: no row
        row = own.get((kind, channel))
        if row is None:
            row = Preference.objects.create(user_id=actor.pk, kind=kind, channel=channel, enabled=enabled)
            audit.record_create(actor=actor, obj=row)
        elif row.enabled != enabled:
            before = audit.snapshot(row)
            row.enabled = enabled
            row.save(update_fields=["enabled"])
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=row, changes=audit.diff(before, audit.snapshot(row)))
        else:
            continue
        changed += 1
    return changed


def reminder_rule_set(*, actor, county, kind: str, enabled: bool, days=None) -> ReminderRule:
    """A county's rule for a kind of reminder: on or off, and its N (0–365 days; the event kinds take none)."""
    with transaction.atomic():
        scoping.require(actor, "reminder.configure", county)
        if len(county.code) != 6:
            raise InvalidInput(field_errors={"county": _("Reminder rules are set by a county.")})
        if kind not in Kind.values:
            raise InvalidInput(field_errors={"kind": _("Choose one of the listed values.")})
        if kind in EVENT_KINDS:
            days = 0
        else:
            try:
                days = int(days)
            except (TypeError, ValueError):
                days = -1
            if not 0 <= days <= DAYS_MAX:
                raise InvalidInput(field_errors={"days": _("Between 0 and %(max)s days.") % {"max": DAYS_MAX}})
        rule = ReminderRule.objects.select_for_update().filter(region=county, kind=kind).first()
        if rule is None:
            rule = ReminderRule.objects.create(region=county, kind=kind, enabled=bool(enabled), days=days)
            audit.record_create(actor=actor, obj=rule)
        elif (rule.enabled, rule.days) != (bool(enabled), days):
            before = audit.snapshot(rule)
            rule.enabled, rule.days = bool(enabled), days
            rule.save()
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=rule, changes=audit.diff(before, audit.snapshot(rule)))
        return rule
