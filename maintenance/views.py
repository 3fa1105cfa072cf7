"""Maintenance pages: they declare querysets, filters and templates; writes go through maintenance.services."""
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.exceptions import NotPermitted
from core.views import ScopedDetailView, ScopedListView, confirmation, is_confirmed, perform, portal_view
from projects.models import ProjectStatus
from projects.selectors import project_list
from villages.models import Region, Village

from . import selectors, services
from .filters import AssetFilterSet, KeeperFilterSet
from .forms import AssetCreateForm, AssetForm, AssignForm, KeeperCreateForm, KeeperForm, RetireForm
from .models import AssetStatus, chief_for


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
