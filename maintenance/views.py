"""Maintenance pages: they declare querysets, filters and templates; writes go through maintenance.services."""
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.body_limits import body_limit
from core.divisions import RegionLevel
from core.exceptions import NotPermitted
from core.files import photo_response
from core.views import ScopedDetailView, ScopedListView, confirmation, is_confirmed, perform, portal_view, render_detail
from projects import photos as photo_rules
from projects.models import ProjectStatus
from projects.selectors import project_list
from villages.models import Region, Village

from . import selectors, services
from .filters import AssetFilterSet, FaultFilterSet, InspectionFilterSet, KeeperFilterSet
from .forms import (
    AssetCreateForm,
    AssetForm,
    AssignForm,
    FaultReportForm,
    InspectionForm,
    IntervalForm,
    KeeperCreateForm,
    KeeperForm,
    RejectRepairForm,
    RepairForm,
    RetireForm,
)
from .models import (
    CHECKLISTS,
    DEFAULT_INTERVAL_DAYS,
    OPEN_FAULT_STATUSES,
    REPAIR_DAYS,
    AssetKind,
    AssetStatus,
    ChiefType,
    FaultPhotoStage,
    FaultStatus,
    InspectionStatus,
    KeeperAssignment,
    chief_for,
)


class AssetListView(ScopedListView):
    selector = selectors.asset_list
    filterset_class = AssetFilterSet
    template_name = "maintenance/asset_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_register=scoping.can_anywhere(self.request.user, "asset.manage"), **kwargs)


class AssetDetailView(ScopedDetailView):
    selector = selectors.asset_detail
    template_name = "maintenance/asset_detail.html"
    context_object_name = "asset"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, asset = self.request.user, self.object
        in_service = asset.status == AssetStatus.IN_SERVICE
        context["current"] = asset.current[0] if asset.current else None
        context["can_edit"] = in_service and scoping.can(user, "asset.manage", asset)
        context["can_assign"] = in_service and scoping.can(user, "keeper.assign", asset)
        context["retire_form"] = RetireForm(initial={"retired_on": timezone.localdate()})
        context["history"] = audit.history(asset)[:20]
        inspections = selectors.asset_inspections(asset)
        context["inspections"] = inspections
        context["next_due"] = next((i for i in inspections if i.status == InspectionStatus.DUE), None)
        context["open_faults"] = selectors.open_faults([asset]).get(asset.pk, [])
        context["today"] = timezone.localdate()
        context["can_inspect"] = in_service and scoping.can(user, "inspection.record", asset)
        context["can_report_fault"] = in_service and scoping.can(user, "fault.report", asset)
        # Upkeep money is kept in the funding ledger (a layer above): the page links to it.
        context["can_fund"] = in_service and scoping.can(user, "allocation.create", asset)
        return context


class KeeperListView(ScopedListView):
    selector = selectors.keeper_list
    filterset_class = KeeperFilterSet
    template_name = "maintenance/keeper_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_manage=scoping.can_anywhere(self.request.user, "keeper.manage"), **kwargs)


class KeeperDetailView(ScopedDetailView):
    selector = selectors.keeper_list
    template_name = "maintenance/keeper_detail.html"
    context_object_name = "keeper"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["assignments"] = selectors.keeper_assignments(self.object)[:200]
        context["can_edit"] = scoping.can(self.request.user, "keeper.manage", self.object)
        context["history"] = audit.history(self.object)[:20]
        return context


def _scoped_asset(request, pk):
    return get_object_or_404(selectors.asset_list(user=request.user), pk=pk)


def _asset_data(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k not in ("village", "project")}


