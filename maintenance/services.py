"""Writes of assets, keepers and their assignments, inspections and faults.

Every function checks the actor's right through the gate (core.scoping), runs in one transaction, locks the row
it changes and writes its audit rows in that same transaction.
"""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, scoping
from core.changes import village_changed
from core.exceptions import Conflict, IllegalTransition, InvalidInput
from core.models import AuditAction
from projects import photos as photo_processing
from projects.models import MaintenanceBody, ProjectStatus

from .models import (
    CHECKLISTS,
    DEFAULT_INTERVAL_DAYS,
    INSPECTION_LEAD_DAYS,
    OPEN_FAULT_STATUSES,
    REPAIR_DAYS,
    Asset,
    AssetKind,
    AssetStatus,
    AssetUnit,
    ChiefType,
    Condition,
    Fault,
    FaultPhoto,
    FaultPhotoStage,
    FaultStatus,
    Inspection,
    InspectionInterval,
    InspectionPhoto,
    InspectionStatus,
    Keeper,
    KeeperAssignment,
    OwnerKind,
    Severity,
    chief_for,
    kind_and_unit_for,
    owner_kind_from_text,
)

ASSET_FIELDS = (
    "kind", "name", "latitude", "longitude", "quantity", "unit", "commissioned_on", "owner_kind", "owner_name",
    "maintenance_body",
)
KEEPER_FIELDS = ("name", "phone", "organisation", "user")
CHOICES = {
    "kind": AssetKind, "unit": AssetUnit, "owner_kind": OwnerKind, "maintenance_body": MaintenanceBody,
}


def _check_asset(data: dict) -> dict:
    """The rules of an asset's facts (the form checks their shape only); returns them cleaned."""
    unknown = set(data) - set(ASSET_FIELDS)
    if unknown:
        raise InvalidInput(field_errors={field: _("This field cannot be set here.") for field in unknown})
    errors = {}
    for field, choices in CHOICES.items():
        if field in data and data[field] not in choices.values:
            errors[field] = _("Choose one of the listed values.")
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            errors["name"] = _("This field is required.")
    if "quantity" in data:
        try:
            if data["quantity"] is None or Decimal(data["quantity"]) <= 0:
                errors["quantity"] = _("The quantity must be greater than zero.")
        except (InvalidOperation, TypeError):
            errors["quantity"] = _("The quantity must be greater than zero.")
    if "latitude" in data or "longitude" in data:
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            errors["longitude" if longitude is None else "latitude"] = _("Give both latitude and longitude, or neither.")
        elif latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            errors["latitude"] = _("Not a position on Earth.")
    commissioned = data.get("commissioned_on")
    if commissioned and commissioned > timezone.localdate():
        errors["commissioned_on"] = _("The commissioning date cannot be in the future.")
    if errors:
        raise InvalidInput(field_errors=errors)
    return data


def _lock(asset: Asset) -> Asset:
    return Asset.objects.select_for_update(of=("self",)).get(pk=asset.pk)


def asset_register(*, actor, village, data: dict, project=None) -> Asset:
    """Register an asset by hand: a facility built before the portal (no project), or one more asset of an
    accepted project of the village ("one project may yield several assets")."""
    with transaction.atomic():
        scoping.require(actor, "asset.manage", village)
        required = ("kind", "name", "quantity", "unit", "commissioned_on", "owner_kind", "maintenance_body")
        missing = {field: _("This field is required.") for field in required if data.get(field) in (None, "")}
        if missing:
            raise InvalidInput(field_errors=missing)
        data = _check_asset(dict(data))
        if project is not None:
            if project.village_id != village.pk:
                raise InvalidInput(field_errors={"project": _("The project is in another village.")})
            if project.status != ProjectStatus.ACCEPTED:
                raise IllegalTransition(_("Assets are registered for accepted projects only."))
        asset = Asset.objects.create(village=village, project=project, created_by=_user(actor), **data)
        audit.record_create(actor=actor, obj=asset)
        village_changed(village.code)
        return asset


