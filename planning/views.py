"""Pages of plans, targets and creation lists: they declare querysets, filters and templates; writes go through
planning.services."""
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.body_limits import body_limit
from core.divisions import RegionLevel
from core.exceptions import InvalidInput, NotPermitted
from core.files import file_response
from core.views import ScopedDetailView, ScopedListView, confirmation, is_confirmed, perform, portal_view
from projects.forms import ProjectForm
from projects.selectors import project_list
from villages.models import Region, Village
from villages.selectors import home_regions

from . import selectors, services
from .filters import CreationListFilterSet, PlanFilterSet
from .forms import (
    BreakDownForm,
    CitationForm,
    CreationAddForm,
    DocumentForm,
    ExceptionDecisionForm,
    PlanCreateForm,
    PlanItemForm,
    PlanReviseForm,
    ReasonForm,
    TargetForm,
)
from .models import CREATION_CATEGORIES, MAX_DOCUMENT_BYTES, PlanCitation, PlanKind, Target

# A plan document and its form (the middleware refuses larger bodies before anything reads them).
DOCUMENT_BODY_LIMIT = MAX_DOCUMENT_BYTES + 256 * 1024


# --- plans ---------------------------------------------------------------------------------------------------------

class PlanListView(ScopedListView):
    selector = selectors.plan_list
    filterset_class = PlanFilterSet
    template_name = "planning/plan_list.html"

    def get_queryset(self):
        return super().get_queryset().order_by("area_code", "kind", "-version")

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_create=scoping.can_anywhere(self.request.user, "plan.manage"), **kwargs)


class PlanDetailView(ScopedDetailView):
    selector = selectors.plan_detail
    template_name = "planning/plan_detail.html"
    context_object_name = "plan"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, plan = self.request.user, self.object
        items = selectors.plan_items(plan)
        for item in items:
            village_code = item.village_id
            item.can_create_project = bool(plan.is_current and village_code and scoping.can(user, "project.create", village_code))
        context["items"] = items
        context["can_manage"] = plan.is_current and scoping.can(user, "plan.manage", plan)
        context["versions"] = selectors.plan_versions(user=user, plan=plan)
        context["history"] = audit.history(plan)[:50]
        return context


def _scoped_plan(request, pk):
    return get_object_or_404(selectors.plan_list(user=request.user), pk=pk)


def _managed_plan(request, pk):
    plan = _scoped_plan(request, pk)
    if not scoping.can(request.user, "plan.manage", plan):
        raise NotPermitted("plan.manage")
    return plan


@portal_view
def plan_document(request, pk):
    plan = _scoped_plan(request, pk)
    if not plan.document:
        raise Http404
    return file_response(plan.document, content_type="application/pdf", filename=f"{plan.title}-v{plan.version}.pdf")


def _plan_area(request, code: str):
    """The village (construction plan) or county (layout plan) a plan is recorded for; 404 outside the user's reach."""
    code = (code or "").strip()
    if len(code) == 12:
        return get_object_or_404(scoping.restrict(Village.objects.all(), request.user, "plan.manage"), code=code)
    return get_object_or_404(
        scoping.restrict(Region.objects.all(), request.user, "plan.manage"), code=code, level=RegionLevel.COUNTY
    )


@body_limit(DOCUMENT_BODY_LIMIT)
@portal_view
def plan_create(request):
    if not scoping.can_anywhere(request.user, "plan.manage"):
        raise NotPermitted("plan.manage")
    form = PlanCreateForm(request.POST or None, request.FILES or None, initial={"area": request.GET.get("area", "")})
    if request.method == "POST" and form.is_valid():
        area = _plan_area(request, form.cleaned_data["area"])
        outcome = perform(request, lambda: services.plan_create(
            actor=request.user, area=area, data=form.plan_data(), document=form.cleaned_data.get("document"),
        ), form=form, success=_("Plan recorded."))
        if outcome.done:
            return redirect("planning:plan_detail", pk=outcome.result.pk)
    villages = scoping.restrict(Village.objects.only("code", "short_name"), request.user, "plan.manage").order_by("code")[:300]
    return render(request, "planning/plan_form.html", {"form": form, "villages": villages, "creating": True})