@portal_view
def asset_create(request):
    if not scoping.can_anywhere(request.user, "asset.manage"):
        raise NotPermitted("asset.manage")
    initial = {"village": request.GET.get("village", ""), "commissioned_on": timezone.localdate()}
    project = None
    project_id = request.POST.get("project") or request.GET.get("project")
    if project_id and str(project_id).isascii() and str(project_id).isdigit():
        # More assets of an accepted project: the project's village, kind and owner to start from.
        project = get_object_or_404(project_list(user=request.user), pk=int(project_id), status=ProjectStatus.ACCEPTED)
        first = project.assets.order_by("id").first()
        initial.update(village=project.village_id, project=project.pk, name=project.name,
                       maintenance_body=project.maintenance_body, owner_name=project.property_owner)
        if first is not None:
            initial.update(kind=first.kind, unit=first.unit, owner_kind=first.owner_kind)
    form = AssetCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        village = get_object_or_404(
            scoping.restrict(Village.objects.all(), request.user, "asset.manage"), code=form.cleaned_data["village"]
        )
        outcome = perform(request, lambda: services.asset_register(
            actor=request.user, village=village, data=_asset_data(form), project=project,
        ), form=form, success=_("Asset registered."))
        if outcome.done:
            return redirect("maintenance:asset_detail", pk=outcome.result.pk)
    villages = scoping.restrict(Village.objects.only("code", "short_name"), request.user, "asset.manage")[:300]
    return render(request, "maintenance/asset_form.html", {"form": form, "villages": villages, "creating": True, "project": project})


@portal_view
def asset_edit(request, pk):
    asset = _scoped_asset(request, pk)
    if not scoping.can(request.user, "asset.manage", asset):
        raise NotPermitted("asset.manage")
    if asset.status == AssetStatus.RETIRED:
        return redirect("maintenance:asset_detail", pk=asset.pk)
    form = AssetForm(request.POST or None, instance=asset)
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.asset_update(actor=request.user, asset=asset, data=_asset_data(form)),
                          form=form, success=_("Asset saved."))
        if outcome.done:
            return redirect("maintenance:asset_detail", pk=asset.pk)
    return render(request, "maintenance/asset_form.html", {"form": form, "asset": asset})


@portal_view
@require_POST
def asset_retire(request, pk):
    asset = _scoped_asset(request, pk)
    if not scoping.can(request.user, "asset.manage", asset):
        raise NotPermitted("asset.manage")
    form = RetireForm(request.POST)
    if not is_confirmed(request):
        form.is_valid()
        return confirmation(
            request, title=_("Confirm: retire the asset"),
            question=_("Do you really want to retire “%(asset)s”?") % {"asset": asset.name},
            consequence=_("A retired asset can no longer be edited or handed over; its current keeper's assignment ends."),
            confirm_label=_("Yes, retire it"), back_url=reverse("maintenance:asset_detail", args=[asset.pk]),
            fields=[form["retired_on"], form["reason"]],
            facts=[(_("village"), asset.village.short_name), (_("asset kind"), asset.get_kind_display())],
        )
    if form.is_valid():
        perform(request, lambda: services.asset_retire(
            actor=request.user, asset=asset, on_date=form.cleaned_data["retired_on"], reason=form.cleaned_data["reason"],
        ), form=form, success=_("Asset retired."))
    else:
        perform(request, lambda: services.asset_retire(actor=request.user, asset=asset), success=_("Asset retired."))
    return redirect("maintenance:asset_detail", pk=asset.pk)


