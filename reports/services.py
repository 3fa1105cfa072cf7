"""Writes of the reports app: requesting, running, scheduling, expiring and sweeping report jobs.

The run protocol (``report_run``) makes a job complete exactly once however
often its task is delivered (a retry, a redelivery after a worker was killed,
a sweep):

1. *claim*: under a row lock, a run takes the job unless it is finished or is
   held by another run whose heartbeat is fresh; it gets a new ``run_token``;
2. *write*: the file is written to a temporary name (``reports/tmp/<job>-<token>.part``),
   with progress and heartbeat saved only while the run still holds the token;
3. *finish*: under the row lock, if the run still holds the token, the temporary
   file is renamed to its final name (an atomic rename on the same file system)
   and the job marked succeeded, with its audit row, in one transaction.

A run that lost its token (another run took over) deletes its temporary file:
no second file, never a half-written one.
"""
from __future__ import annotations

import datetime
import logging
import os
import re
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit, scoping
from core.exceptions import Conflict, InvalidInput, NotPermitted
from core.models import AuditAction
from core.replica import replica_reads
from core.workbook import TooManyRows
from villages.models import Region, RegionLevel

from .kinds import BUILDERS, ReportUnavailable
from .kinds.ledger import clean_ledger_params
from .models import FORMATS, NATION, PERIOD_PATTERNS, ReportJob, ReportKind, ReportStatus
from .selectors import latest_ranking_period

logger = logging.getLogger(__name__)

# Errors worth another attempt (the database or the disk was briefly unavailable).
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class TooManyReports(Conflict):
    code = "too_many_reports"


class Superseded(Exception):
    """This run no longer holds the job: another delivery of the task took it over."""


# --- Requesting ----------------------------------------------------------------------------------

def _period(kind: str, period: str, region: Region, today: datetime.date) -> str:
    period = (period or "").strip()
    if kind == ReportKind.PROGRESS:
        period = period or today.strftime("%Y-%m")
        if not re.fullmatch(PERIOD_PATTERNS[kind], period):
            raise InvalidInput(field_errors={"period": _("Give a month as YYYY-MM, such as 2025-06.")})
        if period > today.strftime("%Y-%m") or period < "2003-01":
            raise InvalidInput(field_errors={"period": _("Choose a month between 2003-01 and this month.")})
    elif kind == ReportKind.FUNDING:
        if period and (not re.fullmatch(r"[0-9]{4}", period) or not 2003 <= int(period) <= today.year + 1):
            raise InvalidInput(field_errors={"period": _("Give a fiscal year such as 2025, or leave it empty for every year.")})
    elif kind == ReportKind.MAINTENANCE:
        period = period or str(today.year)
        if not re.fullmatch(PERIOD_PATTERNS[kind], period) or not 2003 <= int(period) <= today.year:
            raise InvalidInput(field_errors={"period": _("Give a year such as 2025, up to this year.")})
    elif kind == ReportKind.TARGETS:
        period = period or str(today.year)
        if not re.fullmatch(PERIOD_PATTERNS[kind], period) or not 2003 <= int(period) <= today.year + 1:
            raise InvalidInput(field_errors={"period": _("Give a year such as 2025, up to next year.")})
    elif kind == ReportKind.RANKING:
        period = period or latest_ranking_period(region.code) or ""
        if not period:
            raise InvalidInput(field_errors={"period": _("No annual assessment has been finalised below this region yet.")})
        if not re.fullmatch(PERIOD_PATTERNS[kind], period):
            raise InvalidInput(field_errors={"period": _("Give an assessment period such as 2025, 2025-H1 or 2025-Q3.")})
    elif period:
        raise InvalidInput(field_errors={"period": _("This report has no period: leave it empty.")})
    return period


def _permission(kind: str) -> str:
    return "report.request_ledger" if kind == ReportKind.LEDGER else "report.request"


