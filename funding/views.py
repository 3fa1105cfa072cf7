"""Ledger pages: they declare querysets, filters and templates; writes go through funding.services."""
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.exceptions import NotPermitted
from core.filters import ascii_digits
from core.views import ScopedDetailView, ScopedListView, confirmation, is_confirmed, perform, portal_view, render_detail
from maintenance.models import Asset, AssetStatus
from maintenance.selectors import asset_list
from projects.models import Project
from projects.selectors import project_list
from villages.models import CHILD_CODE_LENGTH, Region, Village

from . import selectors, services
from .filters import AllocationFilterSet, DisbursementFilterSet, FundingSourceFilterSet
from .forms import (
    AllocationForm,
    DisbursementForm,
    FundingSourceEditForm,
    FundingSourceForm,
    ReversalForm,
    UpkeepAllocationForm,
)


class FundingSourceListView(ScopedListView):
    selector = selectors.source_list
    filterset_class = FundingSourceFilterSet
    template_name = "funding/source_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            can_manage=scoping.can_anywhere(user, "funding_source.manage"),
            can_allocate=scoping.can_anywhere(user, "allocation.create"),
            **kwargs,
        )


class AllocationListView(ScopedListView):
    selector = selectors.allocation_list
    filterset_class = AllocationFilterSet
    template_name = "funding/allocation_list.html"


class UpkeepAllocationListView(ScopedListView):
    """Upkeep money (管护经费): the allocations to assets, filterable by region, village, asset and source."""

    selector = selectors.upkeep_allocation_list
    filterset_class = AllocationFilterSet
    template_name = "funding/upkeep_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_allocate=scoping.can_anywhere(self.request.user, "allocation.create"), **kwargs)


class DisbursementListView(ScopedListView):
    selector = selectors.disbursement_list
    filterset_class = DisbursementFilterSet
    template_name = "funding/disbursement_list.html"


class FundingSourceDetailView(ScopedDetailView):
    selector = selectors.source_list
    template_name = "funding/source_detail.html"
    context_object_name = "source"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, source = self.request.user, self.object
        context["allocations"] = selectors.allocation_list(user=user).filter(source=source).order_by("-allocated_on", "-id")[:200]
        context["can_manage"] = scoping.can(user, "funding_source.manage", source.region)
        context["can_allocate"] = scoping.can_anywhere(user, "allocation.create")
        context["history"] = audit.history(source)[:20]
        return context


class AllocationDetailView(ScopedDetailView):
    selector = selectors.allocation_list
    template_name = "funding/allocation_detail.html"
    context_object_name = "allocation"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, allocation = self.request.user, self.object
        context["disbursements"] = list(
            selectors.disbursement_list(user=user).filter(allocation=allocation).order_by("paid_on", "id")
        )
        context["reversed_ids"] = {d.reverses_id for d in context["disbursements"] if d.reverses_id}
        context["available"] = allocation.amount + allocation.reversed_amount - allocation.disbursed
        may_pay = scoping.can(user, "disbursement.create", allocation) and allocation.reverses_id is None
        context["can_pay"] = may_pay and context["available"] > 0
        context["can_reverse"] = may_pay and not allocation.reversed_amount and not allocation.disbursed
        context["can_reverse_payments"] = may_pay
        context["form"] = kwargs.get("form") or DisbursementForm(initial={"paid_on": timezone.localdate()})
        context["reversal_form"] = ReversalForm()
        context["history"] = audit.history(allocation)[:20]
        return context


def _region_or_error(form, user, field="region"):
    code = (form.cleaned_data.get(field) or "").strip()
    model = Village if field == "village" else Region
    obj = scoping.restrict(model.objects.all(), user).filter(code=code).first()
    if obj is None:
        form.add_error(field, _("Unknown division code, or outside your area."))
    return obj


