"""Writes of supervision (督查): a visit, its findings (each a problem in the register), the township's rectification,
the office's re-check (close or reopen). Each is atomic and writes its audit rows in its transaction; photos are
checked and re-encoded before anything is written, and files stored by a write that rolls back are removed."""
from __future__ import annotations

import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, scoping
from core.exceptions import IllegalTransition, InvalidInput
from core.models import AuditAction
from projects import photos as photo_processing
from villages.models import RegionLevel, Village

from .models import Problem, ProblemCategory, ProblemPhoto, ProblemPhotoStage, ProblemSeverity, ProblemStatus, Visit, VisitKind

SUPERVISING_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
MAX_VILLAGES = 200
# The deadline a finding's form suggests: a month after the visit.
DEFAULT_DEADLINE = datetime.timedelta(days=30)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _check_day(day, field: str, errors: dict, not_before: datetime.date | None = None) -> None:
    if not isinstance(day, datetime.date):
        errors[field] = _("Enter a valid date.")
    elif day > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
    elif not_before and day < not_before:
        errors[field] = _("The date cannot be before %(date)s.") % {"date": not_before.isoformat()}


def villages_named(region, text: str) -> tuple[list[Village], list[str]]:
    """The villages of ``region`` that ``text`` names, by code or by name (with or without its 村), separated by spaces, commas or new
    lines (、 and ，too); and the names that match none (or more than one) village of the region."""
    names = [name for name in re.split(r"[\s,，、;；]+", text or "") if name]
    codes = [name for name in names if name.isdigit()]
    found = {v.code: v for v in Village.objects.filter(code__in=codes, code__startswith=region.code)}
    by_name: dict[str, list[Village]] = {}
    words = [n for n in names if not n.isdigit()]
    for village in Village.objects.filter(short_name__in=[*words, *[f"{w}村" for w in words]], code__startswith=region.code):
        by_name.setdefault(village.short_name, []).append(village)
    villages, unknown = {}, []
    for name in names:
        # By code; by name as the portal shows it (余村, 银坑村); or without its 村 (银坑).
        match = [found[name]] if name in found else by_name.get(name) or by_name.get(f"{name}村", [])
        if len(match) == 1:
            villages[match[0].code] = match[0]
        else:
            unknown.append(name)
    return list(villages.values()), unknown


def visit_record(*, actor, region, kind: str, visited_on: datetime.date, inspectors: str, summary: str = "",
                 villages=(), projects=()) -> Visit:
    """Record a supervision visit of ``region``'s office (a county, a city, the province) to villages of its area,
    and the projects seen there. Findings are added to it afterwards (finding_add)."""
    with transaction.atomic():
        scoping.require(actor, "visit.record", region)
        errors: dict = {}
        if region.level not in SUPERVISING_LEVELS:
            errors["region"] = _("A supervision visit is made by a county, a city or the province.")
        if kind not in VisitKind.values:
            errors["kind"] = _("Choose one of the listed values.")
        _check_day(visited_on, "visited_on", errors)
        if not (inspectors or "").strip():
            errors["inspectors"] = _("Name the inspectors.")
        villages, projects = list(villages), list(projects)
        if not villages:
            errors["villages"] = _("Name at least one village visited.")
        elif len(villages) > MAX_VILLAGES:
            errors["villages"] = _("At most %(n)s villages per visit.") % {"n": MAX_VILLAGES}
        elif any(not v.code.startswith(region.code) for v in villages):
            errors["villages"] = _("Every village visited must be in the office's area.")
        codes = {v.code for v in villages}
        if any(p.village_id not in codes for p in projects):
            errors["projects"] = _("Every project visited must be of a village visited.")
        if errors:
            raise InvalidInput(field_errors=errors)
        visit = Visit.objects.create(region=region, kind=kind, visited_on=visited_on, inspectors=inspectors.strip(),
                                     summary=(summary or "").strip(), recorded_by=_user(actor))
        visit.villages.set(villages)
        visit.projects.set(projects)
        audit.record_create(actor=actor, obj=visit, note=" ".join(sorted(codes))[:2000])
        return visit


