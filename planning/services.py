"""Writes of plans, plan citations, targets and creation lists.

Each function checks the actor's right through the gate (core.scoping), runs in one transaction, locks the rows it
changes (select_for_update, in pk order) and writes its audit rows in that transaction. Changes to a plan need a
reason: the plan's history (audit) keeps what was promised, by whom and why it changed (前任政绩、后任包袱).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, scoping
from core.changes import village_changed
from core.divisions import RegionLevel
from core.exceptions import IllegalTransition, InvalidInput
from core.models import AuditAction
from projects import services as project_services
from projects.models import Project, ProjectStatus, ProjectType
from villages.models import Region, Village

from . import documents, selectors
from .models import (
    CREATION_CATEGORIES,
    CreationListEntry,
    ExceptionStatus,
    Plan,
    PlanCitation,
    PlanItem,
    PlanKind,
    PlanStatus,
    Target,
    TargetKind,
)

PLAN_FIELDS = ("title", "approved_on", "approved_by", "valid_from", "valid_until")
ITEM_FIELDS = ("village", "kind", "name", "quantity", "estimated_cost", "planned_year")
# A project's plan citation may change until the county approves it.
CITABLE_STATUSES = (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED)
MAX_QUANTITY = Decimal("1e10")


# --- shared checks -------------------------------------------------------------------------------------------------

def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(field_errors={field: _("Please give a reason for the change.")})
    return reason


def _quantity(value, field: str, errors: dict, *, positive: bool = False) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("Not a number.")
        return None
    if not number.is_finite() or number >= MAX_QUANTITY:
        errors[field] = _("Not a number.")
        return None
    if number < 0 or (positive and number == 0):
        errors[field] = _("Must be greater than zero.") if positive else _("Must not be negative.")
        return None
    if number != number.quantize(Decimal("0.01")):
        errors[field] = _("At most two decimals.")
        return None
    return number


def _year(value, field: str, errors: dict) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        errors[field] = _("Give a year.")
        return None
    if not 2003 <= year <= 2100:
        errors[field] = _("Give a year between 2003 and 2100.")
        return None
    return year


def _plan_values(data: dict) -> dict:
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise InvalidInput(field_errors={f: _("This field cannot be set here.") for f in unknown})
    errors = {}
    clean = {f: data.get(f) for f in PLAN_FIELDS}
    for field in ("title", "approved_by"):
        clean[field] = (clean[field] or "").strip()
        if not clean[field]:
            errors[field] = _("This field is required.")
    for field in ("approved_on", "valid_from", "valid_until"):
        if not clean[field]:
            errors[field] = _("This field is required.")
    if clean["valid_from"] and clean["valid_until"] and clean["valid_until"] < clean["valid_from"]:
        errors["valid_until"] = _("The end of validity must not be before its start.")
    if errors:
        raise InvalidInput(field_errors=errors)
    return clean


def _checked_document(document):
    if document is None:
        return None
    try:
        return documents.check(document)
    except documents.DocumentRejected as refusal:
        raise InvalidInput(field_errors={"document": str(refusal)}) from None


def _store_document(plan: Plan, checked, stored: list) -> None:
    name = checked.upload.name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "plan.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    plan.document.save(name, checked.upload, save=False)
    plan.document_size = checked.size
    stored.append(plan.document)


def _with_files_removed_on_failure(write):
    stored: list = []
    try:
        return write(stored)
    except BaseException:
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise


def _lock_plan(plan: Plan) -> Plan:
    return Plan.objects.select_for_update(of=("self",)).get(pk=plan.pk)


def _current_plan(actor, plan: Plan) -> Plan:
    scoping.require(actor, "plan.manage", plan)
    current = _lock_plan(plan)
    if current.status != PlanStatus.CURRENT:
        raise IllegalTransition(_("This version of the plan was superseded; change the current version."))
    return current


def _village_changed_for(plan: Plan) -> None:
    if plan.village_id:
        village_changed(plan.village_id)


# --- plans ---------------------------------------------------------------------------------------------------------

def plan_create(*, actor, area, data: dict, document=None) -> Plan:
    """Record a plan's first version: a county's layout plan (``area`` a county Region) or a village's construction
    plan (``area`` a Village). A plan that already has a current version is revised instead (plan_revise)."""
    scoping.require(actor, "plan.manage", area)
    if isinstance(area, Village):
        kind, fields = PlanKind.CONSTRUCTION, {"village": area}
    elif isinstance(area, Region) and area.level == RegionLevel.COUNTY:
        kind, fields = PlanKind.LAYOUT, {"region": area}
    else:
        raise InvalidInput(field_errors={"area": _("A plan belongs to a county (layout plan) or to a village (construction plan).")})
    values = _plan_values(data)
    checked = _checked_document(document)

    def write(stored):
        with transaction.atomic():
            if isinstance(area, Village):
                Village.objects.select_for_update(of=("self",)).get(pk=area.pk)
            else:
                Region.objects.select_for_update(of=("self",)).get(pk=area.pk)
            if Plan.objects.filter(area_code=area.code, kind=kind).exists():
                raise InvalidInput(field_errors={"area": _("This area already has a plan of this kind: record a new version of it.")})
            plan = Plan(kind=kind, area_code=area.code, version=1, created_by=actor, **fields, **values)
            if checked:
                _store_document(plan, checked, stored)
            plan.save()
            audit.record_create(actor=actor, obj=plan)
            _village_changed_for(plan)
            return plan

    return _with_files_removed_on_failure(write)


def plan_revise(*, actor, plan: Plan, data: dict, reason: str, document=None) -> Plan:
    """A new version of a plan: it supersedes the current one (kept, with its items, as what was promised), carries
    its items over (each remembers the one it continues) and the projects citing them with it."""
    scoping.require(actor, "plan.manage", plan)
    reason = _reason(reason)
    values = _plan_values(data)
    checked = _checked_document(document)

    def write(stored):
        with transaction.atomic():
            current = _current_plan(actor, plan)
            new = Plan(
                kind=current.kind, region_id=current.region_id, village_id=current.village_id, area_code=current.area_code,
                version=current.version + 1, supersedes=current, change_reason=reason, created_by=actor, **values,
            )
            if checked:
                _store_document(new, checked, stored)
            elif current.document:
                new.document, new.document_size = current.document.name, current.document_size
            current.status = PlanStatus.SUPERSEDED
            current.save(update_fields=["status", "updated_at"])
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=current,
                         changes={"status": [PlanStatus.CURRENT, PlanStatus.SUPERSEDED]}, note=reason)
            new.save()
            audit.record_create(actor=actor, obj=new, note=reason)
            for item in current.items.order_by("pk"):
                copy = PlanItem.objects.create(
                    plan=new, village_id=item.village_id, kind=item.kind, name=item.name, quantity=item.quantity,
                    estimated_cost=item.estimated_cost, planned_year=item.planned_year, carried_from=item,
                )
                audit.record_create(actor=actor, obj=copy, note=reason)
                for citation in PlanCitation.objects.select_for_update(of=("self",)).filter(item=item).order_by("pk"):
                    citation.item = copy
                    citation.save(update_fields=["item", "updated_at"])
                    audit.record(actor=actor, action=AuditAction.UPDATE, obj=citation,
                                 changes={"item": [item.pk, copy.pk]}, note=reason)
            _village_changed_for(new)
            return new

    return _with_files_removed_on_failure(write)


def plan_document_attach(*, actor, plan: Plan, document) -> Plan:
    """Attach the approved PDF to a current plan that has none yet (replacing one is a new version)."""
    scoping.require(actor, "plan.manage", plan)
    checked = _checked_document(document)
    if checked is None:
        raise InvalidInput(field_errors={"document": _("Choose the plan's PDF.")})

    def write(stored):
        with transaction.atomic():
            current = _current_plan(actor, plan)
            if current.document:
                raise InvalidInput(field_errors={"document": _("The plan has its document; a changed document is a new version.")})
            _store_document(current, checked, stored)
            current.save(update_fields=["document", "document_size", "updated_at"])
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=current,
                         changes={"document": [None, current.document.name]})
            return current

    return _with_files_removed_on_failure(write)


# --- plan items ----------------------------------------------------------------------------------------------------

def _item_values(plan: Plan, data: dict, *, partial: bool = False) -> dict:
    unknown = set(data) - set(ITEM_FIELDS)
    if unknown:
        raise InvalidInput(field_errors={f: _("This field cannot be set here.") for f in unknown})
    errors: dict = {}
    clean: dict = {}
    if "kind" in data or not partial:
        if data.get("kind") not in ProjectType.values:
            errors["kind"] = _("Choose a kind of work.")
        clean["kind"] = data.get("kind")
    if "name" in data or not partial:
        clean["name"] = (data.get("name") or "").strip()
        if not clean["name"]:
            errors["name"] = _("This field is required.")
    if "quantity" in data or not partial:
        clean["quantity"] = _quantity(data.get("quantity"), "quantity", errors, positive=True)
    if "estimated_cost" in data or not partial:
        clean["estimated_cost"] = _quantity(data.get("estimated_cost"), "estimated_cost", errors)
    if "planned_year" in data or not partial:
        clean["planned_year"] = _year(data.get("planned_year"), "planned_year", errors)
        if clean["planned_year"] and not plan.valid_from.year <= clean["planned_year"] <= plan.valid_until.year:
            errors["planned_year"] = _("The plan is valid from %(start)s to %(end)s.") % {
                "start": plan.valid_from.year, "end": plan.valid_until.year}
    if plan.kind == PlanKind.CONSTRUCTION:
        clean["village"] = plan.village
    elif "village" in data or not partial:
        village = data.get("village")
        if village is not None and not village.code.startswith(plan.area_code):
            errors["village"] = _("The village is outside the plan's county.")
        clean["village"] = village
    if errors:
        raise InvalidInput(field_errors=errors)
    return clean


def plan_item_add(*, actor, plan: Plan, data: dict, reason: str = "") -> PlanItem:
    """Add an item. To the first version before any project cites it, no reason is asked; otherwise the change
    needs one."""
    with transaction.atomic():
        current = _current_plan(actor, plan)
        if current.version > 1 or PlanCitation.objects.filter(item__plan=current).exists():
            reason = _reason(reason)
        values = _item_values(current, data)
        item = PlanItem.objects.create(plan=current, **values)
        audit.record_create(actor=actor, obj=item, note=(reason or "").strip())
        _village_changed_for(current)
        return item


def plan_item_update(*, actor, item: PlanItem, data: dict, reason: str) -> PlanItem:
    with transaction.atomic():
        current_plan = _current_plan(actor, item.plan)
        reason = _reason(reason)
        current = PlanItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        values = _item_values(current_plan, data, partial=True)
        if "kind" in values and values["kind"] != current.kind and current.citations.exists():
            raise InvalidInput(field_errors={"kind": _("Projects cite this item: its kind of work cannot change.")})
        before = audit.snapshot(current)
        for field, value in values.items():
            setattr(current, field, value)
        current.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=audit.diff(before, audit.snapshot(current)), note=reason)
        _village_changed_for(current_plan)
        return current


def plan_item_remove(*, actor, item: PlanItem, reason: str) -> None:
    with transaction.atomic():
        current_plan = _current_plan(actor, item.plan)
        reason = _reason(reason)
        current = PlanItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if current.citations.exists():
            raise IllegalTransition(_("Projects cite this item: it cannot be removed from the plan."))
        audit.record(actor=actor, action=AuditAction.DELETE, obj=current, changes=audit.diff(audit.snapshot(current), {}), note=reason)
        current.delete()
        _village_changed_for(current_plan)


# --- projects and the plan -----------------------------------------------------------------------------------------

def _check_item_for(project: Project, item: PlanItem) -> None:
    if not selectors.items_for_village(project.village_id).filter(pk=item.pk).exists():
        raise InvalidInput(field_errors={"plan_item": _("The item is not in a current plan of the project's village.")})
    if item.kind != project.type:
        raise InvalidInput(field_errors={"plan_item": _("The item is %(kind)s work; the project is %(type)s.") % {
            "kind": item.get_kind_display(), "type": project.get_type_display()}})


def citation_set(*, actor, project: Project, item: PlanItem | None = None, out_of_plan_reason: str = "") -> PlanCitation:
    """Say what the project carries out: a plan item, or (with no item) why it is outside the plan, which asks the
    county for an exception. Possible until the project is approved."""
    with transaction.atomic():
        scoping.require(actor, "plan.cite", project)
        current = Project.objects.select_for_update(of=("self",)).get(pk=project.pk)
        if current.status not in CITABLE_STATUSES:
            raise IllegalTransition(_("The plan item of a %(status)s project can no longer change.") % {
                "status": current.get_status_display()})
        reason = (out_of_plan_reason or "").strip()
        if item is not None:
            _check_item_for(current, item)
            values = {"item": item, "out_of_plan_reason": "", "exception_status": "", "decided_by": None,
                      "decided_at": None, "decision_note": ""}
        elif not reason:
            raise InvalidInput(field_errors={"out_of_plan_reason": _("Cite a plan item, or say why the project is outside the plan.")})
        else:
            values = {"item": None, "out_of_plan_reason": reason, "exception_status": ExceptionStatus.PENDING,
                      "decided_by": None, "decided_at": None, "decision_note": ""}
        citation = PlanCitation.objects.select_for_update(of=("self",)).filter(project=current).first()
        if citation is None:
            citation = PlanCitation.objects.create(project=current, **values)
            audit.record_create(actor=actor, obj=citation)
        else:
            before = audit.snapshot(citation)
            for field, value in values.items():
                setattr(citation, field, value)
            citation.save()
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=citation, changes=audit.diff(before, audit.snapshot(citation)))
        village_changed(current.village_id)
        return citation


def exception_decide(*, actor, citation: PlanCitation, approve: bool, note: str = "") -> PlanCitation:
    """The county approves or refuses a project outside the plan (a refusal says why)."""
    with transaction.atomic():
        scoping.require(actor, "plan.exception_decide", citation)
        current = PlanCitation.objects.select_for_update(of=("self",)).get(pk=citation.pk)
        if current.exception_status != ExceptionStatus.PENDING:
            raise IllegalTransition(_("No exception is waiting for a decision."))
        note = (note or "").strip()
        if not approve and not note:
            raise InvalidInput(field_errors={"decision_note": _("Say why the exception is refused.")})
        before = audit.snapshot(current)
        current.exception_status = ExceptionStatus.APPROVED if approve else ExceptionStatus.REFUSED
        current.decided_by, current.decided_at, current.decision_note = actor, timezone.now(), note
        current.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)), note=note)
        village_changed(current.project.village_id)
        return current


def project_create_from_item(*, actor, item: PlanItem, village: Village, data: dict) -> Project:
    """Create a project that carries out a plan item: the project (through projects.services) and its citation, in
    one transaction. Its type is the item's kind; its planned output is the item's quantity unless given."""
    with transaction.atomic():
        data = {**data, "type": item.kind}
        if data.get("planned_output") in (None, ""):
            data["planned_output"] = item.quantity
        project = project_services.project_create(actor=actor, village=village, data=data)
        citation_set(actor=actor, project=project, item=item)
        return project


# --- targets -------------------------------------------------------------------------------------------------------

def _target_setter_area(region: Region):
    """Targets are set by the level above (the province sets its own)."""
    return region.parent_id or region.code


def target_set(*, actor, region: Region, year, kind: str, quantity, note: str = "") -> Target:
    """Set (or change) one region's target for a year and a kind."""
    with transaction.atomic():
        return _target_set(actor=actor, region=region, year=year, kind=kind, quantity=quantity, note=note)


