"""Writes of assets, keepers and their assignments.

Every function checks the actor's right through the gate (core.scoping), runs in one transaction, locks the row
it changes and writes its audit rows in that same transaction.
"""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, scoping
from core.exceptions import Conflict, IllegalTransition, InvalidInput
from core.models import AuditAction
from projects.models import MaintenanceBody, ProjectStatus

from .models import (
    Asset,
    AssetKind,
    AssetStatus,
    AssetUnit,
    ChiefType,
    Keeper,
    KeeperAssignment,
    OwnerKind,
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
        before = audit.snapshot(current)
        current.status, current.retired_on = AssetStatus.RETIRED, on_date
        current.save()
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
        return assignment


def keeper_assign_village(*, actor, village, keeper: Keeper, chief_type: str, starts_on: datetime.date | None = None) -> KeeperAssignment:
    """Make a keeper answerable for a village as a whole (a river chief for its streams), from a day on."""
    with transaction.atomic():
        scoping.require(actor, "keeper.assign", village)
        if chief_type not in ChiefType.values:
            raise InvalidInput(field_errors={"chief_type": _("Choose one of the listed values.")})
        _check_keeper_reaches(keeper, village.code)
        assignment = KeeperAssignment.objects.create(
            keeper=keeper, chief_type=chief_type, village=village, starts_on=starts_on or timezone.localdate(),
            created_by=_user(actor),
        )
        audit.record_create(actor=actor, obj=assignment)
        return assignment
