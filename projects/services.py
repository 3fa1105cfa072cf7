"""Writes of projects and progress reports.

Every function here checks the actor's right through the access gate
(core.scoping), runs in one transaction, locks the row it changes, and writes
its audit row and (for status changes) its timeline entry in that same
transaction.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, scoping
from core.changes import village_changed
from core.exceptions import IllegalTransition, InvalidInput, StaleVersion
from core.models import AuditAction, AuditEntry

from . import photos as photo_processing
from .models import (
    LIFECYCLE_ACTIONS,
    REPORTABLE_STATUSES,
    LifecycleAction,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectStatus,
    ProjectTransition,
)
from .rules import approval_problems
from .signals import project_accepted

S = ProjectStatus

# Fields a township official fills in; which of them may change depends on the status.
CONTENT_FIELDS = (
    "type", "name", "reference", "description", "budget", "planned_output", "planned_start", "planned_end", "responsible_person",
    "responsible_phone",
)
ALWAYS_EDITABLE = ("description", "responsible_person", "responsible_phone")
EDITABLE_STATUSES = (S.DRAFT, S.RETURNED)
CLOSED_STATUSES = (S.ACCEPTED, S.CANCELLED)


def available_actions(user, project: Project) -> list[LifecycleAction]:
    """The lifecycle actions this user may take on the project now."""
    return [
        action
        for action in LIFECYCLE_ACTIONS.values()
        if project.status in action.sources and scoping.can(user, action.permission, project)
    ]


def progress_unavailable_reason(project: Project) -> str:
    """Why no progress report can be added to the project now ("" when one can): shown instead of the button."""
    if project.status in REPORTABLE_STATUSES:
        return ""
    if project.status in (S.DRAFT, S.SUBMITTED, S.RETURNED):
        return _("Progress can be reported once the county has approved the project.")
    return _("This project is %(status)s: no more progress can be reported.") % {"status": project.get_status_display()}


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update(of=("self",)).get(pk=project.pk)


def _check_dates(data: dict) -> None:
    start, end = data.get("planned_start"), data.get("planned_end")
    if start and end and end < start:
        raise InvalidInput(field_errors={"planned_end": _("The planned end must not be before the planned start.")})
    budget = data.get("budget")
    if budget is not None and Decimal(budget) < 0:
        raise InvalidInput(field_errors={"budget": _("The budget must not be negative.")})
    output = data.get("planned_output")
    if output is not None and Decimal(output) < 0:
        raise InvalidInput(field_errors={"planned_output": _("The planned output must not be negative.")})


def _output(value) -> Decimal | None:
    """An output quantity: a non-negative number with at most two decimals, or None when missing or not one."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    if not number.is_finite() or number < 0 or number != number.quantize(Decimal("0.01")) or number >= Decimal("1e10"):
        return None
    return number


def project_create(*, actor, village, data: dict) -> Project:
    with transaction.atomic():
        scoping.require(actor, "project.create", village)
        unknown = set(data) - set(CONTENT_FIELDS)
        if unknown:
            raise InvalidInput(field_errors={field: _("This field cannot be set here.") for field in unknown})
        _check_dates(data)
        project = Project.objects.create(village=village, status=S.DRAFT, created_by=actor, updated_by=actor, **data)
        ProjectTransition.objects.create(project=project, from_status="", to_status=S.DRAFT, actor=actor, at=timezone.now())
        audit.record_create(actor=actor, obj=project)
        village_changed(project.village_id)
        return project


def changes_since(project: Project, version: int) -> list[AuditEntry]:
    """Audit rows of the changes made to the project after ``version``."""
    entries = []
    for entry in audit.history(project):
        before_after = entry.changes.get("version")
        if before_after and before_after[0] is not None and before_after[0] >= version:
            entries.append(entry)
    return entries