def _target_set(*, actor, region, year, kind, quantity, note) -> Target:
    scoping.require(actor, "target.set", _target_setter_area(region))
    errors: dict = {}
    year = _year(year, "year", errors)
    if kind not in TargetKind.values:
        errors["kind"] = _("Choose a kind.")
    quantity = _quantity(quantity, "quantity", errors)
    if errors:
        raise InvalidInput(field_errors=errors)
    target = Target.objects.select_for_update(of=("self",)).filter(region=region, year=year, kind=kind).first()
    note = (note or "").strip()[:200]
    if target is None:
        target = Target.objects.create(region=region, year=year, kind=kind, quantity=quantity, note=note, set_by=actor)
        audit.record_create(actor=actor, obj=target)
    elif target.quantity != quantity or target.note != note:
        before = audit.snapshot(target)
        target.quantity, target.note, target.set_by = quantity, note, actor
        target.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=target, changes=audit.diff(before, audit.snapshot(target)))
    return target


def target_break_down(*, actor, parent: Target, quantities: dict[str, object]) -> list[Target]:
    """Break a region's target down to its children (child code → quantity; an empty value leaves that child's
    target as it is), all or nothing. The children's sum need not equal the parent's: the page shows the gap."""
    with transaction.atomic():
        scoping.require(actor, "target.set", parent.region)
        children = {r.code: r for r in Region.objects.filter(parent_id=parent.region_id).select_for_update(of=("self",)).order_by("code")}
        errors = {}
        clean = {}
        for code, value in quantities.items():
            if code not in children:
                errors[code] = _("Not a region directly below %(region)s.") % {"region": parent.region.name}
                continue
            if value in (None, ""):
                continue
            number = _quantity(value, code, errors)
            if number is not None:
                clean[code] = number
        if errors:
            raise InvalidInput(field_errors=errors)
        return [
            _target_set(actor=actor, region=children[code], year=parent.year, kind=parent.kind, quantity=number, note="")
            for code, number in sorted(clean.items())
        ]


