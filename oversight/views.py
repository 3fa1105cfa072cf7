"""Supervision pages: they declare querysets, filters and templates; writes go through oversight.services."""
import io

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.body_limits import body_limit
from core.exceptions import NotPermitted
from core.files import photo_response
from core.views import ScopedDetailView, ScopedListView, confirmation, is_confirmed, perform, portal_view, render_detail
from core.workbook import TEXT, Column, Workbook
from projects import photos as photo_rules
from villages.models import Region

from . import selectors, services
from .filters import ProblemFilterSet, VisitFilterSet
from .forms import FindingForm, RectifyForm, ReopenForm, VisitForm
from .models import ProblemPhotoStage, ProblemStatus

# The register's export: at most this many rows in one workbook (narrow the filters for more).
EXPORT_MAX_ROWS = 50_000


class VisitListView(ScopedListView):
    selector = selectors.visit_list
    filterset_class = VisitFilterSet
    template_name = "oversight/visit_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_record=scoping.can_anywhere(self.request.user, "visit.record"), **kwargs)


def _offices(user) -> list[Region]:
    return list(scoping.restrict(Region.objects.filter(level__in=services.SUPERVISING_LEVELS), user, "visit.record")
                .order_by("code"))


@portal_view
def visit_create(request):
    """Record a supervision visit (its villages by code or name); the findings are added on its page."""
    offices = _offices(request.user)
    if not offices:
        raise NotPermitted("visit.record")
    form = VisitForm(request.POST or None, offices=offices, initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = next(r for r in offices if r.code == data["region"])
        villages, unknown = services.villages_named(region, data["villages"])
        if unknown:
            form.add_error("villages", _("No single village of %(office)s is named: %(names)s.")
                           % {"office": region.name, "names": "、".join(unknown[:20])})
        else:
            outcome = perform(request, lambda: services.visit_record(
                actor=request.user, region=region, kind=data["kind"], visited_on=data["visited_on"],
                inspectors=data["inspectors"], summary=data["summary"], villages=villages,
            ), form=form, success=_("Visit recorded: add what was found."))
            if outcome.done:
                return redirect("oversight:visit_detail", pk=outcome.result.pk)
    return render(request, "oversight/visit_form.html", {"form": form})


class VisitDetailView(ScopedDetailView):
    selector = selectors.visit_detail
    template_name = "oversight/visit_detail.html"
    context_object_name = "visit"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, visit = self.request.user, self.object
        villages = list(visit.villages.select_related("township").order_by("code"))
        context["villages"] = villages
        context["problems"] = list(selectors.problem_list(user=user).filter(visit=visit).order_by("village_id", "id"))
        context["can_record"] = scoping.can(user, "visit.record", visit)
        if context["can_record"] and "finding_form" not in context:
            projects = selectors.finding_projects(user=user, villages=villages)
            context["finding_form"] = FindingForm(villages=villages, projects=projects,
                                                  initial={"deadline": visit.visited_on + services.DEFAULT_DEADLINE})
        context["history"] = audit.history(visit)[:20]
        context["today"] = timezone.localdate()
        return context


@body_limit(photo_rules.UPLOAD_BODY_LIMIT)  # outermost: the middleware reads it from the resolved view
@portal_view
@require_POST
def finding_add(request, pk):
    """A finding of the visit, with photos taken on the spot: a problem in the register."""
    visit = get_object_or_404(selectors.visit_detail(user=request.user), pk=pk)
    if not scoping.can(request.user, "visit.record", visit):
        raise NotPermitted("visit.record")
    villages = list(visit.villages.select_related("township").order_by("code"))
    projects = list(selectors.finding_projects(user=request.user, villages=villages))
    form = FindingForm(request.POST, request.FILES, villages=villages, projects=projects)
    if form.is_valid():
        data = form.cleaned_data
        village = next(v for v in villages if v.code == data["village"])
        project = next((p for p in projects if p.pk == data["project"]), None) if data["project"] else None
        outcome = perform(request, lambda: services.finding_add(
            actor=request.user, visit=visit, village=village, project=project, category=data["category"],
            severity=data["severity"], description=data["description"], deadline=data["deadline"], photos=data["photos"],
        ), form=form, success=_("Problem added to the register."))
        if outcome.done:
            return redirect(reverse("oversight:visit_detail", args=[visit.pk]) + "#problems")
    return render_detail(VisitDetailView, request, visit, finding_form=form)


class ProblemListView(ScopedListView):
    selector = selectors.problem_list
    filterset_class = ProblemFilterSet
    template_name = "oversight/problem_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(today=timezone.localdate(), **kwargs)


@portal_view
def problems_export(request):
    """The register as the list shows it (the same filters), as XLSX."""
    filterset = ProblemFilterSet(request.GET, queryset=selectors.problem_list(user=request.user))
    if not filterset.is_valid():
        return HttpResponse(_("The filters are not valid."), status=400, content_type="text/plain; charset=utf-8")
    rows = filterset.qs.order_by("deadline", "id")
    count = rows.count()
    if count > EXPORT_MAX_ROWS:
        return HttpResponse(_("%(n)s problems match: narrow the filters to at most %(max)s.") % {"n": count, "max": EXPORT_MAX_ROWS},
                            status=400, content_type="text/plain; charset=utf-8")
    today = timezone.localdate()
    out = io.BytesIO()
    with Workbook(out) as book:
        sheet = book.add_sheet(_("Problems"), [
            Column(_("number"), TEXT, 8), Column(_("village"), TEXT, 14), Column(_("code"), TEXT, 14),
            Column(_("responsible township"), TEXT, 14), Column(_("supervising office"), TEXT, 12),
            Column(_("visit date"), TEXT, 11), Column(_("problem category"), TEXT, 12), Column(_("severity"), TEXT, 8),
            Column(_("problem found"), TEXT, 40), Column(_("rectification deadline"), TEXT, 11), Column(_("status"), TEXT, 12),
            Column(_("overdue"), TEXT, 6), Column(_("rectified on"), TEXT, 11), Column(_("rectification"), TEXT, 40),
            Column(_("closed on"), TEXT, 11), Column(_("times reopened"), TEXT, 6),
        ])
        sheet.header()
        for p in rows.iterator(chunk_size=2000):
            sheet.append([
                str(p.pk), p.village.short_name, p.village_id, p.township.name, p.visit.region.name,
                p.found_on.isoformat(), p.get_category_display(), p.get_severity_display(), p.description,
                p.deadline.isoformat(), p.get_status_display(),
                _("yes") if p.status == ProblemStatus.OPEN and p.deadline < today else "",
                p.rectified_on.isoformat() if p.rectified_on else "", p.rectification,
                p.closed_on.isoformat() if p.closed_on else "", str(p.reopened),
            ])
        sheet.close()
    response = HttpResponse(out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="problems-{today:%Y%m%d}.xlsx"'
    return response


class ProblemDetailView(ScopedDetailView):
    selector = selectors.problem_detail
    template_name = "oversight/problem_detail.html"
    context_object_name = "problem"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, problem = self.request.user, self.object
        photos = list(problem.photos.all())
        context["found_photos"] = [p for p in photos if p.stage == ProblemPhotoStage.FOUND]
        context["rectified_photos"] = [p for p in photos if p.stage == ProblemPhotoStage.RECTIFIED]
        context["today"] = timezone.localdate()
        context["overdue"] = problem.status == ProblemStatus.OPEN and problem.deadline < context["today"]
        context["can_rectify"] = problem.status == ProblemStatus.OPEN and scoping.can(user, "problem.rectify", problem)
        context["can_recheck"] = problem.status != ProblemStatus.OPEN and scoping.can(user, "problem.recheck", problem.visit)
        context.setdefault("rectify_form", RectifyForm(initial={"rectified_on": timezone.localdate()}))
        context.setdefault("reopen_form", ReopenForm())
        context["history"] = audit.history(problem)[:20]
        return context


def _scoped_problem(request, pk):
    return get_object_or_404(selectors.problem_detail(user=request.user), pk=pk)


@body_limit(photo_rules.UPLOAD_BODY_LIMIT)
@portal_view
@require_POST
def problem_rectify(request, pk):
    problem = _scoped_problem(request, pk)
    if not scoping.can(request.user, "problem.rectify", problem):
        raise NotPermitted("problem.rectify")
    form = RectifyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.problem_rectify(
            actor=request.user, problem=problem, rectified_on=data["rectified_on"], rectification=data["rectification"],
            photos=data["photos"],
        ), form=form, success=_("Rectification recorded; the supervising office re-checks it."))
        if outcome.done:
            return redirect("oversight:problem_detail", pk=problem.pk)
    return render_detail(ProblemDetailView, request, problem, rectify_form=form)


@portal_view
@require_POST
def problem_close(request, pk):
    problem = _scoped_problem(request, pk)
    if not scoping.can(request.user, "problem.recheck", problem.visit):
        raise NotPermitted("problem.recheck")
    perform(request, lambda: services.problem_close(actor=request.user, problem=problem),
            success=_("Re-checked: the problem is closed."))
    return redirect("oversight:problem_detail", pk=problem.pk)


@portal_view
@require_POST
def problem_reopen(request, pk):
    """Reopen a problem after its re-check (整改不到位), with what is still wrong: a confirmation first."""
    problem = _scoped_problem(request, pk)
    if not scoping.can(request.user, "problem.recheck", problem.visit):
        raise NotPermitted("problem.recheck")
    form = ReopenForm(request.POST)
    if not is_confirmed(request) or not form.is_valid():
        return confirmation(
            request, title=_("Confirm: reopen the problem"),
            question=_("Do you really want to reopen this problem of %(village)s?") % {"village": problem.village.short_name},
            consequence=_("The township must rectify it again."),
            confirm_label=_("Yes, reopen it"), back_url=reverse("oversight:problem_detail", args=[problem.pk]),
            fields=[form["reason"], form["deadline"]],
            facts=[(_("village"), problem.village.short_name), (_("problem found"), problem.description)],
        )
    perform(request, lambda: services.problem_reopen(actor=request.user, problem=problem, reason=form.cleaned_data["reason"],
                                                     deadline=form.cleaned_data["deadline"]),
            form=form, success=_("Problem reopened."))
    return redirect("oversight:problem_detail", pk=problem.pk)


@portal_view
def problem_photo(request, pk, variant="image"):
    """A problem's photo (as found, after rectification) or its thumbnail, through the gate."""
    return photo_response(get_object_or_404(selectors.problem_photo_list(user=request.user), pk=pk), variant)