def project_update(*, actor, project: Project, data: dict, expected_version: int) -> Project:
    """Change a project's content. ``expected_version`` is the version the
    editor started from: if someone saved in between, StaleVersion is raised
    with what they changed, and nothing is written (optimistic concurrency)."""
    with transaction.atomic():
        scoping.require(actor, "project.edit", project)
        current = _lock(project)
        if current.version != expected_version:
            meanwhile = changes_since(current, expected_version)
            raise StaleVersion(
                _("%(who)s changed this project while you were editing it. Review their changes and try again.")
                % {"who": ", ".join(sorted({e.actor.display_name if e.actor else _("someone") for e in meanwhile})) or _("Someone")},
                changes=[{"actor": e.actor.display_name if e.actor else "", "at": e.at.isoformat(), "changes": e.changes} for e in meanwhile],
                current_version=current.version,
            )
        unknown = set(data) - set(CONTENT_FIELDS)
        if unknown:
            raise InvalidInput(field_errors={field: _("This field cannot be set here.") for field in unknown})
        if current.status in CLOSED_STATUSES:
            raise IllegalTransition(_("A %(status)s project can no longer be edited.") % {"status": current.get_status_display()})
        if current.status not in EDITABLE_STATUSES:
            locked = {f for f in data if f not in ALWAYS_EDITABLE and data[f] != getattr(current, f)}
            if locked:
                raise InvalidInput(
                    field_errors={
                        f: _("Cannot be changed once the project is %(status)s.") % {"status": current.get_status_display()}
                        for f in locked
                    }
                )
        _check_dates({**{f: getattr(current, f) for f in ("planned_start", "planned_end")}, **data})
        before = audit.snapshot(current)
        for field, value in data.items():
            setattr(current, field, value)
        current.version += 1
        current.updated_by = actor
        current.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        village_changed(current.village_id)
        return current


def project_transition(
    *, actor, project: Project, action: str, reason: str = "", maintenance: dict | None = None,
    actual_output=None, on_date: datetime.date | None = None,
) -> Project:
    """Move a project through its lifecycle by a named action (submit, approve, ...). Acceptance records the
    maintenance arrangement and the actual output (in the unit of the project's type)."""
    with transaction.atomic():
        spec = LIFECYCLE_ACTIONS.get(action)
        if spec is None:
            raise IllegalTransition(_("Unknown action “%(action)s”.") % {"action": action})
        scoping.require(actor, spec.permission, project)
        current = _lock(project)
        if current.status not in spec.sources:
            raise IllegalTransition(
                _("Cannot %(action)s a project that is %(status)s.")
                % {"action": str(spec.label), "status": current.get_status_display()}
            )
        reason = (reason or "").strip()
        if spec.reason_required and not reason:
            raise InvalidInput(field_errors={"reason": _("Please give a reason.")})
        today = on_date or timezone.localdate()
        before = audit.snapshot(current)
        if spec.target == S.UNDER_CONSTRUCTION and current.actual_start is None:
            current.actual_start = today
        if spec.target == S.COMPLETED:
            current.actual_end = max(today, current.actual_start or today)
        if spec.name == "rework":
            current.actual_end = None
        if spec.name == "approve":
            problems = approval_problems(current)
            if problems:
                raise InvalidInput(field_errors=problems)
        if spec.target == S.ACCEPTED:
            maintenance = {k: (v or "").strip() for k, v in (maintenance or {}).items()}
            missing = {
                f: _("Required when accepting a project (建管并重).")
                for f in ("maintenance_body", "maintenance_owner")
                if not maintenance.get(f)
            }
            output = _output(actual_output)
            if output is None:
                missing["actual_output"] = _("Give the quantity accepted, in %(unit)s.") % {"unit": current.get_output_unit_display()}
            if missing:
                raise InvalidInput(field_errors=missing)
            current.actual_output = output
            current.accepted_on = today
            for field in ("maintenance_body", "maintenance_owner", "property_owner"):
                if field in maintenance:
                    setattr(current, field, maintenance[field])
        from_status = current.status
        current.status = spec.target
        current.version += 1
        current.updated_by = actor
        current.save()
        ProjectTransition.objects.create(
            project=current, from_status=from_status, to_status=spec.target, actor=actor, at=timezone.now(), reason=reason
        )
        audit.record(
            actor=actor, action=AuditAction.TRANSITION, obj=current,
            changes=audit.diff(before, audit.snapshot(current)), note=reason,
        )
        if spec.target == S.ACCEPTED:
            # The layers above (maintenance) register the facility as an asset, in this transaction: a refusal
            # there rolls the acceptance back.
            project_accepted.send(sender=Project, project=current, actor=actor, on_date=today)
        village_changed(current.village_id)
        return current