def target_delete(*, actor, target: Target) -> None:
    with transaction.atomic():
        scoping.require(actor, "target.set", _target_setter_area(target.region))
        current = Target.objects.select_for_update(of=("self",)).get(pk=target.pk)
        audit.record(actor=actor, action=AuditAction.DELETE, obj=current, changes=audit.diff(audit.snapshot(current), {}))
        current.delete()


# --- creation lists ------------------------------------------------------------------------------------------------

def creation_list_add(*, actor, county: Region, year, category: str, villages, note: str = "") -> list[CreationListEntry]:
    """Put villages of the county on its creation list for a year and a category (idempotent: a village already
    on it stays as it is)."""
    with transaction.atomic():
        scoping.require(actor, "creation_list.manage", county)
        errors: dict = {}
        year = _year(year, "year", errors)
        if county.level != RegionLevel.COUNTY:
            errors["county"] = _("Creation lists are kept by counties.")
        if category not in dict(CREATION_CATEGORIES):
            errors["category"] = _("Choose a category to create.")
        villages = list(villages)
        outside = [v.short_name for v in villages if not v.code.startswith(county.code)]
        if outside:
            errors["villages"] = _("Outside the county: %(names)s.") % {"names": "、".join(outside)}
        if not villages:
            errors["villages"] = _("Choose at least one village.")
        if errors:
            raise InvalidInput(field_errors=errors)
        for village in villages:
            scoping.require(actor, "creation_list.manage", village)
        Region.objects.select_for_update(of=("self",)).get(pk=county.pk)
        listed = set(CreationListEntry.objects.filter(year=year, category=category, village__in=villages).values_list("village_id", flat=True))
        created = []
        for village in sorted(villages, key=lambda v: v.code):
            if village.code in listed:
                continue
            entry = CreationListEntry.objects.create(
                county=county, year=year, category=category, village=village, note=(note or "").strip()[:200], added_by=actor,
            )
            audit.record_create(actor=actor, obj=entry)
            village_changed(village.code)
            created.append(entry)
        return created


def creation_list_remove(*, actor, entry: CreationListEntry, reason: str) -> None:
    with transaction.atomic():
        scoping.require(actor, "creation_list.manage", entry)
        reason = _reason(reason)
        current = CreationListEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        audit.record(actor=actor, action=AuditAction.DELETE, obj=current, changes=audit.diff(audit.snapshot(current), {}), note=reason)
        current.delete()
        village_changed(entry.village_id)
