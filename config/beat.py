"""Every periodic Celery task of the project, declared in one place.

Celery beat reads CELERY_BEAT_SCHEDULE from Django settings, which imports it
from here. Later issues add the monthly reports and file expiry.
"""
from celery.schedules import crontab

CELERY_BEAT_SCHEDULE: dict = {
    # Dashboards: overdue and "no report in 30 days" depend on the date; rebuild after midnight.
    "dashboard-refresh-all-stats": {
        "task": "dashboard.refresh_all_stats",
        "schedule": crontab(hour=0, minute=10),
    },
    # The API's Idempotency-Keys are kept IDEMPOTENCY_KEY_HOURS; forget older ones hourly.
    "core-purge-idempotency-keys": {
        "task": "core.purge_idempotency_keys",
        "schedule": crontab(minute=20),
    },
}
