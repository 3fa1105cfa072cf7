"""Writes of the funding ledger: sources, allocations, disbursements, reversals.

Every function checks the actor through the gate, runs in one short
transaction, locks the rows its balance check depends on and only those
(select_for_update(of=("self",)): a joined region or source row is read, not
locked), always in the same order: funding sources, then allocations, then the
project (or the asset, for upkeep money), each by primary key; and writes its audit row in that transaction.

An allocation goes either to a project (construction) or to an asset's upkeep (管护经费, ``upkeep_allocation_create``):
the same sources, balances, refusals and reversals. The conditions of a project (approved, not cancelled; 先建后补
paid only after acceptance) apply to construction only: an asset is a facility already built and accepted, so upkeep
money needs an asset in service when it is allocated, and its payments follow the source's other rules (以奖代补:
after the village passes its assessment). A payment out of an upkeep allocation of an asset retired since is allowed
(the upkeep of the time it served); what is left is reversed by the finance officer.
Refusals are domain errors that name the field; nothing is written.

Entries are never edited or deleted: a mistake is corrected by a reversal.
"""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import PASSING_GRADES, Assessment, AssessmentStatus
from core import audit, scoping
from core.changes import village_changed
from core.exceptions import Conflict, InvalidInput, NotPermitted
from core.models import AuditAction
from maintenance.models import Asset, AssetStatus
from projects.models import Project, ProjectStatus

from .models import Allocation, Disbursement, FundingSource, Mechanism, SourceKind

S = ProjectStatus
CENT = Decimal("0.01")
# Money flows only to projects that county staff have approved and not cancelled.
FUNDABLE_STATUSES = (S.APPROVED, S.UNDER_CONSTRUCTION, S.SUSPENDED, S.COMPLETED, S.ACCEPTED)
SOURCE_FIELDS = ("name", "kind", "mechanism", "region", "beneficiary_region", "village", "fiscal_year", "total_amount",
                 "document_no", "note")
SOURCE_EDITABLE = ("name", "total_amount", "beneficiary_region", "document_no", "note")


class OverCommitted(Conflict):
    code = "over_committed"


class MechanismNotMet(Conflict):
    code = "mechanism_condition_not_met"


class OutsideEarmark(Conflict):
    """The source is earmarked for another region (FundingSource.beneficiary_region)."""

    code = "outside_earmark"


def _amount(value, field="amount") -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(field_errors={field: _("Enter an amount in yuan, such as 120000 or 120000.50.")}) from None
    if amount <= 0:
        raise InvalidInput(field_errors={field: _("The amount must be greater than zero.")})
    if amount >= Decimal("1e14"):
        raise InvalidInput(field_errors={field: _("The amount is too large.")})
    return amount


# The programme began in 2003: no ledger entry is dated before it (also a database constraint).
LEDGER_EPOCH = datetime.date(2003, 1, 1)


def _entry_date(day: datetime.date, field: str, *, reason: str, fiscal_year: int | None = None) -> str:
    """The window a finance officer accepts for the date of a new entry: not in the future, not before 2003; a
    date before the source's fiscal year or more than LEDGER_BACKDATE_DAYS back needs a reason (kept on the entry
    and in its audit row). Returns the reason, stripped."""
    today = timezone.localdate()
    reason = (reason or "").strip()
    if day > today:
        raise InvalidInput(field_errors={field: _("The date cannot be in the future.")})
    if day < LEDGER_EPOCH:
        raise InvalidInput(field_errors={field: _("The date cannot be before 2003, when the programme began.")})
    days = settings.LEDGER_BACKDATE_DAYS
    before_year = fiscal_year is not None and day < datetime.date(fiscal_year, 1, 1)
    if (before_year or day < today - datetime.timedelta(days=days)) and not reason:
        why = (_("It is before the source's fiscal year (%(year)s).") % {"year": fiscal_year} if before_year
               else _("It is more than %(days)s days ago.") % {"days": days})
        raise InvalidInput(
            _("An entry dated %(date)s needs a reason for the earlier date. %(why)s") % {"date": day.isoformat(), "why": why},
            field_errors={field: why, "reason": _("Give the reason for the earlier date (it is kept with the entry).")},
        )
    return reason


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(field_errors={"reason": _("Please give a reason for the reversal.")})
    return reason


