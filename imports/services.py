"""Writes of imports. An upload is checked first (a dry run: nothing but the import itself is written); the user reads
what would happen, row by row, then commits: every row is written through the domain's own service (its permission
check, its audit row, its locks), all in one transaction, all or none. A file of ``LARGE_ROWS`` rows or more is
checked and committed by a Celery job (imports.tasks), which the page follows with the reports' progress bar."""
from __future__ import annotations

import datetime
import hashlib
import logging
import zipfile

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, scoping
from core.exceptions import DomainError, IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditAction

from . import reading
from .columns import CellError
from .kinds import kind_of
from .models import ImportBatch, ImportKind, ImportStatus
from .reading import MAX_BYTES, FileRefused, open_table

logger = logging.getLogger(__name__)


def _failed_message() -> str:
    return _("The import failed on our side (it has been logged) and nothing was written. Upload the file again later.")


LARGE_ROWS = 1000  # from this many rows a file is checked and committed by a job
MAX_ERRORS_KEPT = 2000  # the errors kept with an import (all are counted)
PREVIEW_ROWS = 200
PROGRESS_EVERY = 250  # rows between two progress updates


def progress_key(batch_id: int) -> str:
    return f"import:{batch_id}:progress"


def _set_progress(batch_id: int, percent: int) -> None:
    # In the cache, not the row: a commit's progress is inside its transaction, invisible to the page polling it.
    cache.set(progress_key(batch_id), max(0, min(int(percent), 100)), timeout=3600)


def progress_of(batch: ImportBatch) -> int:
    if batch.status in (ImportStatus.VALIDATING, ImportStatus.COMMITTING):
        return int(cache.get(progress_key(batch.pk)) or batch.progress)
    return 100 if batch.status in (ImportStatus.CHECKED, ImportStatus.COMMITTED, ImportStatus.REFUSED) else batch.progress


def _send(step: str, batch_id: int) -> bool:
    """Hand an import's job to the broker; False (logged) when it cannot be reached: the sweep sends it later."""
    from .tasks import check_import, commit_import

    task = check_import if step == "check" else commit_import
    try:
        task.apply_async((batch_id,), retry=False)
        return True
    except Exception:  # kombu's OperationalError and its kin: the broker is down
        logger.warning("import %s: the %s job could not be queued; the sweep will send it", batch_id, step, exc_info=True)
        return False


def _enqueue(step: str, batch_id: int) -> None:
    transaction.on_commit(lambda: _send(step, batch_id))


# An import waiting this long for its job is sent again (its job was lost: broker down, worker killed).
SWEEP_QUEUED_AFTER = datetime.timedelta(minutes=5)
SWEEP_RUNNING_AFTER = datetime.timedelta(minutes=30)


def import_sweep(*, now=None) -> int:
    """Send again the jobs of imports that wait too long: queued (never started), or checking or importing for half
    an hour (the worker died). Both jobs are idempotent: a second one for an import already done does nothing, and a
    commit waits for the one running (the import's row is locked) and then finds it done."""
    now = now or timezone.now()
    sent = 0
    queued = ImportBatch.objects.filter(status=ImportStatus.QUEUED, created_at__lt=now - SWEEP_QUEUED_AFTER)
    stuck = ImportBatch.objects.filter(status=ImportStatus.VALIDATING, created_at__lt=now - SWEEP_RUNNING_AFTER)
    for batch_id in [*queued.values_list("pk", flat=True), *stuck.values_list("pk", flat=True)]:
        sent += _send("check", batch_id)
    committing = ImportBatch.objects.filter(status=ImportStatus.COMMITTING, checked_at__lt=now - SWEEP_RUNNING_AFTER)
    for batch_id in committing.values_list("pk", flat=True):
        sent += _send("commit", batch_id)
    return sent