def progress_report_create(
    *, actor, project: Project, report_date: datetime.date, percent_complete: int, amount_spent: Decimal,
    narrative: str = "", problems: str = "", correction_reason: str = "", photos=(),
) -> ProgressReport:
    """Add a progress report with up to nine photos; keeps the project's percent and last report date.

    Photos are checked and re-encoded before anything is written (projects.photos): all their headers
    first, against the per-photo cap and the report's budget, then each is decoded in turn. A refused
    photo refuses the whole report. Files stored before a rollback are removed.
    """
    scoping.require(actor, "progress.create", project)  # before any photo is decoded
    processed, photo_errors = photo_processing.process_batch(photos)
    stored: list = []
    try:
        return _progress_report_write(
            actor=actor, project=project, report_date=report_date, percent_complete=percent_complete,
            amount_spent=amount_spent, narrative=narrative, problems=problems, correction_reason=correction_reason,
            processed=processed, photo_errors=photo_errors, stored=stored,
        )
    except BaseException:
        for file_field in stored:
            file_field.storage.delete(file_field.name)
        raise


def _progress_report_write(
    *, actor, project, report_date, percent_complete, amount_spent, narrative, problems, correction_reason,
    processed, photo_errors, stored,
) -> ProgressReport:
    with transaction.atomic():
        scoping.require(actor, "progress.create", project)
        current = _lock(project)
        errors = {}
        if current.status not in REPORTABLE_STATUSES:
            raise IllegalTransition(
                _("Progress can only be reported on approved projects; this one is %(status)s.")
                % {"status": current.get_status_display()}
            )
        today = timezone.localdate()
        if report_date > today:
            errors["report_date"] = _("The report date cannot be in the future.")
        started = current.actual_start or current.planned_start
        if started and report_date < started:
            errors["report_date"] = _("The report date cannot be before the project started (%(date)s).") % {"date": started}
        if not 0 <= int(percent_complete) <= 100:
            errors["percent_complete"] = _("Percent complete must be between 0 and 100.")
        if Decimal(amount_spent) < 0:
            errors["amount_spent"] = _("The amount spent cannot be negative.")
        previous = current.progress_reports.order_by("-report_date", "-id").first()
        correction_reason = (correction_reason or "").strip()
        if previous and int(percent_complete) < previous.percent_complete and not correction_reason:
            errors["percent_complete"] = _(
                "Lower than the previous report (%(previous)s%%): give a correction reason to lower it."
            ) % {"previous": previous.percent_complete}
        if previous and Decimal(amount_spent) < previous.amount_spent and not correction_reason:
            errors["amount_spent"] = _(
                "Lower than the cumulative spend of the previous report (%(previous)s yuan): give a correction reason to"
                " lower it."
            ) % {"previous": f"{previous.amount_spent:,.2f}"}
        if photo_errors:
            errors["photos"] = photo_errors
        if errors:
            raise InvalidInput(field_errors=errors)
        report = ProgressReport.objects.create(
            project=current, report_date=report_date, percent_complete=percent_complete, amount_spent=amount_spent,
            narrative=narrative, problems=problems, correction_reason=correction_reason, reporter=actor,
        )
        audit.record_create(actor=actor, obj=report)
        for item in processed:
            photo = ProgressPhoto(
                report=report, content_type=item.content_type, size_bytes=item.size_bytes, caption="",
                taken_at=item.taken_at, gps_latitude=item.gps_latitude, gps_longitude=item.gps_longitude,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            photo_processing.attach(photo, item, stored)
            photo.save()
            audit.record_create(actor=actor, obj=photo, note=item.original_name[:200])
        latest = current.progress_reports.order_by("-report_date", "-id").first()
        current.percent_complete = latest.percent_complete
        current.last_reported_on = latest.report_date
        current.save(update_fields=["percent_complete", "last_reported_on", "updated_at"])
        village_changed(current.village_id)
        return report