def _fmt(amount: Decimal) -> str:
    return f"{amount:,.2f}"


# --- balances (read under the locks taken by the callers) ---------------------

def source_allocated(source_id: int) -> Decimal:
    return Allocation.objects.filter(source_id=source_id).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def allocation_net(allocation: Allocation) -> Decimal:
    """The allocation's amount less its reversal, if any."""
    reversed_by = Allocation.objects.filter(reverses_id=allocation.pk).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return allocation.amount + reversed_by


def allocation_disbursed(allocation_id: int) -> Decimal:
    return Disbursement.objects.filter(allocation_id=allocation_id).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


# --- sources ---------------------------------------------------------------------

def funding_source_create(*, actor, data: dict) -> FundingSource:
    with transaction.atomic():
        unknown = set(data) - set(SOURCE_FIELDS)
        if unknown:
            raise InvalidInput(field_errors={f: _("This field cannot be set here.") for f in unknown})
        region = data.get("region")
        if region is None:
            raise InvalidInput(field_errors={"region": _("Choose the administering region.")})
        scoping.require(actor, "funding_source.manage", region)
        errors = {}
        if data.get("kind") not in SourceKind.values:
            errors["kind"] = _("Choose a kind of money.")
        if data.get("mechanism") not in Mechanism.values:
            errors["mechanism"] = _("Choose a mechanism.")
        village = data.get("village")
        if village is not None and not village.code.startswith(region.code):
            errors["village"] = _("The village is not in the administering region.")
        beneficiary = data.get("beneficiary_region")
        if beneficiary is not None:
            problem = _earmark_problem(region, beneficiary, village)
            if problem:
                errors["beneficiary_region"] = problem
        if not (data.get("name") or "").strip():
            errors["name"] = _("Give the source a name.")
        if errors:
            raise InvalidInput(field_errors=errors)
        values = {**data, "total_amount": _amount(data.get("total_amount"), "total_amount"), "name": data["name"].strip()}
        if FundingSource.objects.filter(region=region, fiscal_year=values["fiscal_year"], name=values["name"]).exists():
            raise InvalidInput(field_errors={"name": _("This region already has a source of that name for that year.")})
        source = FundingSource.objects.create(created_by=actor, **values)
        audit.record_create(actor=actor, obj=source)
        return source


def funding_source_update(*, actor, source: FundingSource, data: dict) -> FundingSource:
    """Change a source's name, total, document number or note; the total never below what is allocated."""
    with transaction.atomic():
        scoping.require(actor, "funding_source.manage", source.region)
        unknown = set(data) - set(SOURCE_EDITABLE)
        if unknown:
            raise InvalidInput(field_errors={f: _("This field cannot be changed.") for f in unknown})
        current = FundingSource.objects.select_for_update(of=("self",)).get(pk=source.pk)
        before = audit.snapshot(current)
        if "total_amount" in data:
            total = _amount(data["total_amount"], "total_amount")
            allocated = source_allocated(current.pk)
            if total < allocated:
                raise OverCommitted(
                    _("%(allocated)s yuan of this source is already allocated; the total cannot be lower.")
                    % {"allocated": _fmt(allocated)},
                    field_errors={"total_amount": _("At least %(allocated)s.") % {"allocated": _fmt(allocated)}},
                )
            data = {**data, "total_amount": total}
        if "beneficiary_region" in data and data["beneficiary_region"] != current.beneficiary_region:
            earmark = data["beneficiary_region"]
            problem = _earmark_problem(current.region, earmark, current.village) if earmark is not None else ""
            if problem:
                raise InvalidInput(field_errors={"beneficiary_region": problem})
            if earmark is not None:
                elsewhere = Allocation.objects.filter(source=current).exclude(village__code__startswith=earmark.code)
                if elsewhere.exists():
                    raise OutsideEarmark(
                        _("Money of this source is already allocated outside %(earmark)s.") % {"earmark": earmark.name},
                        field_errors={"beneficiary_region": _("Allocations exist outside this region.")},
                    )
        for field, value in data.items():
            setattr(current, field, value.strip() if isinstance(value, str) else value)
        current.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        return current


