"""Celery tasks of long-term maintenance. Idempotent: they recompute from the data, so a retry or a duplicate
delivery changes nothing."""
from celery import shared_task


@shared_task(name="maintenance.open_due_inspections")
def open_due_inspections(county_code: str | None = None) -> int:
    """Nightly (config/beat.py): open the inspections falling due in the coming week (services.inspections_open_due)."""
    from .services import inspections_open_due

    return inspections_open_due(county_code=county_code)
