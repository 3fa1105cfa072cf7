from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """A no-op task: proves a worker is consuming from the broker."""
    return "pong"


@shared_task(name="core.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget API Idempotency-Keys older than IDEMPOTENCY_KEY_HOURS (idempotent itself)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from .models import IdempotencyKey

    horizon = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=horizon).delete()
    return deleted


@shared_task(name="core.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Delete API tokens past their expiry (they are refused already; this keeps the table small)."""
    from .services import tokens_purge_expired

    return tokens_purge_expired()