def _earmark_problem(region, beneficiary, village=None) -> str:
    """Why ``beneficiary`` cannot be the earmark of a source administered by ``region`` (empty when it can)."""
    if beneficiary.code == region.code or not beneficiary.code.startswith(region.code):
        return _("Choose a region below the administering region (%(region)s).") % {"region": region.name}
    if village is not None and not village.code.startswith(beneficiary.code):
        return _("The source's village is not in this region.")
    return ""


# --- allocations -------------------------------------------------------------------

def _check_source_serves(source: FundingSource, target: Project | Asset) -> None:
    """The source may fund ``target`` (a project, or an asset's upkeep) in its village: the rule of
    selectors.serving."""
    village, upkeep = target.village, isinstance(target, Asset)
    if source.village_id and source.village_id != village.pk:
        message = (_("“%(source)s” is for %(only)s only; this asset is in %(village)s.") if upkeep
                   else _("“%(source)s” is for %(only)s only; this project is in %(village)s."))
        raise InvalidInput(
            message % {"source": source.name, "only": source.village.short_name, "village": village.short_name},
            field_errors={"source": _("Only for %(only)s.") % {"only": source.village.short_name}},
        )
    if not village.pk.startswith(source.region_id):
        field = (_("This source cannot pay the upkeep of an asset of %(village)s.") if upkeep
                 else _("This source cannot fund a project of %(village)s."))
        raise InvalidInput(
            _("“%(source)s” is administered by %(region)s; %(village)s is not in its area.")
            % {"source": source.name, "region": source.region.name, "village": village.short_name},
            field_errors={"source": field % {"village": village.short_name}},
        )
    earmark = source.beneficiary_region
    if earmark is not None and not village.pk.startswith(earmark.code):
        message = (_("“%(source)s” is earmarked for %(earmark)s; this asset is in another area.") if upkeep
                   else _("“%(source)s” is earmarked for %(earmark)s; this project is in another area."))
        raise OutsideEarmark(
            message % {"source": source.name, "earmark": earmark.name},
            field_errors={"source": _("Earmarked for %(earmark)s.") % {"earmark": earmark.name}},
        )


def _check_fundable(project: Project) -> None:
    if project.status == S.CANCELLED:
        raise Conflict(_("The project is cancelled: no money can go to it."), field_errors={"project": _("The project is cancelled.")})
    if project.status not in FUNDABLE_STATUSES:
        raise Conflict(
            _("Money goes only to approved projects; this one is %(status)s.") % {"status": project.get_status_display()},
            field_errors={"project": _("Not approved yet.")},
        )


def allocation_create(
    *, actor, source: FundingSource, project: Project, amount, allocated_on: datetime.date | None = None, reason: str = ""
) -> Allocation:
    """Commit money of a source to a project. ``reason`` is needed only for an earlier date (see _entry_date)."""
    with transaction.atomic():
        scoping.require(actor, "allocation.create", project)
        if not scoping.can(actor, "view", source):
            raise NotPermitted("allocation.create")
        amount = _amount(amount)
        allocated_on = allocated_on or timezone.localdate()
        reason = _entry_date(allocated_on, "allocated_on", reason=reason, fiscal_year=source.fiscal_year)
        # Lock order: source, then project.
        source = FundingSource.objects.select_for_update(of=("self",)).select_related("region", "beneficiary_region").get(pk=source.pk)
        project = Project.objects.select_for_update(of=("self",)).select_related("village").get(pk=project.pk)
        _check_source_serves(source, project)
        _check_fundable(project)
        _check_unallocated(source, amount)
        allocation = Allocation.objects.create(
            source=source, project=project, village_id=project.village_id, amount=amount, allocated_on=allocated_on,
            reason=reason, created_by=actor,
        )
        audit.record_create(actor=actor, obj=allocation, note=reason)
        village_changed(project.village_id)
        return allocation