def asset_update(*, actor, asset: Asset, data: dict) -> Asset:
    with transaction.atomic():
        scoping.require(actor, "asset.manage", asset)
        current = _lock(asset)
        if current.status == AssetStatus.RETIRED:
            raise IllegalTransition(_("A retired asset can no longer be edited."))
        data = _check_asset(dict(data))
        before = audit.snapshot(current)
        for field, value in data.items():
            setattr(current, field, value)
        current.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        village_changed(current.village_id)  # its kind may have changed
        return current


def asset_retire(*, actor, asset: Asset, on_date: datetime.date | None = None, reason: str = "") -> Asset:
    """Take an asset out of service (demolished, replaced); its current keeper's assignment ends that day."""
    with transaction.atomic():
        scoping.require(actor, "asset.manage", asset)
        current = _lock(asset)
        if current.status == AssetStatus.RETIRED:
            raise IllegalTransition(_("This asset is already retired."))
        on_date = on_date or timezone.localdate()
        if on_date < current.commissioned_on:
            raise InvalidInput(field_errors={"retired_on": _("An asset cannot be retired before it was commissioned.")})
        for assignment in KeeperAssignment.objects.select_for_update().filter(asset=current, ends_on__isnull=True):
            _end(actor, assignment, max(on_date, assignment.starts_on))
        # A retired asset is no longer inspected: its open (due) inspection goes.
        for due in Inspection.objects.select_for_update().filter(asset=current, status=InspectionStatus.DUE):
            audit.record(actor=actor, action=AuditAction.DELETE, obj=due, changes=audit.diff(audit.snapshot(due), {}),
                         note=_("The asset was retired."))
            due.delete()
        before = audit.snapshot(current)
        current.status, current.retired_on = AssetStatus.RETIRED, on_date
        current.save()
        village_changed(current.village_id)
        audit.record(
            actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)),
            note=(reason or "").strip()[:2000],
        )
        return current


def asset_create_from_project(*, actor, project, on_date: datetime.date | None = None) -> Asset:
    """The asset an accepted project leaves behind (projects.signals.project_accepted), with the acceptance's
    maintenance arrangement: its body, its owner (typed as text, read into a kind and a name) and its named keeper
    (on the roster of the village's township, reused by name), who becomes the asset's first responsible person."""
    with transaction.atomic():
        scoping.require(actor, "project.accept", project)
        on_date = on_date or timezone.localdate()
        kind, unit = kind_and_unit_for(project.type)
        village = project.village
        asset = Asset.objects.create(
            kind=kind, village=village, project=project, name=project.name[:120], latitude=village.latitude,
            longitude=village.longitude, quantity=Decimal(1), unit=unit, commissioned_on=on_date,
            owner_kind=owner_kind_from_text(project.property_owner), owner_name=project.property_owner[:120],
            maintenance_body=project.maintenance_body, created_by=_user(actor),
        )
        audit.record_create(actor=actor, obj=asset, note=_("Created on the acceptance of the project."))
        name = (project.maintenance_owner or "").strip()[:64]
        if name:
            keeper = Keeper.objects.filter(region_id=village.township_id, name=name).order_by("id").first()
            if keeper is None:
                keeper = Keeper.objects.create(name=name, region_id=village.township_id)
                audit.record_create(actor=actor, obj=keeper)
            assignment = KeeperAssignment.objects.create(
                keeper=keeper, chief_type=chief_for(kind), asset=asset, starts_on=on_date, created_by=_user(actor)
            )
            audit.record_create(actor=actor, obj=assignment)
        return asset


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


def _check_keeper(data: dict) -> dict:
    unknown = set(data) - set(KEEPER_FIELDS)
    if unknown:
        raise InvalidInput(field_errors={field: _("This field cannot be set here.") for field in unknown})
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise InvalidInput(field_errors={"name": _("This field is required.")})
    return data


def keeper_create(*, actor, region, data: dict) -> Keeper:
    """A person on the roster of a township or a county."""
    with transaction.atomic():
        scoping.require(actor, "keeper.manage", region)
        if len(region.code) not in (6, 9):
            raise InvalidInput(field_errors={"region": _("Keepers are on the roster of a township or a county.")})
        data = _check_keeper(dict(data))
        keeper = Keeper.objects.create(region=region, **data)
        audit.record_create(actor=actor, obj=keeper)
        return keeper