def report_request(
    *, actor, kind: str, region_code: str, format: str = "", period: str = "", language: str = "", params: dict | None = None,
) -> ReportJob:
    """Ask for a report of ``kind`` about a region in the actor's area. The job is queued once the request commits.
    ``params``: the ledger pages' filters of a ledger report (nothing else takes any)."""
    if kind not in ReportKind.values:
        if not scoping.can_anywhere(actor, "report.request") and not scoping.can_anywhere(actor, "report.request_ledger"):
            raise NotPermitted("report.request")
        raise InvalidInput(field_errors={"kind": _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(ReportKind.values)}})
    permission = _permission(kind)
    if not scoping.can_anywhere(actor, permission):
        raise NotPermitted(permission)
    format = format or FORMATS[kind][0]
    if format not in FORMATS[kind]:
        raise InvalidInput(field_errors={"format": _("This report comes as: %(formats)s.") % {"formats": ", ".join(FORMATS[kind])}})
    if region_code == NATION:  # the whole nation: a roster, for a whole-country scope (no role is held above a province)
        if kind != ReportKind.ROSTER or not scoping.is_unrestricted(actor):
            raise InvalidInput(field_errors={"region": _("The whole nation: a roster only, for a whole-country scope.")})
        region = None
    else:
        region = Region.objects.filter(code=region_code or "").first()
        if region is None or not scoping.can(actor, permission, region):
            raise InvalidInput(field_errors={"region": _("Unknown, or outside your area.")})
    period = _period(kind, period, region, timezone.localdate())
    if kind == ReportKind.LEDGER:
        params = clean_ledger_params(params or {}, region.code)
    elif params:
        raise InvalidInput(field_errors={"params": _("Only the ledger report takes filters.")})
    limit = settings.REPORTS_MAX_ACTIVE_PER_USER
    with transaction.atomic():
        # The check and the insert are one step: the requester's row is locked first, so a user's concurrent
        # requests queue here one after another and each counts the jobs the previous ones inserted.
        get_user_model().objects.select_for_update(of=("self",)).filter(pk=actor.pk).exists()
        active = ReportJob.objects.filter(requester=actor, status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING)).count()
        if active >= limit:
            raise TooManyReports(_("You already have %(n)d reports waiting or running; wait for them to finish.") % {"n": active})
        job = ReportJob.objects.create(
            kind=kind, format=format, region=region, period=period, requester=actor, params=params or {},
            language=language or translation.get_language() or settings.LANGUAGE_CODE,
        )
        audit.record_create(actor=actor, obj=job)
        transaction.on_commit(lambda: report_dispatch(job.pk))
    return job


# --- Dispatching ---------------------------------------------------------------------------------

def report_dispatch(job_id: int) -> bool:
    """Put the job's task on the broker (called once the job is committed). A broker that cannot be reached
    within a second or two is not an error for the caller: the job stays queued, undispatched, and the sweeper
    sends it when the broker is back. Returns whether the task was sent."""
    from .tasks import generate

    try:
        generate.apply_async((job_id,), retry=True, retry_policy=settings.REPORTS_PUBLISH_RETRY)
    except Exception:  # noqa: BLE001 - kombu/redis raise many types; the job is safe in the database either way
        logger.warning("reports: could not queue job %s; the sweeper will send it when the broker is back", job_id, exc_info=True)
        return False
    ReportJob.objects.filter(pk=job_id, status=ReportStatus.QUEUED).update(dispatched_at=timezone.now())
    return True


# --- Running -------------------------------------------------------------------------------------

def _claim(job_id: int, task_id: str) -> tuple[ReportJob, str] | None:
    now = timezone.now()
    fresh = now - datetime.timedelta(seconds=settings.REPORTS_STALE_SECONDS)
    with transaction.atomic():
        job = ReportJob.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.is_done:
            return None
        held_elsewhere = (
            job.status == ReportStatus.RUNNING and job.run_token and job.task_id != task_id
            and job.heartbeat_at is not None and job.heartbeat_at > fresh
        )
        if held_elsewhere:
            logger.info("reports: job %s is being generated by task %s; delivery %s leaves it", job_id, job.task_id, task_id)
            return None
        token = uuid.uuid4().hex
        job.status, job.run_token, job.task_id = ReportStatus.RUNNING, token, task_id[:64]
        job.attempts += 1
        job.started_at = job.heartbeat_at = now
        job.progress, job.error = 0, ""
        job.save(update_fields=["status", "run_token", "task_id", "attempts", "started_at", "heartbeat_at", "progress", "error"])
    job.region  # noqa: B018 - load the region once, outside the lock
    return job, token


def _checkpoint(job_id: int, token: str, progress: int) -> None:
    delay = settings.REPORTS_CHECKPOINT_DELAY
    if delay:
        time.sleep(delay)  # failure drills only: makes a run last long enough to be interrupted
    held = ReportJob.objects.filter(pk=job_id, run_token=token, status=ReportStatus.RUNNING).update(
        progress=progress, heartbeat_at=timezone.now()
    )
    if not held:
        raise Superseded