def _check_unallocated(source: FundingSource, amount: Decimal) -> None:
    """Refuse more than the source's unallocated balance (read under the source's lock)."""
    available = source.total_amount - source_allocated(source.pk)
    if amount > available:
        raise OverCommitted(
            _("Only %(available)s yuan of “%(source)s” is unallocated; %(amount)s was asked.")
            % {"available": _fmt(available), "source": source.name, "amount": _fmt(amount)},
            field_errors={"amount": _("At most %(available)s.") % {"available": _fmt(available)}},
            available=str(available),
        )


def upkeep_allocation_create(
    *, actor, source: FundingSource, asset: Asset, amount, allocated_on: datetime.date | None = None, reason: str = ""
) -> Allocation:
    """Commit money of a source to an asset's upkeep (管护经费): the same permission, balance, refusals, dates and
    lock order as for a project (the source, then the asset). Refused for an asset that is retired."""
    with transaction.atomic():
        scoping.require(actor, "allocation.create", asset)
        if not scoping.can(actor, "view", source):
            raise NotPermitted("allocation.create")
        amount = _amount(amount)
        allocated_on = allocated_on or timezone.localdate()
        reason = _entry_date(allocated_on, "allocated_on", reason=reason, fiscal_year=source.fiscal_year)
        # Lock order: source, then asset.
        source = FundingSource.objects.select_for_update(of=("self",)).select_related("region", "beneficiary_region").get(pk=source.pk)
        asset = Asset.objects.select_for_update(of=("self",)).select_related("village").get(pk=asset.pk)
        _check_source_serves(source, asset)
        if asset.status == AssetStatus.RETIRED:
            raise Conflict(_("The asset is retired: no upkeep money can go to it."),
                           field_errors={"asset": _("The asset is retired.")})
        _check_unallocated(source, amount)
        allocation = Allocation.objects.create(
            source=source, asset=asset, village_id=asset.village_id, amount=amount, allocated_on=allocated_on,
            reason=reason, created_by=actor,
        )
        audit.record_create(actor=actor, obj=allocation, note=reason)
        village_changed(asset.village_id)
        return allocation


def allocation_reverse(*, actor, allocation: Allocation, reason: str) -> Allocation:
    """Take back an allocation (a mistake): a negative entry that names it. Its payments must be reversed first."""
    with transaction.atomic():
        scoping.require(actor, "allocation.create", allocation)
        reason = _reason(reason)
        FundingSource.objects.select_for_update(of=("self",)).get(pk=allocation.source_id)
        original = Allocation.objects.select_for_update(of=("self",)).get(pk=allocation.pk)
        if original.reverses_id is not None:
            raise Conflict(_("A reversal cannot itself be reversed."))
        if Allocation.objects.filter(reverses_id=original.pk).exists():
            raise Conflict(_("This allocation has already been reversed."))
        disbursed = allocation_disbursed(original.pk)
        if disbursed != 0:
            raise Conflict(
                _("%(disbursed)s yuan has been paid out of this allocation; reverse those payments first.")
                % {"disbursed": _fmt(disbursed)}
            )
        reversal = Allocation.objects.create(
            source_id=original.source_id, project_id=original.project_id, asset_id=original.asset_id,
            village_id=original.village_id, amount=-original.amount,
            allocated_on=timezone.localdate(), reverses=original, reason=reason, created_by=actor,
        )
        audit.record_create(actor=actor, obj=reversal, note=reason)
        village_changed(original.village_id)
        return reversal


# --- disbursements -----------------------------------------------------------------

def _check_mechanism(source: FundingSource, project: Project | None, village_code: str) -> None:
    """先建后补 waits for the project's acceptance (construction money only: an asset is built and accepted
    already); 以奖代补 waits for the village's passing assessment of the source's year (both purposes)."""
    if project is not None and source.mechanism == Mechanism.BUILD_THEN_SUBSIDIZE and project.status != S.ACCEPTED:
        raise MechanismNotMet(
            _("“%(source)s” is paid only after the project is accepted (先建后补); it is %(status)s.")
            % {"source": source.name, "status": project.get_status_display()}
        )
    if source.mechanism == Mechanism.REWARD_IN_LIEU:
        passed = Assessment.objects.filter(
            village_id=village_code, status=AssessmentStatus.FINALISED, grade__in=PASSING_GRADES,
            period__startswith=str(source.fiscal_year),
        ).exists()
        if not passed:
            raise MechanismNotMet(
                _("“%(source)s” is paid only after the village passes its %(year)s assessment (以奖代补).")
                % {"source": source.name, "year": source.fiscal_year}
            )