def keeper_update(*, actor, keeper: Keeper, data: dict) -> Keeper:
    with transaction.atomic():
        scoping.require(actor, "keeper.manage", keeper)
        current = Keeper.objects.select_for_update(of=("self",)).get(pk=keeper.pk)
        data = _check_keeper(dict(data))
        before = audit.snapshot(current)
        for field, value in data.items():
            setattr(current, field, value)
        current.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        return current


def _end(actor, assignment: KeeperAssignment, on_date: datetime.date) -> None:
    before = audit.snapshot(assignment)
    assignment.ends_on = on_date
    assignment.save(update_fields=["ends_on"])
    audit.record(actor=actor, action=AuditAction.UPDATE, obj=assignment, changes=audit.diff(before, audit.snapshot(assignment)))


def _check_keeper_reaches(keeper: Keeper, village_code: str) -> None:
    if not village_code.startswith(keeper.region_id):
        raise InvalidInput(field_errors={"keeper": _("This keeper is on the roster of another area.")})


def keeper_assign(*, actor, asset: Asset, keeper: Keeper, chief_type: str, starts_on: datetime.date | None = None) -> KeeperAssignment:
    """Hand an asset over to a keeper: the current responsible person's assignment ends the day the new one
    starts, in one transaction, with the asset's row locked (two handovers at once wait for each other)."""
    with transaction.atomic():
        scoping.require(actor, "keeper.assign", asset)
        current_asset = _lock(asset)
        if current_asset.status == AssetStatus.RETIRED:
            raise IllegalTransition(_("A retired asset has no keeper."))
        if chief_type not in ChiefType.values:
            raise InvalidInput(field_errors={"chief_type": _("Choose one of the listed values.")})
        _check_keeper_reaches(keeper, current_asset.village_id)
        starts_on = starts_on or timezone.localdate()
        if starts_on > timezone.localdate():
            raise InvalidInput(field_errors={"starts_on": _("The handover date cannot be in the future.")})
        if starts_on < current_asset.commissioned_on:
            raise InvalidInput(field_errors={"starts_on": _("The handover date cannot be before the asset was commissioned.")})
        current = KeeperAssignment.objects.select_for_update().filter(asset=current_asset, ends_on__isnull=True).first()
        if current is not None:
            if current.keeper_id == keeper.pk and current.chief_type == chief_type:
                raise Conflict(_("This keeper is already responsible for the asset."))
            if starts_on < current.starts_on:
                raise InvalidInput(field_errors={
                    "starts_on": _("The handover date cannot be before the current keeper started (%(date)s).")
                    % {"date": current.starts_on.isoformat()}
                })
            _end(actor, current, starts_on)
        assignment = KeeperAssignment.objects.create(
            keeper=keeper, chief_type=chief_type, asset=current_asset, starts_on=starts_on, created_by=_user(actor)
        )
        audit.record_create(actor=actor, obj=assignment)
        village_changed(current_asset.village_id)  # the village status counts its assets without a keeper
        return assignment


def keeper_assign_village(*, actor, village, keeper: Keeper, chief_type: str, starts_on: datetime.date | None = None) -> KeeperAssignment:
    """Make a keeper answerable for a village as a whole (a river chief for its streams), from a day on. A village
    has one current keeper per chief type: the current one of that type hands over the day the new one starts, in
    one transaction, with the village's row locked (two handovers at once wait for each other)."""
    from villages.models import Village

    with transaction.atomic():
        scoping.require(actor, "keeper.assign", village)
        if chief_type not in ChiefType.values:
            raise InvalidInput(field_errors={"chief_type": _("Choose one of the listed values.")})
        _check_keeper_reaches(keeper, village.code)
        village = Village.objects.select_for_update(of=("self",)).get(pk=village.pk)
        starts_on = starts_on or timezone.localdate()
        if starts_on > timezone.localdate():
            raise InvalidInput(field_errors={"starts_on": _("The handover date cannot be in the future.")})
        current = (
            KeeperAssignment.objects.select_for_update()
            .filter(village=village, chief_type=chief_type, ends_on__isnull=True).first()
        )
        if current is not None:
            if current.keeper_id == keeper.pk:
                raise Conflict(_("This keeper is already responsible for the village."))
            if starts_on < current.starts_on:
                raise InvalidInput(field_errors={
                    "starts_on": _("The handover date cannot be before the current keeper started (%(date)s).")
                    % {"date": current.starts_on.isoformat()}
                })
            _end(actor, current, starts_on)
        assignment = KeeperAssignment.objects.create(
            keeper=keeper, chief_type=chief_type, village=village, starts_on=starts_on, created_by=_user(actor),
        )
        audit.record_create(actor=actor, obj=assignment)
        return assignment


