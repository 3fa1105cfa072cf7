"""Every periodic Celery task of the project, declared in one place.

Celery beat reads CELERY_BEAT_SCHEDULE from Django settings, which imports it
from here.
"""
from datetime import timedelta

from celery.schedules import crontab


def beat_schedule(*, sweep_seconds: int = 60) -> dict:
    """The schedule; settings passes REPORTS_SWEEP_SECONDS (drills run the sweeper every few seconds)."""
    schedule = dict(CELERY_BEAT_SCHEDULE)
    schedule["reports-sweep"] = {**schedule["reports-sweep"], "schedule": timedelta(seconds=sweep_seconds)}
    return schedule


CELERY_BEAT_SCHEDULE: dict = {
    # Maintenance: open the inspections falling due in the coming week, before the dashboards' nightly rebuild.
    "maintenance-open-due-inspections": {
        "task": "maintenance.open_due_inspections",
        "schedule": crontab(hour=0, minute=5),
    },
    # Dashboards: overdue and "no report in 30 days" depend on the date; rebuild after midnight. The same rebuild
    # refreshes the villages' status blocks (the bulk feed /api/v1/village-status/: overdue inspections and faults,
    # this year's inspections change with the calendar); a block that changed counts as a change for updated_since.
    "dashboard-refresh-all-stats": {
        "task": "dashboard.refresh_all_stats",
        "schedule": crontab(hour=0, minute=10),
    },
    # Dashboards: villages whose figures changed but whose refresh was not queued or not run (the outbox).
    "dashboard-sweep-village-changes": {
        "task": "dashboard.sweep_village_changes",
        "schedule": timedelta(seconds=60),
    },
    # Reminders (inbox): run the counties' rules every morning before office hours; a message is never sent twice.
    "inbox-run-reminders": {
        "task": "inbox.run_reminders",
        "schedule": crontab(hour=7, minute=30),  # Asia/Shanghai (CELERY_TIMEZONE follows TIME_ZONE)
    },
    # The API's Idempotency-Keys are kept IDEMPOTENCY_KEY_HOURS; forget older ones hourly.
    "core-purge-idempotency-keys": {
        "task": "core.purge_idempotency_keys",
        "schedule": crontab(minute=20),
    },
    # API tokens past their expiry (API_TOKEN_TTL_DAYS) are refused at once; delete their rows nightly.
    "core-purge-expired-tokens": {
        "task": "core.purge_expired_tokens",
        "schedule": crontab(hour=3, minute=10),
    },
    # Reports: last month's progress report of every county, on the 1st at 02:00.
    "reports-monthly-progress": {
        "task": "reports.schedule_monthly",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
    # Imports whose job was lost (broker down when uploaded or committed, worker killed): sent again.
    "imports-sweep": {
        "task": "imports.sweep",
        "schedule": timedelta(minutes=5),
    },
    # Reports whose task was lost (broker down when requested, worker killed): sent again.
    "reports-sweep": {
        "task": "reports.sweep",
        "schedule": timedelta(seconds=60),  # REPORTS_SWEEP_SECONDS
    },
    # Report files older than REPORTS_RETENTION_DAYS are deleted (the job rows stay).
    "reports-expire": {
        "task": "reports.expire",
        "schedule": crontab(hour=3, minute=30),
    },
}