@portal_view
def asset_assign(request, pk):
    asset = _scoped_asset(request, pk)
    if not scoping.can(request.user, "keeper.assign", asset):
        raise NotPermitted("keeper.assign")
    if asset.status == AssetStatus.RETIRED:
        return redirect("maintenance:asset_detail", pk=asset.pk)
    keepers = selectors.assignable_keepers(user=request.user, asset=asset)
    form = AssignForm(request.POST or None, keepers=keepers,
                      initial={"starts_on": timezone.localdate(), "chief_type": chief_for(asset.kind)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.keeper_assign(
            actor=request.user, asset=asset, keeper=data["keeper"], chief_type=data["chief_type"], starts_on=data["starts_on"],
        ), form=form, success=_("Keeper assigned."))
        if outcome.done:
            return redirect("maintenance:asset_detail", pk=asset.pk)
    current = asset.current[0] if asset.current else None
    return render(request, "maintenance/assign_form.html", {"form": form, "asset": asset, "current": current,
                                                            "can_add_keeper": scoping.can_anywhere(request.user, "keeper.manage")})


def _roster_regions(user):
    """The townships and counties whose rosters the user keeps."""
    regions = scoping.restrict(Region.objects.filter(level__in=("county", "township")), user, "keeper.manage")
    return list(regions.order_by("code")[:300])


@portal_view
def keeper_create(request):
    if not scoping.can_anywhere(request.user, "keeper.manage"):
        raise NotPermitted("keeper.manage")
    regions = _roster_regions(request.user)
    initial = {"region": regions[0].code} if len(regions) == 1 else {}
    form = KeeperCreateForm(request.POST or None, regions=regions, initial=initial)
    if request.method == "POST" and form.is_valid():
        region = get_object_or_404(
            scoping.restrict(Region.objects.all(), request.user, "keeper.manage"), code=form.cleaned_data["region"]
        )
        data = {k: v for k, v in form.cleaned_data.items() if k != "region"}
        outcome = perform(request, lambda: services.keeper_create(actor=request.user, region=region, data=data),
                          form=form, success=_("Keeper added to the roster."))
        if outcome.done:
            back = request.GET.get("asset", "")
            if back.isascii() and back.isdigit():
                return redirect("maintenance:asset_assign", pk=int(back))
            return redirect("maintenance:keeper_detail", pk=outcome.result.pk)
    return render(request, "maintenance/keeper_form.html", {"form": form, "creating": True})


@portal_view
def keeper_edit(request, pk):
    keeper = get_object_or_404(selectors.keeper_list(user=request.user), pk=pk)
    if not scoping.can(request.user, "keeper.manage", keeper):
        raise NotPermitted("keeper.manage")
    form = KeeperForm(request.POST or None, instance=keeper)
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.keeper_update(actor=request.user, keeper=keeper, data=dict(form.cleaned_data)),
                          form=form, success=_("Keeper saved."))
        if outcome.done:
            return redirect("maintenance:keeper_detail", pk=keeper.pk)
    return render(request, "maintenance/keeper_form.html", {"form": form, "keeper": keeper})


# --- inspections and faults ----------------------------------------------------------------------------------

class InspectionListView(ScopedListView):
    selector = selectors.inspection_list
    filterset_class = InspectionFilterSet
    template_name = "maintenance/inspection_list.html"

    def get_queryset(self):
        # The latest due first (the order the index inspection_due_order_idx serves).
        return super().get_queryset().order_by("-due_on", "-id")

    def get_context_data(self, **kwargs):
        return super().get_context_data(today=timezone.localdate(), **kwargs)


def checklist_rows(kind: str, checklist: dict) -> list[tuple[str, bool | None]]:
    """The kind's checklist items in their order with what was found (None: not recorded)."""
    return [(label, checklist.get(key)) for key, label in CHECKLISTS.get(kind, ())]


class InspectionDetailView(ScopedDetailView):
    selector = selectors.inspection_detail
    template_name = "maintenance/inspection_detail.html"
    context_object_name = "inspection"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection = self.object
        context["checklist"] = checklist_rows(inspection.asset.kind, inspection.checklist or {})
        context["today"] = timezone.localdate()
        context["can_inspect"] = (
            inspection.status == InspectionStatus.DUE and inspection.asset.status == AssetStatus.IN_SERVICE
            and scoping.can(self.request.user, "inspection.record", inspection)
        )
        return context


class FaultListView(ScopedListView):
    selector = selectors.fault_list
    filterset_class = FaultFilterSet
    template_name = "maintenance/fault_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(today=timezone.localdate(), open_statuses=OPEN_FAULT_STATUSES, **kwargs)


