"""Celery tasks of the reminders: the daily run (config/beat.py) and the delivery of one message."""
from celery import shared_task
from django.conf import settings


@shared_task(name="inbox.run_reminders")
def run_reminders(county_code: str | None = None) -> dict:
    """Daily (config/beat.py): run the reminder rules (services.reminders_run)."""
    from .services import reminders_run

    return reminders_run(county_code=county_code)


@shared_task(bind=True, name="inbox.deliver", acks_late=True, max_retries=settings.INBOX_DELIVERY_RETRIES)
def deliver(self, message_id: int) -> list[str]:
    """Send one message by e-mail and SMS as its recipient chose. Idempotent (a channel sent is not sent again);
    a channel that failed (logged in Delivery) is tried again after 1, 2, 4, 8… minutes, at most
    INBOX_DELIVERY_RETRIES times."""
    from .services import message_deliver

    failed = message_deliver(message_id=message_id)
    if failed and self.request.retries < self.max_retries:
        if self.request.is_eager:
            # No broker (development, tests): the tries follow at once, without the wait.
            return deliver.apply(args=(message_id,), retries=self.request.retries + 1).result
        raise self.retry(countdown=60 * 2 ** self.request.retries)
    return failed
