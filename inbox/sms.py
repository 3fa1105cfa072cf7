"""Sending an SMS: the adapter interface and the adapter that ships (it only logs).

The portal calls no SMS provider itself. ``settings.SMS_ADAPTER`` names a class (a dotted path); the delivery task
builds one and calls ``send(phone, text)``, which returns the provider's id of the message (kept in the delivery
log) or raises on failure (the error is logged and the task tries again later). To plug a provider in, write a
class like ``LoggingAdapter`` in a module of your own deployment that calls the provider's API, and set
``SMS_ADAPTER=yourpackage.sms.ProviderAdapter``.
"""
import logging
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("qiancun.inbox.sms")


class SmsAdapter:
    """The interface: send ``text`` to ``phone`` and return the provider's id for it; raise on failure."""

    def send(self, phone: str, text: str) -> str:  # pragma: no cover - the interface
        raise NotImplementedError


class LoggingAdapter(SmsAdapter):
    """Writes the SMS to the log (logger ``qiancun.inbox.sms``) instead of sending it, and returns an id of its own."""

    def send(self, phone: str, text: str) -> str:
        message_id = f"log-{uuid.uuid4().hex[:16]}"
        logger.info("SMS to %s (%s): %s", phone, message_id, text)
        return message_id


def adapter() -> SmsAdapter:
    """The configured adapter (settings.SMS_ADAPTER)."""
    return import_string(settings.SMS_ADAPTER)()