def _media(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def temp_name(job: ReportJob, token: str) -> str:
    return f"reports/tmp/{job.pk}-{token}.part"


def final_name(job: ReportJob) -> str:
    created = timezone.localtime(job.created_at)
    period = f"-{job.period}" if job.period else ""
    return f"reports/{created:%Y/%m}/{job.pk}-{job.kind}-{job.region_id or NATION}{period}.{job.format}"


def _finish(job: ReportJob, token: str, temp: Path, rows: int) -> ReportJob | None:
    name = final_name(job)
    with transaction.atomic():
        current = ReportJob.objects.select_for_update(of=("self",)).filter(pk=job.pk, run_token=token, status=ReportStatus.RUNNING).first()
        if current is None:
            raise Superseded
        target = _media(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)  # atomic: the final name holds a whole file or nothing
        now = timezone.now()
        current.status, current.progress, current.file, current.size, current.rows = (
            ReportStatus.SUCCEEDED, 100, name, target.stat().st_size, rows
        )
        current.finished_at, current.heartbeat_at, current.run_token = now, now, ""
        current.save(update_fields=["status", "progress", "file", "size", "rows", "finished_at", "heartbeat_at", "run_token"])
        audit.record(actor=None, action=AuditAction.TRANSITION, obj=current,
                     changes={"status": [ReportStatus.RUNNING, ReportStatus.SUCCEEDED]},
                     note=f"{rows} rows, {current.size} bytes, attempt {current.attempts}")
    return current


def _fail(job: ReportJob, token: str, message: str) -> ReportJob | None:
    with transaction.atomic():
        current = ReportJob.objects.select_for_update(of=("self",)).filter(pk=job.pk, run_token=token, status=ReportStatus.RUNNING).first()
        if current is None:
            return None
        current.status, current.error = ReportStatus.FAILED, message[:4000] or _("The report failed.")
        current.finished_at, current.run_token = timezone.now(), ""
        current.save(update_fields=["status", "error", "finished_at", "run_token"])
        audit.record(actor=None, action=AuditAction.TRANSITION, obj=current,
                     changes={"status": [ReportStatus.RUNNING, ReportStatus.FAILED]}, note=current.error[:500])
    return current


def _release(job: ReportJob, token: str) -> None:
    """Give the job up before a retry, so that the retry (or the sweeper) may take it at once."""
    try:
        ReportJob.objects.filter(pk=job.pk, run_token=token).update(run_token="", heartbeat_at=None)
    except DatabaseError:
        logger.warning("reports: could not release job %s; it is taken over once its heartbeat is stale", job.pk)


def report_run(*, job_id: int, task_id: str = "", can_retry: bool = False) -> ReportJob | None:
    """Generate the job's file (the task's one service). Returns the job, or None when there is nothing to do."""
    from celery.exceptions import SoftTimeLimitExceeded

    claim = _claim(job_id, task_id)
    if claim is None:
        return ReportJob.objects.filter(pk=job_id).first()
    job, token = claim
    temp = _media(temp_name(job, token))
    temp.parent.mkdir(parents=True, exist_ok=True)
    plan, build = BUILDERS[(job.kind, job.format)]
    try:
        # The report's data may come from the read replica (core/replica.py: within the lag bound, and the primary
        # when it lags or is down); the job's own rows (claim, progress, result) are written to the primary.
        with translation.override(job.language or settings.LANGUAGE_CODE), replica_reads():
            expected = max(plan(job).rows, 1)
            done = 0
            last = {"progress": -1, "at": 0.0}

            def tick(rows: int) -> None:
                nonlocal done
                done += rows
                progress = min(99, done * 100 // expected)
                if progress != last["progress"] or time.monotonic() - last["at"] > 5:
                    _checkpoint(job.pk, token, progress)
                    last.update(progress=progress, at=time.monotonic())

            tick(0)
            rows = build(job, temp, tick)
            return _finish(job, token, temp, rows)
    except Superseded:
        logger.info("reports: job %s was taken over by another run; this run's file is discarded", job.pk)
        return ReportJob.objects.filter(pk=job_id).first()
    except SoftTimeLimitExceeded:
        return _fail(job, token, _("The report took longer than %(s)d seconds and was stopped; ask for a smaller region.")
                     % {"s": settings.REPORTS_SOFT_TIME_LIMIT})
    except TRANSIENT_ERRORS as error:
        if can_retry:
            _release(job, token)
            raise
        return _fail(job, token, _("The report failed after several attempts: %(error)s") % {"error": error})
    except (ReportUnavailable, TooManyRows) as error:  # a missing library, a sheet beyond a workbook's rows
        return _fail(job, token, str(error))
    except Exception as error:
        logger.exception("reports: job %s failed", job.pk)
        return _fail(job, token, _("The report failed: %(error)s") % {"error": f"{type(error).__name__}: {error}"})
    finally:
        temp.unlink(missing_ok=True)


# --- Scheduling, sweeping, expiring ---------------------------------------------------------------

def previous_month(today: datetime.date) -> str:
    first = today.replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def report_schedule_monthly(*, period: str = "", today: datetime.date | None = None) -> list[int]:
    """The monthly progress report of every county (for last month by default). Idempotent: a county
    has one scheduled job per month however often this runs; returns the jobs created now."""
    today = today or timezone.localdate()
    period = period or previous_month(today)
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").values_list("code", flat=True))
    with transaction.atomic():
        existing = set(ReportJob.objects.filter(scheduled=True, kind=ReportKind.PROGRESS, period=period)
                       .values_list("region_id", flat=True))
        jobs = [ReportJob(kind=ReportKind.PROGRESS, format=FORMATS[ReportKind.PROGRESS][0], region_id=code, period=period,
                          scheduled=True, language=settings.LANGUAGE_CODE) for code in counties if code not in existing]
        ReportJob.objects.bulk_create(jobs, batch_size=1000, ignore_conflicts=True)
        created = list(ReportJob.objects.filter(scheduled=True, kind=ReportKind.PROGRESS, period=period,
                                                region_id__in=[j.region_id for j in jobs]).order_by("pk"))
        for job in created:
            audit.record_create(actor=None, obj=job, note=_("monthly schedule"))
        ids = [job.pk for job in created]
        transaction.on_commit(lambda: [report_dispatch(pk) for pk in ids])
    return ids


def report_sweep(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Send again the jobs whose task was lost: never queued (the broker was down), queued long ago and never
    started (the broker lost it), or running with a stale heartbeat (the worker died). Safe to run at any time:
    a job's run protocol lets only one delivery complete it."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.REPORTS_STALE_SECONDS)
    requeue = now - datetime.timedelta(seconds=settings.REPORTS_REQUEUE_SECONDS)
    settle = now - datetime.timedelta(seconds=settings.REPORTS_DISPATCH_GRACE_SECONDS)  # the request's own dispatch first
    lost = (
        Q(status=ReportStatus.QUEUED, dispatched_at__isnull=True, created_at__lt=settle)
        | Q(status=ReportStatus.QUEUED, dispatched_at__lt=requeue)
        | Q(status=ReportStatus.RUNNING, heartbeat_at__lt=stale)
        | Q(status=ReportStatus.RUNNING, heartbeat_at__isnull=True, started_at__lt=stale)
    )
    ids = list(ReportJob.objects.filter(lost).order_by("pk").values_list("pk", flat=True)[:limit])
    return [pk for pk in ids if report_dispatch(pk)]


def report_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of reports finished more than REPORTS_RETENTION_DAYS ago (the job rows stay, marked
    expired) and temporary files left by killed runs. Returns the number of files expired."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.REPORTS_RETENTION_DAYS)
    expired = 0
    old = ReportJob.objects.filter(finished_at__lt=cutoff, expired_at__isnull=True).exclude(file="")
    batch: list[int] = []
    for pk, name in old.values_list("pk", "file").iterator(chunk_size=500):
        _media(name).unlink(missing_ok=True)
        batch.append(pk)
        if len(batch) == 500:
            expired += ReportJob.objects.filter(pk__in=batch, expired_at__isnull=True).update(file="", expired_at=now)
            batch.clear()
    if batch:
        expired += ReportJob.objects.filter(pk__in=batch, expired_at__isnull=True).update(file="", expired_at=now)
    temp_dir = _media("reports/tmp")
    if temp_dir.is_dir():
        for leftover in temp_dir.glob("*.part"):
            if leftover.stat().st_mtime < (now - datetime.timedelta(days=1)).timestamp():
                leftover.unlink(missing_ok=True)
    return expired