@body_limit(DOCUMENT_BODY_LIMIT)
@portal_view
def plan_revise(request, pk):
    plan = _managed_plan(request, pk)
    if not plan.is_current:
        return redirect("planning:plan_detail", pk=plan.pk)
    initial = {f: getattr(plan, f) for f in PlanReviseForm.PLAN_FIELDS}
    form = PlanReviseForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.plan_revise(
            actor=request.user, plan=plan, data=form.plan_data(), reason=form.cleaned_data["reason"],
            document=form.cleaned_data.get("document"),
        ), form=form, success=_("New version of the plan recorded."))
        if outcome.done:
            return redirect("planning:plan_detail", pk=outcome.result.pk)
    return render(request, "planning/plan_form.html", {"form": form, "plan": plan, "revising": True})


@body_limit(DOCUMENT_BODY_LIMIT)
@portal_view
def plan_attach(request, pk):
    plan = _managed_plan(request, pk)
    if not plan.is_current or plan.document:
        return redirect("planning:plan_detail", pk=plan.pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.plan_document_attach(
            actor=request.user, plan=plan, document=form.cleaned_data["document"],
        ), form=form, success=_("Document attached."))
        if outcome.done:
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(request, "planning/plan_form.html", {"form": form, "plan": plan, "attaching": True})


# --- plan items ----------------------------------------------------------------------------------------------------

def _item_data(request, form, plan) -> dict:
    data = {f: form.cleaned_data[f] for f in ("kind", "name", "quantity", "estimated_cost", "planned_year")}
    if plan.kind == PlanKind.LAYOUT:
        code = (form.cleaned_data.get("village_code") or "").strip()
        village = None
        if code:
            village = scoping.restrict(Village.objects.all(), request.user).filter(code=code).first()
            if village is None:
                raise InvalidInput(field_errors={"village_code": _("No village with this code in your area.")})
        data["village"] = village
    return data


@portal_view
def item_add(request, pk):
    plan = _managed_plan(request, pk)
    if not plan.is_current:
        return redirect("planning:plan_detail", pk=plan.pk)
    layout = plan.kind == PlanKind.LAYOUT
    form = PlanItemForm(request.POST or None, layout=layout, initial={"planned_year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.plan_item_add(
            actor=request.user, plan=plan, data=_item_data(request, form, plan), reason=form.cleaned_data["reason"],
        ), form=form, success=_("Item added to the plan."))
        if outcome.done:
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(request, "planning/item_form.html", {"form": form, "plan": plan, "creating": True})


def _managed_item(request, pk):
    item = get_object_or_404(selectors.item_list(user=request.user), pk=pk)
    if not scoping.can(request.user, "plan.manage", item):
        raise NotPermitted("plan.manage")
    return item


@portal_view
def item_edit(request, pk):
    item = _managed_item(request, pk)
    plan = item.plan
    if not plan.is_current:
        return redirect("planning:plan_detail", pk=plan.pk)
    form = PlanItemForm(request.POST or None, instance=item, layout=plan.kind == PlanKind.LAYOUT)
    form.fields["reason"].required = True
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.plan_item_update(
            actor=request.user, item=item, data=_item_data(request, form, plan), reason=form.cleaned_data["reason"],
        ), form=form, success=_("Item saved."))
        if outcome.done:
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(request, "planning/item_form.html", {"form": form, "plan": plan, "item": item})


@portal_view
@require_POST
def item_remove(request, pk):
    item = _managed_item(request, pk)
    form = ReasonForm(request.POST)
    back = reverse("planning:plan_detail", args=[item.plan_id])
    if not is_confirmed(request) or not form.is_valid():
        form.is_valid()
        return confirmation(
            request, title=_("Confirm: remove the item from the plan"),
            question=_("Do you really want to remove “%(item)s” from the plan?") % {"item": item.name},
            consequence=_("The plan's history keeps the removed item and the reason."),
            confirm_label=_("Yes, remove it"), back_url=back, fields=[form["reason"]],
            facts=[(_("plan"), str(item.plan)), (_("work kind"), item.get_kind_display())],
        )
    perform(request, lambda: services.plan_item_remove(actor=request.user, item=item, reason=form.cleaned_data["reason"]),
            success=_("Item removed from the plan."))
    return redirect(back)