def keeper_assignment_end(*, actor, assignment: KeeperAssignment, on_date: datetime.date | None = None) -> KeeperAssignment:
    """End a keeper's responsibility for a village (nobody takes over: the post is left empty)."""
    with transaction.atomic():
        target = assignment.asset or assignment.village
        scoping.require(actor, "keeper.assign", target)
        current = KeeperAssignment.objects.select_for_update().get(pk=assignment.pk)
        if current.ends_on is not None:
            raise Conflict(_("This responsibility has already ended."))
        if current.asset_id is not None:
            raise IllegalTransition(_("An asset's keeper is ended by handing the asset over (or retiring it)."))
        on_date = on_date or timezone.localdate()
        if on_date > timezone.localdate() or on_date < current.starts_on:
            raise InvalidInput(field_errors={"ends_on": _("Between the day it started and today.")})
        _end(actor, current, on_date)
        return current


# --- inspection intervals ------------------------------------------------------------------------------------

def interval_days(county_code: str, kind: str) -> int:
    """How often an asset of this kind in this county is inspected, in days."""
    own = InspectionInterval.objects.filter(region_id=county_code, kind=kind).values_list("days", flat=True).first()
    return own or DEFAULT_INTERVAL_DAYS[kind]


def intervals_of(county_codes) -> dict[tuple[str, str], int]:
    """{(county, kind): days} for every kind of the given counties, the defaults filled in (one query)."""
    county_codes = set(county_codes)
    result = {(county, kind): days for county in county_codes for kind, days in DEFAULT_INTERVAL_DAYS.items()}
    for county, kind, days in InspectionInterval.objects.filter(region_id__in=county_codes).values_list("region_id", "kind", "days"):
        result[(county, kind)] = days
    return result


def inspection_interval_set(*, actor, county, kind: str, days) -> InspectionInterval:
    """A county's own interval for a kind of asset; applies from each asset's next due inspection on."""
    with transaction.atomic():
        scoping.require(actor, "maintenance.configure", county)
        if len(county.code) != 6:
            raise InvalidInput(field_errors={"region": _("Inspection intervals are set by a county.")})
        if kind not in AssetKind.values:
            raise InvalidInput(field_errors={"kind": _("Choose one of the listed values.")})
        try:
            days = int(days)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= 366:
            raise InvalidInput(field_errors={"days": _("Between 1 and 366 days.")})
        interval = InspectionInterval.objects.select_for_update().filter(region=county, kind=kind).first()
        if interval is None:
            interval = InspectionInterval.objects.create(region=county, kind=kind, days=days)
            audit.record_create(actor=actor, obj=interval)
        elif interval.days != days:
            before = audit.snapshot(interval)
            interval.days = days
            interval.save()
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=interval, changes=audit.diff(before, audit.snapshot(interval)))
        return interval


# --- inspections ---------------------------------------------------------------------------------------------

def next_due_on(asset: Asset, last_done_on: datetime.date | None, days: int) -> datetime.date:
    """An asset is inspected at least every ``days`` days: the next inspection is due that long after the last
    one (scheduled or not); an asset never inspected is first due that long after it was commissioned, or after it
    was registered in the portal if that is later (a facility of 2010 registered today is not years overdue)."""
    if last_done_on is not None:
        return last_done_on + datetime.timedelta(days=days)
    registered = timezone.localdate(asset.created_at) if asset.created_at else asset.commissioned_on
    return max(asset.commissioned_on + datetime.timedelta(days=days), registered)