def estimated_rows(upload) -> int:
    """About how many rows the file holds, without reading it: a CSV's lines; a workbook's first sheet's dimension
    (``<dimension ref="A1:K10001">``, written by Excel, WPS, LibreOffice and openpyxl); unknown counts as large."""
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(upload) as archive:
                sheets = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
                with archive.open(sheets[0]) as stream:
                    start = stream.read(4096)
        except (zipfile.BadZipFile, IndexError, KeyError, OSError):
            return 0  # refused when read: quickly, inline
        finally:
            upload.seek(0)
        import re

        match = re.search(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', start)
        return int(match.group(1)) - 1 if match else LARGE_ROWS
    lines = 0
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        lines += chunk.count(b"\n")
    upload.seek(0)
    return lines


def import_upload(*, actor, kind: str, region, upload, params: dict | None = None) -> ImportBatch:
    """Keep the file and check it: inline for a small file, by a job for a large one."""
    if kind not in ImportKind.values:
        raise InvalidInput(field_errors={"kind": [_("Choose a kind of import.")]})
    spec = kind_of(kind)
    if not _may_import(actor, spec, region):
        raise NotPermitted(spec.permission)
    if upload is None or not getattr(upload, "size", 0):
        raise InvalidInput(field_errors={"file": [_("Choose a file (.xlsx or .csv).")]})
    if upload.size > MAX_BYTES:
        raise InvalidInput(field_errors={"file": [_("The file is %(size)s MB; at most %(max)s MB can be imported.")
                                                  % {"size": f"{upload.size / 1048576:.1f}", "max": MAX_BYTES // 1048576}]})
    params = spec.clean_params(user=actor, region=region, params=params or {})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    try:
        reading.precheck(upload)
        refusal = ""
    except FileRefused as refused:
        refusal = str(refused)
    large = not refusal and estimated_rows(upload) >= LARGE_ROWS
    stored = []
    try:
        with transaction.atomic():
            batch = ImportBatch(kind=kind, region=region, requester=actor, params=params, original_name=upload.name[:255],
                                size=upload.size, sha256=digest.hexdigest())
            batch.created_at = timezone.now()
            batch.file.save(f"{kind}-{batch.created_at:%Y%m%d%H%M%S}-{digest.hexdigest()[:8]}{_suffix(upload.name)}", upload, save=False)
            stored.append(batch.file.name)
            if refusal:  # refused at once (not a table, encrypted, damaged, a zip bomb): kept to say so
                batch.status, batch.refusal, batch.progress, batch.checked_at = ImportStatus.REFUSED, refusal, 100, timezone.now()
            batch.save()
            audit.record_create(actor=actor, obj=batch, note=upload.name[:200])
            if large:
                _enqueue("check", batch.pk)
    except BaseException:
        for name in stored:
            ImportBatch._meta.get_field("file").storage.delete(name)
        raise
    if not large and not refusal:
        run_check(batch.pk)
        batch.refresh_from_db()
    return batch


def _suffix(name: str) -> str:
    lowered = (name or "").lower()
    return ".csv" if lowered.endswith(".csv") else ".xlsx" if lowered.endswith(".xlsx") else ""


def available_kinds(*, user, areas) -> list:
    """The kinds the user may import for at least one of ``areas``."""
    from .kinds import all_kinds

    return [spec for spec in all_kinds() if any(may_import(user, spec, area) for area in areas)]


def may_import(actor, spec, region) -> bool:
    return _may_import(actor, spec, region)


def _may_import(actor, spec, region) -> bool:
    """The user may write this kind somewhere within ``region`` (each row is checked on its own area)."""
    if not scoping.can(actor, "view", region):
        return False
    return scoping.can(actor, spec.permission, region) or any(
        grant.code.startswith(region.code) and scoping.can(actor, spec.permission, grant.code) for grant in scoping.grants(actor)
    ) or spec.may_import(actor, region)


# --- the dry run --------------------------------------------------------------------------------------------------

def plan_rows(batch: ImportBatch, *, progress: bool = False):
    """Read the stored file and check every row: (table, plans, file-level errors). Raises FileRefused."""
    spec = kind_of(batch.kind)
    with batch.file.open("rb") as handle:
        table = open_table(handle, sheet_name=str(spec.sheet))
        mapping, missing, unknown = spec.header_map(table.headers, batch.params)
        if missing:
            raise FileRefused(_("Columns missing: %(columns)s. Use the template's header row (the first row).")
                              % {"columns": "、".join(missing)})
        plans = []
        for number, values in table.rows:
            if spec.is_example(number, values, mapping):
                continue
            plans.append(spec.parse(number, values, mapping))
            if progress and len(plans) % PROGRESS_EVERY == 0:
                _set_progress(batch.pk, min(60, 5 + len(plans) // 200))
    notices = list(table.notices)
    if unknown:
        notices.append(_("Columns not read: %(columns)s.") % {"columns": "、".join(unknown)})
    spec.check(user=batch.requester, region=batch.region, plans=plans, params=batch.params)
    return table, plans, notices


def _errors(plans) -> list[dict]:
    return [{"row": p.row, "column": column, "message": message} for p in plans for column, message in p.errors]


def run_check(batch_id: int) -> None:
    """The dry run of an import (inline, or the job's body): idempotent, a checked import is left as it is."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).select_related("requester", "region").get(pk=batch_id)
        if batch.status not in (ImportStatus.QUEUED, ImportStatus.VALIDATING):
            return
        batch.status = ImportStatus.VALIDATING
        batch.save(update_fields=["status"])
    _set_progress(batch_id, 5)
    try:
        table, plans, notices = plan_rows(batch, progress=True)
    except FileRefused as refused:
        ImportBatch.objects.filter(pk=batch_id).update(status=ImportStatus.REFUSED, refusal=str(refused), progress=100,
                                                       checked_at=timezone.now())
        return
    except Exception:  # an error of ours: logged; the import says so instead of staying "checking" for ever
        logger.exception("import %s: the check failed", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(status=ImportStatus.FAILED, refusal=_failed_message(), progress=100)
        return
    errors = _errors(plans)
    actions = [p.action for p in plans]
    ImportBatch.objects.filter(pk=batch_id).update(
        status=ImportStatus.CHECKED, progress=100, checked_at=timezone.now(), format=table.format, encoding=table.encoding,
        rows=len(plans), to_create=actions.count("create"), to_update=actions.count("update"),
        unchanged=actions.count("unchanged"), error_count=len(errors), errors=errors[:MAX_ERRORS_KEPT], notices=notices,
        preview=[{"row": p.row, "action": p.action or "error", "key": p.key, "summary": p.summary,
                  "changes": sorted(p.changes)} for p in plans[:PREVIEW_ROWS]],
    )


# --- the commit ---------------------------------------------------------------------------------------------------

def import_commit(*, actor, batch: ImportBatch) -> ImportBatch:
    """Write a checked import with no error: by the user who uploaded it, inline for a small file, by a job for a
    large one (the page follows it)."""
    with transaction.atomic():
        current = ImportBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
        if current.requester_id != getattr(actor, "pk", None):
            raise NotPermitted(kind_of(current.kind).permission)
        if not current.ready:
            raise IllegalTransition(_("Only a checked import with no error and something to write can be imported; "
                                      "this one is %(status)s.") % {"status": current.get_status_display()})
        current.status = ImportStatus.COMMITTING
        current.save(update_fields=["status"])
        large = current.rows >= LARGE_ROWS
        if large:
            _enqueue("commit", current.pk)
    if not large:
        run_commit(current.pk)
    current.refresh_from_db()
    return current


def run_commit(batch_id: int) -> None:
    """The commit of an import (inline, or the job's body): every row through its service, in one transaction; the
    rows are checked again first (the database may have changed since the dry run). Idempotent: an import that is not
    being committed is left as it is."""
    batch = ImportBatch.objects.select_related("requester", "region").get(pk=batch_id)
    if batch.status != ImportStatus.COMMITTING:
        return
    spec = kind_of(batch.kind)
    _set_progress(batch_id, 1)
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update(of=("self",)).select_related("requester", "region").get(pk=batch_id)
            if batch.status != ImportStatus.COMMITTING:
                return
            _table, plans, _notices = plan_rows(batch)
            errors = _errors(plans)
            if errors:
                raise _Refused(errors)
            writes = [p for p in plans if p.action in ("create", "update")]
            for done, plan in enumerate(writes, 1):
                try:
                    spec.write(actor=batch.requester, plan=plan, params=batch.params)
                except (InvalidInput, IllegalTransition) as refused:
                    raise _Refused([{"row": plan.row, "column": _column_of(spec, field, batch.params), "message": message}
                                    for field, message in _messages(refused)]) from None
                if done % PROGRESS_EVERY == 0:
                    _set_progress(batch_id, 5 + 90 * done // len(writes))
            before = audit.snapshot(batch)
            batch.status, batch.committed_at = ImportStatus.COMMITTED, timezone.now()
            batch.created = sum(1 for p in writes if p.action == "create")
            batch.updated = sum(1 for p in writes if p.action == "update")
            batch.save()
            audit.record(actor=batch.requester, action=AuditAction.TRANSITION, obj=batch,
                         changes=audit.diff(before, audit.snapshot(batch)),
                         note=_("%(created)d created, %(updated)d updated") % {"created": batch.created, "updated": batch.updated})
    except _Refused as refused:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.CHECKED, error_count=len(refused.errors), errors=refused.errors[:MAX_ERRORS_KEPT],
            checked_at=timezone.now())
    except FileRefused as refused:
        ImportBatch.objects.filter(pk=batch_id).update(status=ImportStatus.REFUSED, refusal=str(refused))
    except DomainError as error:  # a refusal of permission on a row: nothing written, said on the import
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.CHECKED, error_count=1, errors=[{"row": 0, "column": "", "message": str(error.message)}])
    except Exception:  # an error of ours: logged; nothing was written (the transaction rolled back)
        logger.exception("import %s: the commit failed", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(status=ImportStatus.FAILED, refusal=_failed_message())


class _Refused(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def _messages(error: DomainError):
    if not error.field_errors:
        yield "", str(error.message)
    for field, messages in error.field_errors.items():
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            yield field, str(message)


def _column_of(spec, field: str, params: dict) -> str:
    return next((str(c.header) for c in spec.get_columns(params) if c.key == field), field)


__all__ = ["CellError", "FileRefused", "import_commit", "import_upload", "plan_rows", "run_check", "run_commit"]