@portal_view
def item_project(request, pk):
    """Create a project that carries out a plan item: the project form prefilled from the item, its type fixed."""
    item = get_object_or_404(selectors.item_list(user=request.user), pk=pk)
    if not item.plan.is_current or item.village_id is None:
        raise Http404
    if not scoping.can(request.user, "project.create", item.village_id):
        raise NotPermitted("project.create")
    village = item.village
    initial = {"name": item.name, "budget": item.estimated_cost, "planned_output": item.quantity}
    form = ProjectForm(request.POST or None, initial=initial)
    del form.fields["type"]
    form.fields["planned_output"].label = _("planned output (%(unit)s)") % {"unit": item.get_unit_display()}
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        outcome = perform(request, lambda: services.project_create_from_item(
            actor=request.user, item=item, village=village, data=data,
        ), form=form, success=_("Project created as a draft; it carries out the plan item."))
        if outcome.done:
            return redirect("projects:detail", pk=outcome.result.pk)
    return render(request, "planning/item_project.html", {"form": form, "item": item, "village": village})


# --- projects and the plan -----------------------------------------------------------------------------------------

@portal_view
@require_POST
def project_cite(request, pk):
    project = get_object_or_404(project_list(user=request.user), pk=pk)
    if not scoping.can(request.user, "plan.cite", project):
        raise NotPermitted("plan.cite")
    items = list(selectors.citable_items(project))
    form = CitationForm(request.POST, items=items)
    if form.is_valid():
        item_pk = form.cleaned_data["item"]
        item = next((i for i in items if i.pk == item_pk), None)
        perform(request, lambda: services.citation_set(
            actor=request.user, project=project, item=item, out_of_plan_reason=form.cleaned_data["out_of_plan_reason"],
        ), success=_("Saved what the project carries out."))
    else:
        messages.error(request, _("Choose an item of the list, or say why the project is outside the plan."))
    return redirect("projects:detail", pk=project.pk)


@portal_view
@require_POST
def exception_decide(request, pk):
    citation = get_object_or_404(scoping.restrict(PlanCitation.objects.select_related("project"), request.user), pk=pk)
    if not scoping.can(request.user, "plan.exception_decide", citation):
        raise NotPermitted("plan.exception_decide")
    form = ExceptionDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        perform(request, lambda: services.exception_decide(
            actor=request.user, citation=citation, approve=approve, note=form.cleaned_data["decision_note"],
        ), success=_("Exception approved.") if approve else _("Exception refused."))
    else:
        messages.error(request, _("Approve or refuse the exception."))
    return redirect("projects:detail", pk=citation.project_id)


# --- targets -------------------------------------------------------------------------------------------------------

def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2003 <= year <= 2100 else timezone.localdate().year


def targets_url(code: str, year: int) -> str:
    return reverse("planning:targets") + "?" + urlencode({"region": code, "year": year})


@portal_view
def targets(request):
    user = request.user
    code = (request.GET.get("region") or "").strip()
    if not code:
        homes = home_regions(user=user)
        if not homes:
            raise Http404
        code = homes[0].code
    region = get_object_or_404(scoping.restrict(Region.objects.select_related("parent"), user), code=code)
    year = _year(request.GET.get("year"))
    children = list(scoping.restrict(Region.objects.filter(parent=region), user).order_by("code"))
    rows = selectors.target_rows(user=user, region=region, year=year, children=children)
    can_set = scoping.can(user, "target.set", region.parent_id or region.code)
    return render(request, "planning/targets.html", {
        "region": region, "year": year, "children": children, "rows": rows,
        "parent_visible": bool(region.parent_id and scoping.can(user, "view", region.parent_id)),
        "can_set": can_set, "can_break_down": bool(children) and scoping.can(user, "target.set", region.code),
        "form": TargetForm(initial={"region": region.code, "year": year}) if can_set else None,
        "years": [year - 1, year + 1],
    })


@portal_view
@require_POST
def target_set(request):
    form = TargetForm(request.POST)
    if not form.is_valid():
        raise Http404
    region = get_object_or_404(scoping.restrict(Region.objects.all(), request.user), code=form.cleaned_data["region"])
    data = form.cleaned_data
    perform(request, lambda: services.target_set(
        actor=request.user, region=region, year=data["year"], kind=data["kind"], quantity=data["quantity"], note=data["note"],
    ), success=_("Target saved."))
    return redirect(targets_url(region.code, data["year"]))