def inspections_open_due(*, today: datetime.date | None = None, county_code: str | None = None) -> int:
    """The beat task's service (maintenance.tasks.open_due_inspections): for every asset in service with no open
    inspection whose next inspection falls within INSPECTION_LEAD_DAYS, open it as due. Idempotent: an asset holds
    at most one due inspection (a constraint), so a second run, or two at once, open nothing more. Returns how
    many were opened."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=INSPECTION_LEAD_DAYS)
    assets = Asset.objects.filter(status=AssetStatus.IN_SERVICE).exclude(inspections__status=InspectionStatus.DUE)
    if county_code:
        assets = assets.filter(village__code__startswith=county_code)
    counties = assets.order_by().annotate(county=Substr("village_id", 1, 6)).values_list("county", flat=True).distinct()
    opened = 0
    for county in sorted(counties):
        intervals = intervals_of([county])
        rows = (
            assets.filter(village__code__startswith=county)
            .annotate(last_done=Max("inspections__done_on", filter=Q(inspections__status=InspectionStatus.DONE)))
            .only("pk", "kind", "commissioned_on", "created_at", "village_id")
            .order_by("pk")
        )
        new, villages = [], {}
        for asset in rows.iterator(chunk_size=2000):
            villages[asset.pk] = asset.village_id
            due_on = next_due_on(asset, asset.last_done, intervals[(county, asset.kind)])
            if due_on <= horizon:
                new.append(Inspection(asset_id=asset.pk, due_on=due_on))
        with transaction.atomic():
            created = _create_due(new)
            audit.record_created_in_bulk(actor=None, objs=created, note=_("Opened by the inspection schedule."))
            # One opened already past its date is overdue at once: those villages' figures change now (the others
            # change when their date passes, which the dashboards' nightly rebuild picks up).
            late = {villages[i.asset_id] for i in created if i.due_on < timezone.localdate()}
            for village in sorted(late):
                village_changed(village)
        opened += len(created)
    return opened


def _create_due(new: list[Inspection]) -> list[Inspection]:
    """Insert the due inspections; if another run opened some meanwhile (the one-due-per-asset constraint), insert
    the others one by one and skip those."""
    try:
        with transaction.atomic():
            return Inspection.objects.bulk_create(new, batch_size=1000)
    except IntegrityError:
        created = []
        for inspection in new:
            inspection.pk = None
            try:
                with transaction.atomic():
                    inspection.save(force_insert=True)
                created.append(inspection)
            except IntegrityError:
                continue
        return created


def _check_position(latitude, longitude, errors: dict) -> None:
    if (latitude is None) != (longitude is None):
        errors["longitude" if longitude is None else "latitude"] = _("Give both latitude and longitude, or neither.")
    elif latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors["latitude"] = _("Not a position on Earth.")


def _check_checklist(kind: str, checklist) -> dict:
    """{key: bool} for the keys of the kind's checklist; anything else is refused."""
    keys = {key for key, _label in CHECKLISTS[kind]}
    if not isinstance(checklist, dict) or set(checklist) - keys or not all(isinstance(v, bool) for v in checklist.values()):
        raise InvalidInput(field_errors={"checklist": _("Only the items of this asset's checklist, each ticked or not.")})
    return {key: checklist.get(key, False) for key in sorted(keys)}


