"""Reads of report jobs, through the gate: a job is placed by its region, so a user sees (and downloads)
the reports of regions their roles cover, whoever asked for them."""
from django.db.models import QuerySet
from django.utils import timezone

from core.scoping import restrict

from .models import ReportJob


def job_list(*, user) -> QuerySet:
    return restrict(ReportJob.objects.select_related("region", "requester"), user)


def job_status(job: ReportJob) -> dict:
    """What the progress bar polls (the page and the API show the same fields)."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.progress,
        "error": job.error,
        "rows": job.rows,
        "attempts": job.attempts,
        "size": job.size,
        "downloadable": job.downloadable,
        "expired": job.expired_at is not None,
        "queued": job.dispatched_at is not None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "started_display": _local(job.started_at),
        "finished_display": _local(job.finished_at),
    }


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"