class FaultDetailView(ScopedDetailView):
    selector = selectors.fault_detail
    template_name = "maintenance/fault_detail.html"
    context_object_name = "fault"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, fault = self.request.user, self.object
        photos = list(fault.photos.all())
        context["reported_photos"] = [p for p in photos if p.stage == FaultPhotoStage.REPORTED]
        context["repair_photos"] = [p for p in photos if p.stage == FaultPhotoStage.REPAIRED]
        is_open = fault.status in OPEN_FAULT_STATUSES
        context["today"] = timezone.localdate()
        context["overdue"] = is_open and fault.deadline < context["today"]
        context["can_start"] = fault.status == FaultStatus.REPORTED and scoping.can(user, "fault.repair", fault)
        context["can_repair"] = is_open and scoping.can(user, "fault.repair", fault)
        context["can_verify"] = fault.status == FaultStatus.REPAIRED and scoping.can(user, "fault.verify", fault)
        context.setdefault("repair_form", RepairForm(initial={"repaired_on": timezone.localdate()}))
        context.setdefault("reject_form", RejectRepairForm())
        context["history"] = audit.history(fault)[:20]
        return context


@portal_view
def inspection_photo(request, pk, variant="image"):
    """An inspection photo or its thumbnail, through the gate (media is never served unguarded)."""
    return photo_response(get_object_or_404(selectors.inspection_photo_list(user=request.user), pk=pk), variant)


@portal_view
def fault_photo(request, pk, variant="image"):
    """A fault's photo (as reported, after the repair) or its thumbnail, through the gate."""
    return photo_response(get_object_or_404(selectors.fault_photo_list(user=request.user), pk=pk), variant)


@body_limit(photo_rules.UPLOAD_BODY_LIMIT)  # outermost: the middleware reads it from the resolved view
@portal_view
def asset_inspect(request, pk):
    """Record an inspection of the asset on a phone: it completes the asset's due inspection if one is open."""
    asset = _scoped_asset(request, pk)
    if not scoping.can(request.user, "inspection.record", asset):
        raise NotPermitted("inspection.record")
    if asset.status == AssetStatus.RETIRED:
        return redirect("maintenance:asset_detail", pk=asset.pk)
    form = InspectionForm(request.POST or None, request.FILES or None, kind=asset.kind,
                          initial={"done_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.inspection_record(
            actor=request.user, asset=asset, done_on=data["done_on"], condition=data["condition"],
            checklist=form.checklist_data(), notes=data["notes"], latitude=data["latitude"], longitude=data["longitude"],
            photos=data["photos"], fault=form.fault(),
        ), form=form, success=_("Inspection recorded."))
        if outcome.done:
            return redirect("maintenance:inspection_detail", pk=outcome.result.pk)
    due = asset.inspections.filter(status=InspectionStatus.DUE).first()
    return render(request, "maintenance/inspection_form.html", {"form": form, "asset": asset, "due": due,
                                                                "today": timezone.localdate()})


@body_limit(photo_rules.UPLOAD_BODY_LIMIT)
@portal_view
def asset_fault(request, pk):
    """Report a fault of the asset directly (not at an inspection), with photos."""
    asset = _scoped_asset(request, pk)
    if not scoping.can(request.user, "fault.report", asset):
        raise NotPermitted("fault.report")
    if asset.status == AssetStatus.RETIRED:
        return redirect("maintenance:asset_detail", pk=asset.pk)
    form = FaultReportForm(request.POST or None, request.FILES or None, initial={"reported_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.fault_report(
            actor=request.user, asset=asset, severity=data["severity"], description=data["description"],
            reported_on=data["reported_on"], photos=data["photos"],
        ), form=form, success=_("Fault reported."))
        if outcome.done:
            return redirect("maintenance:fault_detail", pk=outcome.result.pk)
    return render(request, "maintenance/fault_form.html", {"form": form, "asset": asset, "repair_days": REPAIR_DAYS})


def _scoped_fault(request, pk):
    return get_object_or_404(selectors.fault_detail(user=request.user), pk=pk)