def inspection_record(
    *, actor, asset: Asset, done_on: datetime.date, condition: int, checklist: dict | None = None, notes: str = "",
    latitude=None, longitude=None, photos=(), fault: dict | None = None,
) -> Inspection:
    """Record an inspection of an asset: it completes the asset's due inspection, or, with none due, is recorded as
    an extra (unscheduled) one. ``fault`` ({"severity", "description"}) reports what was found broken, in the same
    transaction. The next inspection falls due an interval after this one (inspections_open_due)."""
    scoping.require(actor, "inspection.record", asset)

    def write(processed, photo_errors, stored):
        with transaction.atomic():
            scoping.require(actor, "inspection.record", asset)
            current = _lock(asset)
            errors = {}
            if current.status == AssetStatus.RETIRED:
                raise IllegalTransition(_("A retired asset is no longer inspected."))
            if done_on > timezone.localdate():
                errors["done_on"] = _("The inspection date cannot be in the future.")
            elif done_on < current.commissioned_on:
                errors["done_on"] = _("The inspection date cannot be before the asset was commissioned.")
            if condition not in Condition.values:
                errors["condition"] = _("Choose a condition from 1 to 5.")
            _check_position(latitude, longitude, errors)
            if photo_errors:
                errors["photos"] = photo_errors
            items = _check_checklist(current.kind, checklist or {})
            if fault is not None:
                _check_fault(fault, errors)
            if errors:
                raise InvalidInput(field_errors=errors)
            inspection = Inspection.objects.select_for_update().filter(asset=current, status=InspectionStatus.DUE).first()
            before = audit.snapshot(inspection) if inspection else None
            if inspection is None:
                inspection = Inspection(asset=current, due_on=done_on, scheduled=False)
            inspection.status, inspection.done_on, inspection.condition = InspectionStatus.DONE, done_on, condition
            inspection.checklist, inspection.notes = items, (notes or "").strip()
            inspection.latitude, inspection.longitude, inspection.inspector = latitude, longitude, _user(actor)
            inspection.save()
            if before is None:
                audit.record_create(actor=actor, obj=inspection)
            else:
                audit.record(actor=actor, action=AuditAction.TRANSITION, obj=inspection,
                             changes=audit.diff(before, audit.snapshot(inspection)))
            photo_processing.store_photos(InspectionPhoto, "inspection", inspection, processed, actor, stored)
            if fault is not None:
                _fault_create(actor, current, severity=fault["severity"], description=fault["description"],
                              reported_on=done_on, inspection=inspection)
            village_changed(current.village_id)
            return inspection

    return photo_processing.with_photos(photos, write)


# --- faults --------------------------------------------------------------------------------------------------

def repair_deadline(severity: str, reported_on: datetime.date) -> datetime.date:
    return reported_on + datetime.timedelta(days=REPAIR_DAYS[severity])


def _check_fault(data: dict, errors: dict) -> None:
    if data.get("severity") not in Severity.values:
        errors["severity"] = _("Choose one of the listed values.")
    if not (data.get("description") or "").strip():
        errors["description"] = _("Say what is broken.")


def _fault_create(actor, asset, *, severity, description, reported_on, inspection=None) -> Fault:
    fault = Fault.objects.create(
        asset=asset, inspection=inspection, severity=severity, description=description.strip(), reported_on=reported_on,
        deadline=repair_deadline(severity, reported_on), reported_by=_user(actor),
    )
    audit.record_create(actor=actor, obj=fault)
    return fault


def fault_report(
    *, actor, asset: Asset, severity: str, description: str, reported_on: datetime.date | None = None, photos=(),
) -> Fault:
    """Report a fault of an asset directly (not at an inspection); its repair deadline follows from its severity."""
    scoping.require(actor, "fault.report", asset)

    def write(processed, photo_errors, stored):
        with transaction.atomic():
            scoping.require(actor, "fault.report", asset)
            current = _lock(asset)
            if current.status == AssetStatus.RETIRED:
                raise IllegalTransition(_("A retired asset has no faults to repair."))
            day = reported_on or timezone.localdate()
            errors = {}
            _check_fault({"severity": severity, "description": description}, errors)
            if day > timezone.localdate():
                errors["reported_on"] = _("The date cannot be in the future.")
            if photo_errors:
                errors["photos"] = photo_errors
            if errors:
                raise InvalidInput(field_errors=errors)
            fault = _fault_create(actor, current, severity=severity, description=description, reported_on=day)
            photo_processing.store_photos(FaultPhoto, "fault", fault, processed, actor, stored, stage=FaultPhotoStage.REPORTED)
            village_changed(current.village_id)
            return fault

    return photo_processing.with_photos(photos, write)


def _lock_fault(fault: Fault) -> Fault:
    return Fault.objects.select_for_update(of=("self",)).select_related("asset").get(pk=fault.pk)


