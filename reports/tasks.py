"""Celery tasks of the reports app. Each takes ids or nothing, re-reads the database and calls one service.

``reports.generate`` is safe to deliver more than once (see reports.services.report_run): it acknowledges
late, is rejected back to the queue when its worker dies (acks_late + reject_on_worker_lost, set for every
task in settings), retries database hiccups with exponential backoff, and stops at a soft time limit.
"""
from celery import shared_task
from django.conf import settings

from . import services


@shared_task(
    bind=True,
    name="reports.generate",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=services.TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=settings.REPORTS_SOFT_TIME_LIMIT,
    time_limit=settings.REPORTS_SOFT_TIME_LIMIT + 60,
)
def generate(self, job_id: int) -> str | None:
    job = services.report_run(job_id=job_id, task_id=self.request.id or "", can_retry=self.request.retries < self.max_retries)
    return job.status if job else None


@shared_task(name="reports.schedule_monthly")
def schedule_monthly() -> int:
    """Beat, on the 1st: last month's progress report of every county."""
    return len(services.report_schedule_monthly())


@shared_task(name="reports.sweep")
def sweep() -> int:
    """Beat, every minute: send again the jobs whose task was lost (broker down, worker killed)."""
    return len(services.report_sweep())


@shared_task(name="reports.expire")
def expire() -> int:
    """Beat, daily: delete report files older than REPORTS_RETENTION_DAYS."""
    return services.report_expire()
