"""Celery tasks keeping the dashboard's summary tables current. All are idempotent: they recompute from the
data (and the outbox, core.models.VillageChange), so a retry or a duplicate delivery changes nothing."""
from celery import shared_task


@shared_task(name="dashboard.refresh_village_stats", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def refresh_village_stats(village_code: str) -> int:
    """After a write's commit: rebuild the village if the outbox still names it (else a sweep did already)."""
    from .stats import drain

    return drain([village_code])


@shared_task(name="dashboard.sweep_village_changes")
def sweep_village_changes() -> int:
    """Every minute: rebuild the villages whose refresh was never queued or never ran (broker down, worker lost)."""
    from .stats import drain

    return drain()


@shared_task(name="dashboard.refresh_all_stats")
def refresh_all_stats() -> int:
    """Nightly: every village (the overdue and no-report figures depend on the date), a county at a time, with the
    villages' status blocks (the bulk feed's snapshots; rewritten only where a block changed)."""
    from .stats import rebuild_all

    return rebuild_all()