def _check_day(day: datetime.date, not_before: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise InvalidInput(field_errors={field: _("The date cannot be in the future.")})
    if day < not_before:
        raise InvalidInput(field_errors={field: _("The date cannot be before %(date)s.") % {"date": not_before.isoformat()}})


def _fault_step(actor, fault: Fault, to_status: str, changes: dict, note: str = "") -> Fault:
    before = audit.snapshot(fault)
    fault.status = to_status
    for field, value in changes.items():
        setattr(fault, field, value)
    fault.save()
    audit.record(actor=actor, action=AuditAction.TRANSITION, obj=fault, changes=audit.diff(before, audit.snapshot(fault)), note=note)
    village_changed(fault.asset.village_id)
    return fault


def fault_start_repair(*, actor, fault: Fault, on_date: datetime.date | None = None) -> Fault:
    """reported → repairing: someone is on it."""
    with transaction.atomic():
        scoping.require(actor, "fault.repair", fault)
        current = _lock_fault(fault)
        if current.status != FaultStatus.REPORTED:
            raise IllegalTransition(_("Only a reported fault can go under repair; this one is %(status)s.")
                                    % {"status": current.get_status_display()})
        day = on_date or timezone.localdate()
        _check_day(day, current.reported_on, "repair_started_on")
        return _fault_step(actor, current, FaultStatus.REPAIRING, {"repair_started_on": day})


def fault_mark_repaired(*, actor, fault: Fault, repaired_on: datetime.date, notes: str, photos=()) -> Fault:
    """reported or repairing → repaired, with what was done and at least one photo of the result, for the township
    to verify."""
    scoping.require(actor, "fault.repair", fault)

    def write(processed, photo_errors, stored):
        with transaction.atomic():
            scoping.require(actor, "fault.repair", fault)
            current = _lock_fault(fault)
            if current.status not in OPEN_FAULT_STATUSES:
                raise IllegalTransition(_("This fault is %(status)s: it cannot be marked repaired.")
                                        % {"status": current.get_status_display()})
            _check_day(repaired_on, current.repair_started_on or current.reported_on, "repaired_on")
            errors = {}
            if not (notes or "").strip():
                errors["repair_notes"] = _("Say what was repaired.")
            if photo_errors:
                errors["photos"] = photo_errors
            elif not processed:
                errors["photos"] = [_("Add at least one photo of the repair.")]
            if errors:
                raise InvalidInput(field_errors=errors)
            changes = {"repaired_on": repaired_on, "repair_notes": notes.strip()}
            if current.repair_started_on is None:
                changes["repair_started_on"] = repaired_on
            _fault_step(actor, current, FaultStatus.REPAIRED, changes)
            photo_processing.store_photos(FaultPhoto, "fault", current, processed, actor, stored, stage=FaultPhotoStage.REPAIRED)
            return current

    return photo_processing.with_photos(photos, write)


def fault_verify(*, actor, fault: Fault, on_date: datetime.date | None = None) -> Fault:
    """repaired → verified: the township has seen the repair and accepts it."""
    with transaction.atomic():
        scoping.require(actor, "fault.verify", fault)
        current = _lock_fault(fault)
        if current.status != FaultStatus.REPAIRED:
            raise IllegalTransition(_("Only a repaired fault can be verified; this one is %(status)s.")
                                    % {"status": current.get_status_display()})
        day = on_date or timezone.localdate()
        _check_day(day, current.repaired_on, "verified_on")
        return _fault_step(actor, current, FaultStatus.VERIFIED, {"verified_on": day, "verified_by": _user(actor)})


def fault_reject_repair(*, actor, fault: Fault, reason: str) -> Fault:
    """repaired → repairing: the township does not accept the repair; the reason is kept and the deadline stands."""
    with transaction.atomic():
        scoping.require(actor, "fault.verify", fault)
        current = _lock_fault(fault)
        if current.status != FaultStatus.REPAIRED:
            raise IllegalTransition(_("Only a repaired fault can be sent back; this one is %(status)s.")
                                    % {"status": current.get_status_display()})
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput(field_errors={"reason": _("Say what is still wrong.")})
        return _fault_step(actor, current, FaultStatus.REPAIRING, {"repaired_on": None}, note=reason[:2000])