@portal_view
def source_create(request):
    if not scoping.can_anywhere(request.user, "funding_source.manage"):
        raise NotPermitted("funding_source.manage")
    form = FundingSourceForm(request.POST or None, initial={"fiscal_year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        region = _region_or_error(form, request.user)
        village = _region_or_error(form, request.user, "village") if form.cleaned_data.get("village") else None
        beneficiary = _region_or_error(form, request.user, "beneficiary_region") if form.cleaned_data.get("beneficiary_region") else None
        if not form.errors:
            data = {**form.cleaned_data, "region": region, "village": village, "beneficiary_region": beneficiary}
            outcome = perform(request, lambda: services.funding_source_create(actor=request.user, data=data),
                              form=form, success=_("Funding source created."))
            if outcome.done:
                return redirect("funding:source_detail", pk=outcome.result.pk)
    return render(request, "funding/source_form.html", {"form": form, "creating": True})


@portal_view
def source_edit(request, pk):
    source = get_object_or_404(selectors.source_list(user=request.user), pk=pk)
    if not scoping.can(request.user, "funding_source.manage", source.region):
        raise NotPermitted("funding_source.manage")
    form = FundingSourceEditForm(request.POST or None, instance=source)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data.get("beneficiary_region")
        beneficiary = _region_or_error(form, request.user, "beneficiary_region") if code else None
        if not form.errors:
            data = {**form.cleaned_data, "beneficiary_region": beneficiary}
            outcome = perform(request, lambda: services.funding_source_update(actor=request.user, source=source, data=data),
                              form=form, success=_("Funding source saved."))
            if outcome.done:
                return redirect("funding:source_detail", pk=source.pk)
    return render(request, "funding/source_form.html", {"form": form, "source": source})


@portal_view
def allocation_create(request):
    user = request.user
    if not scoping.can_anywhere(user, "allocation.create"):
        raise NotPermitted("allocation.create")
    form = AllocationForm(
        request.POST or None,
        initial={"source": request.GET.get("source"), "project": request.GET.get("project"), "allocated_on": timezone.localdate()},
    )
    sources = selectors.source_list(user=user).order_by("-fiscal_year", "region_id", "name")
    project_id = (request.POST or request.GET).get("project", "")
    chosen = project_list(user=user).filter(pk=project_id).first() if project_id.isdigit() else None
    if chosen is not None:  # only the sources that may fund this project are offered
        sources = selectors.serving(sources, chosen.village_id)
    sources = sources[:500]
    projects = (
        scoping.restrict(Project.objects.select_related("village"), user, "allocation.create")
        .filter(status__in=services.FUNDABLE_STATUSES)
        .order_by("village_id", "name")[:1000]
    )
    if request.method == "POST" and form.is_valid():
        source = selectors.source_list(user=user).filter(pk=form.cleaned_data["source"]).first()
        project = project_list(user=user).filter(pk=form.cleaned_data["project"]).first()
        if source is None:
            form.add_error("source", _("Choose a source you can see."))
        if project is None:
            form.add_error("project", _("Choose a project in your area."))
        if not form.errors:
            data = form.cleaned_data
            outcome = perform(request, lambda: services.allocation_create(
                actor=user, source=source, project=project, amount=data["amount"], allocated_on=data["allocated_on"],
                reason=data["reason"],
            ), form=form, success=_("Allocation recorded."))
            if outcome.done:
                return redirect("funding:allocation_detail", pk=outcome.result.pk)
    return render(request, "funding/allocation_form.html", {"form": form, "sources": sources, "projects": projects})


@portal_view
def upkeep_allocation_create(request):
    """Allocate upkeep money of a source to an asset (``?asset=<pk>`` from the asset's page)."""
    user = request.user
    if not scoping.can_anywhere(user, "allocation.create"):
        raise NotPermitted("allocation.create")
    form = UpkeepAllocationForm(
        request.POST or None,
        initial={"source": request.GET.get("source"), "asset": request.GET.get("asset"), "allocated_on": timezone.localdate()},
    )
    sources = selectors.source_list(user=user).order_by("-fiscal_year", "region_id", "name")
    asset_id = str((request.POST or request.GET).get("asset", ""))
    chosen = asset_list(user=user).filter(pk=asset_id).first() if asset_id.isdigit() else None
    if chosen is not None:  # only the sources that may pay this asset's upkeep are offered
        sources = selectors.serving(sources, chosen.village_id)
    sources = sources[:500]
    assets = (
        scoping.restrict(Asset.objects.select_related("village"), user, "allocation.create")
        .filter(status=AssetStatus.IN_SERVICE).order_by("village_id", "name")[:1000]
    )
    if request.method == "POST" and form.is_valid():
        source = selectors.source_list(user=user).filter(pk=form.cleaned_data["source"]).first()
        asset = asset_list(user=user).filter(pk=form.cleaned_data["asset"]).first()
        if source is None:
            form.add_error("source", _("Choose a source you can see."))
        if asset is None:
            form.add_error("asset", _("Choose an asset in your area."))
        if not form.errors:
            data = form.cleaned_data
            outcome = perform(request, lambda: services.upkeep_allocation_create(
                actor=user, source=source, asset=asset, amount=data["amount"], allocated_on=data["allocated_on"],
                reason=data["reason"],
            ), form=form, success=_("Upkeep money allocated."))
            if outcome.done:
                return redirect("funding:allocation_detail", pk=outcome.result.pk)
    return render(request, "funding/upkeep_form.html", {"form": form, "sources": sources, "assets": assets, "chosen": chosen})


@portal_view
@require_POST
def disbursement_create(request, pk):
    allocation = get_object_or_404(selectors.allocation_list(user=request.user), pk=pk)
    form = DisbursementForm(request.POST)
    if form.is_valid():
        outcome = perform(request, lambda: services.disbursement_create(actor=request.user, allocation=allocation, **form.cleaned_data),
                          form=form, success=_("Payment recorded."))
        if outcome.done:
            return redirect("funding:allocation_detail", pk=allocation.pk)
    elif not scoping.can(request.user, "disbursement.create", allocation):
        raise NotPermitted("disbursement.create")
    return render_detail(AllocationDetailView, request, allocation, form=form)


@portal_view
@require_POST
def allocation_reverse(request, pk):
    allocation = get_object_or_404(selectors.allocation_list(user=request.user), pk=pk)
    form = ReversalForm(request.POST)
    form.is_valid()
    if not is_confirmed(request):  # irreversible: the first POST asks for confirmation and writes nothing
        if not scoping.can(request.user, "allocation.create", allocation):
            raise NotPermitted("allocation.create")
        return _reversal_confirmation(
            request, form, title=_("Reverse this allocation"),
            question=_("Do you really want to reverse the allocation of %(amount)s yuan to “%(project)s”?")
            % {"amount": f"{allocation.amount:,.2f}",
               "project": allocation.project.name if allocation.project_id else allocation.asset.name},
            consequence=_("A reversing entry is recorded against it; the money goes back to the source. The reversal "
                          "itself cannot be undone."),
            back_url=reverse("funding:allocation_detail", args=[allocation.pk]),
        )
    perform(request, lambda: services.allocation_reverse(actor=request.user, allocation=allocation, reason=form.cleaned_data.get("reason", "")),
            success=_("Allocation reversed."))
    return redirect("funding:allocation_detail", pk=allocation.pk)


@portal_view
@require_POST
def disbursement_reverse(request, pk):
    payment = get_object_or_404(selectors.disbursement_list(user=request.user), pk=pk)
    form = ReversalForm(request.POST)
    form.is_valid()
    if not is_confirmed(request):
        if not scoping.can(request.user, "disbursement.create", payment.allocation):
            raise NotPermitted("disbursement.create")
        return _reversal_confirmation(
            request, form, title=_("Reverse this payment"),
            question=_("Do you really want to reverse the payment of %(amount)s yuan (voucher %(voucher)s)?")
            % {"amount": f"{payment.amount:,.2f}", "voucher": payment.voucher_no or "—"},
            consequence=_("A reversing entry is recorded against it; the amount is available to pay again. The "
                          "reversal itself cannot be undone."),
            back_url=reverse("funding:allocation_detail", args=[payment.allocation_id]),
        )
    perform(request, lambda: services.disbursement_reverse(actor=request.user, disbursement=payment, reason=form.cleaned_data.get("reason", "")),
            success=_("Payment reversed."))
    return redirect("funding:allocation_detail", pk=payment.allocation_id)


def _reversal_confirmation(request, form, **words):
    if not (form.cleaned_data.get("reason") or "").strip():
        form.add_error("reason", _("Please give a reason."))
    return confirmation(request, confirm_label=_("Yes, reverse it"), fields=[form["reason"]], **words)


@portal_view
def figures(request):
    """Money of an area and of each area below it (one level down)."""
    from villages.selectors import home_regions

    user = request.user
    code = (request.GET.get("region") or "").strip()
    if not code or not ascii_digits(code) or len(code) not in CHILD_CODE_LENGTH:
        home = home_regions(user=user)  # the user's own region (a superuser's: the first province loaded)
        if not home:
            raise Http404(_("No region to show."))
        code = home[0].code
    area = get_object_or_404(scoping.restrict(Region.objects.all(), user), code=code)
    total, rows = selectors.figures_with_children(user=user, code=code, child_length=CHILD_CODE_LENGTH[len(code)])
    # "↑ <parent>" only when the parent is in the user's scope (its figures would be a 404 otherwise).
    parent_reachable = bool(area.parent_id) and scoping.can(user, "view", area.parent_id)
    return render(request, "funding/figures.html", {"area": area, "total": total, "rows": rows.values(), "code": code,
                                                    "parent_reachable": parent_reachable})
