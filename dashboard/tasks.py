"""Celery tasks keeping the dashboard's summary tables current. Both are idempotent:
they recompute from the data, so a retry or a duplicate delivery changes nothing."""
from celery import shared_task

from villages.models import Village


@shared_task(name="dashboard.refresh_village_stats", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def refresh_village_stats(village_code: str) -> int:
    from .stats import rebuild

    if not Village.objects.filter(code=village_code).exists():
        return 0
    return rebuild(village_code)


@shared_task(name="dashboard.refresh_all_stats")
def refresh_all_stats() -> int:
    """Nightly: every village (the overdue and no-report figures depend on the date)."""
    from .stats import rebuild

    return rebuild("")