def finding_add(*, actor, visit: Visit, village, category: str, severity: str, description: str,
                deadline: datetime.date, project=None, photos=()) -> Problem:
    """A finding of the visit: a problem in the register for the village's township to rectify by ``deadline``,
    with the photos taken. The village is one the visit went to, or becomes one (it must be in the office's area)."""
    scoping.require(actor, "visit.record", visit)

    def write(processed, photo_errors, stored):
        with transaction.atomic():
            scoping.require(actor, "visit.record", visit)
            current = Visit.objects.select_for_update(of=("self",)).get(pk=visit.pk)
            errors: dict = {}
            if village is None or not village.code.startswith(current.region_id):
                errors["village"] = _("Choose a village in the office's area.")
            if category not in ProblemCategory.values:
                errors["category"] = _("Choose one of the listed values.")
            if severity not in ProblemSeverity.values:
                errors["severity"] = _("Choose one of the listed values.")
            if not (description or "").strip():
                errors["description"] = _("Say what the problem is.")
            if not isinstance(deadline, datetime.date):
                errors["deadline"] = _("Enter a valid date.")
            elif deadline < current.visited_on:
                errors["deadline"] = _("The deadline cannot be before the visit.")
            if project is not None and village is not None and project.village_id != village.code:
                errors["project"] = _("The project must be of the village.")
            if photo_errors:
                errors["photos"] = photo_errors
            if errors:
                raise InvalidInput(field_errors=errors)
            problem = Problem.objects.create(
                visit=current, village=village, township_id=village.township_id, project=project, category=category,
                severity=severity, description=description.strip(), found_on=current.visited_on, deadline=deadline,
                found_by=_user(actor),
            )
            audit.record_create(actor=actor, obj=problem)
            if not current.villages.filter(pk=village.pk).exists():
                current.villages.add(village)
                audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes={"villages": [None, village.code]})
            if project is not None and not current.projects.filter(pk=project.pk).exists():
                current.projects.add(project)
            photo_processing.store_photos(ProblemPhoto, "problem", problem, processed, actor, stored, stage=ProblemPhotoStage.FOUND)
            return problem

    return photo_processing.with_photos(photos, write)


def _lock(problem: Problem) -> Problem:
    return Problem.objects.select_for_update(of=("self",)).select_related("visit").get(pk=problem.pk)


def _step(actor, problem: Problem, to_status: str, changes: dict, note: str = "") -> Problem:
    before = audit.snapshot(problem)
    problem.status = to_status
    for field, value in changes.items():
        setattr(problem, field, value)
    problem.save()
    audit.record(actor=actor, action=AuditAction.TRANSITION, obj=problem,
                 changes=audit.diff(before, audit.snapshot(problem)), note=note)
    return problem


def problem_rectify(*, actor, problem: Problem, rectified_on: datetime.date, rectification: str, photos=()) -> Problem:
    """open → rectified: the township says what it did, with at least one photo of the result, for the visit's
    office to re-check."""
    scoping.require(actor, "problem.rectify", problem)

    def write(processed, photo_errors, stored):
        with transaction.atomic():
            scoping.require(actor, "problem.rectify", problem)
            current = _lock(problem)
            if current.status != ProblemStatus.OPEN:
                raise IllegalTransition(_("Only a problem to be rectified can be rectified; this one is %(status)s.")
                                        % {"status": current.get_status_display()})
            errors: dict = {}
            _check_day(rectified_on, "rectified_on", errors, not_before=current.found_on)
            if not (rectification or "").strip():
                errors["rectification"] = _("Say what was done.")
            if photo_errors:
                errors["photos"] = photo_errors
            elif not processed:
                errors["photos"] = [_("Add at least one photo of the rectification.")]
            if errors:
                raise InvalidInput(field_errors=errors)
            _step(actor, current, ProblemStatus.RECTIFIED, {
                "rectified_on": rectified_on, "rectification": rectification.strip(), "rectified_by": _user(actor)})
            photo_processing.store_photos(ProblemPhoto, "problem", current, processed, actor, stored, stage=ProblemPhotoStage.RECTIFIED)
            return current

    return photo_processing.with_photos(photos, write)


def problem_close(*, actor, problem: Problem, on_date: datetime.date | None = None, note: str = "") -> Problem:
    """rectified → closed: the visit's office has re-checked the rectification and accepts it."""
    with transaction.atomic():
        current = _lock(problem)
        scoping.require(actor, "problem.recheck", current.visit)
        if current.status != ProblemStatus.RECTIFIED:
            raise IllegalTransition(_("Only a rectified problem can be closed; this one is %(status)s.")
                                    % {"status": current.get_status_display()})
        day = on_date or timezone.localdate()
        errors: dict = {}
        _check_day(day, "closed_on", errors, not_before=current.rectified_on)
        if errors:
            raise InvalidInput(field_errors=errors)
        return _step(actor, current, ProblemStatus.CLOSED, {"closed_on": day, "closed_by": _user(actor)},
                     note=(note or "").strip()[:2000])


def problem_reopen(*, actor, problem: Problem, reason: str, deadline: datetime.date | None = None) -> Problem:
    """rectified (or closed) → to be rectified again: the re-check found the problem not fixed (or back). The reason
    is kept; the deadline stands unless a new one is given (not in the past)."""
    with transaction.atomic():
        current = _lock(problem)
        scoping.require(actor, "problem.recheck", current.visit)
        if current.status == ProblemStatus.OPEN:
            raise IllegalTransition(_("This problem is still to be rectified."))
        errors: dict = {}
        if not (reason or "").strip():
            errors["reason"] = _("Say why the problem is reopened.")
        if deadline is not None and deadline < timezone.localdate():
            errors["deadline"] = _("The new deadline cannot be in the past.")
        if errors:
            raise InvalidInput(field_errors=errors)
        changes = {"rectified_on": None, "closed_on": None, "closed_by": None, "rectification": "",
                   "reopened": current.reopened + 1}
        if deadline is not None:
            changes["deadline"] = deadline
        return _step(actor, current, ProblemStatus.OPEN, changes, note=reason.strip()[:2000])