@portal_view
def target_break_down(request, pk):
    target = get_object_or_404(scoping.restrict(Target.objects.select_related("region"), request.user), pk=pk)
    if not scoping.can(request.user, "target.set", target.region):
        raise NotPermitted("target.set")
    children = list(scoping.restrict(Region.objects.filter(parent=target.region), request.user).order_by("code"))
    current = selectors.child_targets(user=request.user, target=target, children=children)
    form = BreakDownForm(request.POST or None, children=children, current=current)
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.target_break_down(
            actor=request.user, parent=target, quantities=form.quantities(),
        ), form=form, success=_("Targets of the regions below saved."))
        if outcome.done:
            return redirect(reverse("planning:target_break_down", args=[target.pk]))
    total = sum((t.quantity for t in current.values()), start=type(target.quantity)(0))
    return render(request, "planning/target_break_down.html", {
        "target": target, "form": form, "children": children, "current": current, "total": total,
        "gap": target.quantity - total, "back_url": targets_url(target.region_id, target.year),
    })


# --- creation lists ------------------------------------------------------------------------------------------------

def _default_county(user) -> str:
    counties = [r.code for r in home_regions(user=user) if r.level == RegionLevel.COUNTY]
    return counties[0] if counties else ""


class CreationListView(ScopedListView):
    selector = selectors.creation_entries
    filterset_class = CreationListFilterSet
    template_name = "planning/creation_list.html"

    def get_queryset(self):
        return super().get_queryset().order_by("county", "-year", "category", "village_id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        code = (self.request.GET.get("county") or "").strip() or _default_county(user)
        county = scoping.restrict(Region.objects.filter(level=RegionLevel.COUNTY), user, "creation_list.manage").filter(code=code).first()
        context["county"] = county
        if county is not None:
            villages = scoping.restrict(Village.objects.filter(code__startswith=county.code), user, "creation_list.manage")
            context["add_form"] = CreationAddForm(villages=villages.select_related("township").order_by("code")[:500], initial={
                "year": _year(self.request.GET.get("year")), "category": self.request.GET.get("category") or "demonstration",
            })
        context["can_remove"] = scoping.can_anywhere(user, "creation_list.manage")
        context["categories"] = dict(CREATION_CATEGORIES)
        return context


def creation_url(county: str, year, category: str) -> str:
    return reverse("planning:creation") + "?" + urlencode({"county": county, "year": year, "category": category})


@portal_view
@require_POST
def creation_add(request):
    county = get_object_or_404(
        scoping.restrict(Region.objects.filter(level=RegionLevel.COUNTY), request.user, "creation_list.manage"),
        code=request.POST.get("county", ""),
    )
    villages = scoping.restrict(Village.objects.filter(code__startswith=county.code), request.user, "creation_list.manage")
    form = CreationAddForm(request.POST, villages=villages.select_related("township"))
    if form.is_valid():
        chosen = list(villages.filter(code__in=form.cleaned_data["villages"]))
        data = form.cleaned_data
        perform(request, lambda: services.creation_list_add(
            actor=request.user, county=county, year=data["year"], category=data["category"], villages=chosen, note=data["note"],
        ), success=lambda created: _("%(n)s villages added to the creation list.") % {"n": len(created)})
        return redirect(creation_url(county.code, data["year"], data["category"]))
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{form.fields[field].label}：{error}" if field in form.fields else error)
    return redirect(creation_url(county.code, request.POST.get("year", ""), request.POST.get("category", "")))


@portal_view
@require_POST
def creation_remove(request, pk):
    entry = get_object_or_404(selectors.creation_entries(user=request.user), pk=pk)
    if not scoping.can(request.user, "creation_list.manage", entry):
        raise NotPermitted("creation_list.manage")
    form = ReasonForm(request.POST)
    back = creation_url(entry.county_id, entry.year, entry.category)
    if not is_confirmed(request) or not form.is_valid():
        form.is_valid()
        return confirmation(
            request, title=_("Confirm: remove the village from the creation list"),
            question=_("Do you really want to remove %(village)s from the creation list?") % {"village": entry.village.short_name},
            consequence=_("The list's history keeps the removal and the reason."),
            confirm_label=_("Yes, remove it"), back_url=back, fields=[form["reason"]],
            facts=[(_("year"), entry.year), (_("category to create"), entry.get_category_display())],
        )
    perform(request, lambda: services.creation_list_remove(actor=request.user, entry=entry, reason=form.cleaned_data["reason"]),
            success=_("Village removed from the creation list."))
    return redirect(back)