@portal_view
@require_POST
def fault_start(request, pk):
    fault = _scoped_fault(request, pk)
    if not scoping.can(request.user, "fault.repair", fault):
        raise NotPermitted("fault.repair")
    perform(request, lambda: services.fault_start_repair(actor=request.user, fault=fault), success=_("Repair started."))
    return redirect("maintenance:fault_detail", pk=fault.pk)


@body_limit(photo_rules.UPLOAD_BODY_LIMIT)
@portal_view
@require_POST
def fault_repaired(request, pk):
    fault = _scoped_fault(request, pk)
    if not scoping.can(request.user, "fault.repair", fault):
        raise NotPermitted("fault.repair")
    form = RepairForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.fault_mark_repaired(
            actor=request.user, fault=fault, repaired_on=data["repaired_on"], notes=data["repair_notes"], photos=data["photos"],
        ), form=form, success=_("Repair recorded; the township verifies it."))
        if outcome.done:
            return redirect("maintenance:fault_detail", pk=fault.pk)
    return render_detail(FaultDetailView, request, fault, repair_form=form)


@portal_view
@require_POST
def fault_verify(request, pk):
    fault = _scoped_fault(request, pk)
    if not scoping.can(request.user, "fault.verify", fault):
        raise NotPermitted("fault.verify")
    perform(request, lambda: services.fault_verify(actor=request.user, fault=fault), success=_("Repair verified."))
    return redirect("maintenance:fault_detail", pk=fault.pk)


@portal_view
@require_POST
def fault_reject(request, pk):
    """Send a repair back (退回重修) with what is still wrong: a confirmation first."""
    fault = _scoped_fault(request, pk)
    if not scoping.can(request.user, "fault.verify", fault):
        raise NotPermitted("fault.verify")
    form = RejectRepairForm(request.POST)
    if not is_confirmed(request) or not form.is_valid():
        return confirmation(
            request, title=_("Confirm: send the repair back"),
            question=_("Do you really want to send the repair of “%(asset)s” back?") % {"asset": fault.asset.name},
            consequence=_("The fault goes back under repair; its repair deadline stands."),
            confirm_label=_("Yes, send it back"), back_url=reverse("maintenance:fault_detail", args=[fault.pk]),
            fields=[form["reason"]],
            facts=[(_("village"), fault.asset.village.short_name), (_("fault"), fault.description)],
        )
    perform(request, lambda: services.fault_reject_repair(actor=request.user, fault=fault, reason=form.cleaned_data["reason"]),
            success=_("Repair sent back."))
    return redirect("maintenance:fault_detail", pk=fault.pk)


# --- inspection intervals ------------------------------------------------------------------------------------

def _counties_of(user) -> list[Region]:
    """The counties whose intervals the user reads: the county of each of their grants, or the counties below it."""
    codes, prefixes = set(), set()
    for grant in scoping.grants(user):
        (codes if len(grant.code) >= 6 else prefixes).add(grant.code[:6])
    if scoping.is_unrestricted(user):
        prefixes.add("")
    counties = Region.objects.filter(level=RegionLevel.COUNTY)
    query = None
    for prefix in prefixes:
        q = counties.filter(code__startswith=prefix)
        query = q if query is None else query | q
    if codes:
        q = counties.filter(code__in=codes)
        query = q if query is None else query | q
    return list(query.order_by("code")[:300]) if query is not None else []