def disbursement_create(
    *, actor, allocation: Allocation, amount, paid_on: datetime.date, voucher_no: str, reason: str = ""
) -> Disbursement:
    """Pay out of an allocation. ``reason`` is needed only for an earlier date (see _entry_date)."""
    with transaction.atomic():
        scoping.require(actor, "disbursement.create", allocation)
        amount = _amount(amount)
        reason = _entry_date(paid_on, "paid_on", reason=reason)
        voucher_no = (voucher_no or "").strip()
        if not voucher_no:
            raise InvalidInput(field_errors={"voucher_no": _("Give the payment voucher number.")})
        # Lock order: allocation, then project (or asset).
        current = Allocation.objects.select_for_update(of=("self",)).select_related("source").get(pk=allocation.pk)
        if current.project_id is not None:
            project = Project.objects.select_for_update(of=("self",)).get(pk=current.project_id)
        else:
            project = None
            Asset.objects.select_for_update(of=("self",)).get(pk=current.asset_id)
        if current.reverses_id is not None:
            raise InvalidInput(field_errors={"allocation": _("Nothing can be paid out of a reversal.")})
        # The same statuses as for an allocation: the allocation was made while the project was fundable, but a
        # payment must not follow it to a project that is cancelled since (or one that was never approved).
        if project is not None:
            _check_fundable(project)
        _check_mechanism(current.source, project, current.village_id)
        if paid_on < current.allocated_on:
            raise InvalidInput(field_errors={"paid_on": _("The payment cannot be before the allocation (%(date)s).") % {"date": current.allocated_on}})
        available = allocation_net(current) - allocation_disbursed(current.pk)
        if amount > available:
            raise OverCommitted(
                _("Only %(available)s yuan of this allocation is still to be paid; %(amount)s was asked.")
                % {"available": _fmt(available), "amount": _fmt(amount)},
                field_errors={"amount": _("At most %(available)s.") % {"available": _fmt(available)}},
                available=str(available),
            )
        if Disbursement.objects.filter(allocation=current, voucher_no=voucher_no, reverses__isnull=True).exists():
            raise InvalidInput(field_errors={"voucher_no": _("This voucher number is already recorded for this allocation.")})
        try:
            with transaction.atomic():
                disbursement = Disbursement.objects.create(
                    allocation=current, amount=amount, paid_on=paid_on, voucher_no=voucher_no, reason=reason, created_by=actor
                )
        except IntegrityError:
            raise InvalidInput(field_errors={"voucher_no": _("This voucher number is already recorded for this allocation.")}) from None
        audit.record_create(actor=actor, obj=disbursement, note=reason)
        village_changed(current.village_id)
        return disbursement


def disbursement_reverse(*, actor, disbursement: Disbursement, reason: str) -> Disbursement:
    with transaction.atomic():
        scoping.require(actor, "disbursement.create", disbursement.allocation)
        reason = _reason(reason)
        Allocation.objects.select_for_update(of=("self",)).get(pk=disbursement.allocation_id)
        original = Disbursement.objects.select_for_update(of=("self",)).get(pk=disbursement.pk)
        if original.reverses_id is not None:
            raise Conflict(_("A reversal cannot itself be reversed."))
        if Disbursement.objects.filter(reverses_id=original.pk).exists():
            raise Conflict(_("This payment has already been reversed."))
        reversal = Disbursement.objects.create(
            allocation_id=original.allocation_id, amount=-original.amount, paid_on=timezone.localdate(),
            voucher_no=original.voucher_no, reverses=original, reason=reason, created_by=actor,
        )
        audit.record_create(actor=actor, obj=reversal, note=reason)
        village_changed(disbursement.allocation.village_id)
        return reversal
