"""Reads of the reminders: a user's messages, deliveries and choices, the header's unread count."""
from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from core.scoping import is_unrestricted

from .models import DEFAULT_CHANNELS, DEFAULT_RULES, Channel, Delivery, Kind, Message, Preference, ReminderRule

UNREAD_TTL = 600  # seconds; the count is also dropped whenever the user's messages are created or read


def _unread_key(user_id) -> str:
    return f"inbox:unread:{user_id}"


def unread_count(user) -> int:
    """The user's unread messages, from the cache (filled at login and after each change), else one indexed count."""
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def forget_unread(user_ids) -> None:
    """Drop the cached counts of these users (their messages were created or read)."""
    cache.delete_many([_unread_key(user_id) for user_id in set(user_ids)])


def prime_unread_count(sender, request, user, **kwargs) -> None:
    """user_logged_in: count the unread messages now, so that the pages after the login take no query for it."""
    cache.delete(_unread_key(user.pk))
    unread_count(user)


def messages_of(user) -> QuerySet:
    """The user's own messages, newest first (everyone's inbox is their own: superusers included)."""
    return Message.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def deliveries_of(user) -> QuerySet:
    """The delivery log: the user's own deliveries; a superuser's, everyone's."""
    rows = Delivery.objects.select_related("message", "message__recipient").order_by("-attempted_at", "-id")
    return rows if is_unrestricted(user) else rows.filter(message__recipient_id=user.pk)


def channel_choices(user_ids) -> dict[tuple[int, str, str], bool]:
    """{(user id, kind, channel): enabled} of the choices these users made (one query)."""
    rows = Preference.objects.filter(user_id__in=list(set(user_ids))).values_list("user_id", "kind", "channel", "enabled")
    return {(user_id, kind, channel): enabled for user_id, kind, channel, enabled in rows}


def wants(choices: dict, user_id: int, kind: str, channel: str) -> bool:
    return choices.get((user_id, kind, channel), DEFAULT_CHANNELS[channel])


def preference_table(user) -> list[dict]:
    """Each kind with the user's choice on every channel (their own, else the default)."""
    choices = channel_choices([user.pk])
    return [{"kind": kind, "label": label,
             "channels": {channel: wants(choices, user.pk, kind, channel) for channel in Channel.values}}
            for kind, label in Kind.choices]


def county_rules(county_code: str) -> dict[str, tuple[bool, int, bool]]:
    """{kind: (enabled, days, the county's own)} for one county."""
    own = {kind: (enabled, days) for kind, enabled, days in
           ReminderRule.objects.filter(region_id=county_code).values_list("kind", "enabled", "days")}
    return {kind: (*own.get(kind, DEFAULT_RULES[kind]), kind in own) for kind in Kind.values}