@portal_view
def intervals(request):
    """How often each kind of asset is inspected in a county: the county's own interval or the default; the county's
    staff change them."""
    counties = _counties_of(request.user)
    code = request.POST.get("county") or request.GET.get("county") or (counties[0].code if counties else "")
    county = next((c for c in counties if c.code == code), None)
    if county is None and (code or request.method == "POST"):
        raise Http404
    can_configure = county is not None and scoping.can(request.user, "maintenance.configure", county)
    form = None
    if request.method == "POST":
        if not can_configure:
            raise NotPermitted("maintenance.configure")
        kind = request.POST.get("kind", "")
        form = IntervalForm(request.POST, auto_id=f"id_{kind}_%s" if kind in AssetKind.values else "id_%s")
        if form.is_valid():
            data = form.cleaned_data
            outcome = perform(request, lambda: services.inspection_interval_set(
                actor=request.user, county=county, kind=data["kind"], days=data["days"],
            ), form=form, success=_("Inspection interval saved."))
            if outcome.done:
                return redirect(f"{reverse('maintenance:intervals')}?county={county.code}")
    own = selectors.county_intervals(county.code) if county else {}
    rows = []
    for kind, label in AssetKind.choices:
        days = own.get(kind, DEFAULT_INTERVAL_DAYS[kind])
        bound = form if form is not None and form.data.get("kind") == kind else None
        rows.append({
            "kind": kind, "label": label, "days": days, "own": kind in own, "default": DEFAULT_INTERVAL_DAYS[kind],
            "form": bound or IntervalForm(initial={"county": county.code if county else "", "kind": kind, "days": days},
                                          auto_id=f"id_{kind}_%s"),
        })
    return render(request, "maintenance/intervals.html", {
        "county": county, "counties": counties, "rows": rows, "can_configure": can_configure,
    })


# --- a village's own keepers (河长, 林长, 保洁员...) ---------------------------------------------------------------

@portal_view
def village_keepers(request, code):
    """Who answers for the village as a whole, their history, and (for those who assign keepers) a form to make a
    keeper answerable for it: a keeper of the same chief type hands over the day the new one starts."""
    village = get_object_or_404(scoping.restrict(Village.objects.select_related("township"), request.user), code=code)
    can_assign = scoping.can(request.user, "keeper.assign", village)
    form = None
    if can_assign:
        keepers = selectors.assignable_keepers(user=request.user, village=village)
        form = AssignForm(request.POST or None, keepers=keepers,
                          initial={"starts_on": timezone.localdate(), "chief_type": ChiefType.RIVER})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            outcome = perform(request, lambda: services.keeper_assign_village(
                actor=request.user, village=village, keeper=data["keeper"], chief_type=data["chief_type"],
                starts_on=data["starts_on"],
            ), form=form, success=_("Keeper assigned."))
            if outcome.done:
                return redirect("maintenance:village_keepers", code=village.code)
    elif request.method == "POST":
        raise NotPermitted("keeper.assign")
    assignments = selectors.village_keepers(user=request.user, village=village)
    return render(request, "maintenance/village_keepers.html", {
        "village": village, "form": form, "can_assign": can_assign,
        "current": [a for a in assignments if a.ends_on is None], "past": [a for a in assignments if a.ends_on is not None],
        "can_add_keeper": scoping.can_anywhere(request.user, "keeper.manage"),
    })


@portal_view
@require_POST
def village_keeper_end(request, pk):
    """End a keeper's responsibility for a village, after a confirmation."""
    assignment = get_object_or_404(
        scoping.restrict(KeeperAssignment.objects.filter(village__isnull=False).select_related("keeper", "village"), request.user),
        pk=pk,
    )
    if not scoping.can(request.user, "keeper.assign", assignment.village):
        raise NotPermitted("keeper.assign")
    back = reverse("maintenance:village_keepers", args=[assignment.village_id])
    if not is_confirmed(request):
        return confirmation(
            request, title=_("Confirm: end the responsibility"),
            question=_("Do you really want to end %(name)s's responsibility as %(chief)s of %(village)s?") % {
                "name": assignment.keeper.name, "chief": assignment.get_chief_type_display(), "village": assignment.village.short_name,
            },
            consequence=_("It ends today and stays in the history; nobody takes over until you assign someone."),
            confirm_label=_("Yes, end it"), back_url=back,
        )
    perform(request, lambda: services.keeper_assignment_end(actor=request.user, assignment=assignment),
            success=_("Responsibility ended."))
    return redirect(back)
