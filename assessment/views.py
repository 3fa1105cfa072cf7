"""Assessment pages: schemes and their indicators, rounds and rankings, the scoring form, follow-ups. Writes go
through assessment.services."""
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.exceptions import NotPermitted
from core.views import ScopedDetailView, ScopedListView, confirmation, is_confirmed, perform, portal_view, render_detail
from villages.models import Region

from . import selectors, services
from .filters import AssessmentFilterSet, FollowUpFilterSet, SchemeFilterSet, overdue_follow_up_q
from .forms import (
    IndicatorForm,
    ReasonForm,
    RectificationForm,
    ReinspectionForm,
    RoundStartForm,
    SchemeCopyForm,
    SchemeForm,
    ScoreForm,
    TalkForm,
)
from .models import PASSING_GRADES, AssessmentStatus, Grade, Indicator, SchemeKind


class AssessmentListView(ScopedListView):
    selector = selectors.assessment_list
    filterset_class = AssessmentFilterSet
    template_name = "assessment/assessment_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            rounds=selectors.round_list(user=user)[:40],
            can_manage=scoping.can_anywhere(user, "assessment.manage"),
            can_configure=scoping.can_anywhere(user, services.CONFIGURE),
            schemes=selectors.scheme_list(user=user).order_by("-year", "name")[:100],
            start_form=RoundStartForm(initial={"period": str(timezone.localdate().year)}),
            **kwargs,
        )


class FollowUpListView(ScopedListView):
    selector = selectors.follow_up_list
    filterset_class = FollowUpFilterSet
    template_name = "assessment/follow_up_list.html"


def _county_of(user) -> str | None:
    for grant in scoping.grants(user):
        if len(grant.code) == 6:
            return grant.code
    return None


@portal_view
@require_POST
def round_start(request):
    county = _county_of(request.user)
    if county is None:
        raise NotPermitted("assessment.manage")
    form = RoundStartForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("assessment:list")
    scheme = get_object_or_404(selectors.scheme_list(user=request.user), pk=form.cleaned_data["scheme"])
    period = form.cleaned_data["period"]
    outcome = perform(request, lambda: services.round_start(actor=request.user, scheme=scheme, period=period, county_code=county),
                      success=lambda count: _("%(count)s draft assessments opened.") % {"count": count})
    if not outcome.done:
        return redirect("assessment:list")
    return redirect("assessment:round", scheme=scheme.pk, period=period, county=county)


def _round_or_404(user, scheme_pk, period, county):
    """The round's scheme and county, if the user can see at least one of its assessments."""
    scheme = get_object_or_404(selectors.scheme_list(user=user), pk=scheme_pk)
    area = get_object_or_404(Region.objects.filter(level="county"), code=county)
    visible = selectors.assessment_list(user=user).filter(scheme=scheme, period=period, village__code__startswith=county)
    if not visible.exists():
        raise Http404
    return scheme, area, visible


@portal_view
def round_detail(request, scheme, period, county):
    user = request.user
    scheme, area, visible = _round_or_404(user, scheme, period, county)
    rows = selectors.ranking(user=user, scheme=scheme, period=period, county=county)
    pending = visible.exclude(status=AssessmentStatus.FINALISED).order_by("status", "village_id")
    return render(request, "assessment/round.html", {
        "scheme": scheme, "period": period, "area": area, "rows": rows, "pending": pending,
        "can_finalise": scoping.can(user, "assessment.manage", county),
        "bottom_size": selectors.bottom_group_size(len(rows), scheme.bottom_percent, scheme.bottom_min) if rows else 0,
    })


@portal_view
@require_POST
def round_finalise(request, scheme, period, county):
    scheme, area, visible = _round_or_404(request.user, scheme, period, county)
    if not is_confirmed(request):  # the ranking and the bottom group's follow-ups follow: confirm first
        if not scoping.can(request.user, "assessment.manage", county):
            raise NotPermitted("assessment.manage")
        pending = visible.exclude(status=AssessmentStatus.FINALISED).count()
        return confirmation(
            request, title=_("Finalise the round"),
            question=_("Do you really want to finalise the %(period)s round of %(county)s under “%(scheme)s”?")
            % {"period": period, "county": area.name, "scheme": scheme.name},
            # (The scheme froze when the round's first assessment started: assessment.services.scheme_in_use.)
            consequence=_("%(count)s assessments will be finalised, ranked, and follow-ups opened for the bottom group; "
                          "a finalised assessment can only be reopened with a reason.")
            % {"count": pending},
            confirm_label=_("Yes, finalise the round"), danger=False,
            back_url=reverse("assessment:round", kwargs={"scheme": scheme.pk, "period": period, "county": county}),
        )
    perform(request, lambda: services.round_finalise(actor=request.user, scheme=scheme, period=period, county_code=county),
            success=lambda result: _("%(finalised)s assessments finalised; %(opened)s follow-ups opened for the bottom group.")
            % {"finalised": result["finalised"], "opened": len(result["follow_ups"])})
    return redirect("assessment:round", scheme=scheme.pk, period=period, county=county)


class AssessmentDetailView(ScopedDetailView):
    selector = selectors.assessment_detail
    template_name = "assessment/assessment_detail.html"
    context_object_name = "assessment"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, assessment = self.request.user, self.object
        may_manage = scoping.can(user, "assessment.manage", assessment)
        existing = {s.indicator_id: s for s in assessment.scores.all()}
        context["score_form"] = kwargs.get("score_form") or ScoreForm(indicators=assessment.scheme.indicators.all(), existing=existing)
        context["can_score"] = may_manage and assessment.status == AssessmentStatus.DRAFT
        context["can_reopen"] = may_manage and assessment.status == AssessmentStatus.FINALISED
        context["can_promote"] = (
            may_manage and assessment.status == AssessmentStatus.FINALISED and assessment.grade in PASSING_GRADES
            and services.ACCEPTANCE_TARGET.get(assessment.scheme.kind) is not None and not assessment.promotions.all()
        )
        context["rank"] = selectors.village_ranks([assessment]).get(assessment.pk)
        context["reason_form"] = ReasonForm()
        context["history"] = audit.history(assessment)[:30]
        return context


@portal_view
@require_POST
def assessment_score(request, pk):
    assessment = get_object_or_404(selectors.assessment_detail(user=request.user), pk=pk)
    if not scoping.can(request.user, "assessment.manage", assessment):
        raise NotPermitted("assessment.manage")
    existing = {s.indicator_id: s for s in assessment.scores.all()}
    form = ScoreForm(request.POST, indicators=assessment.scheme.indicators.all(), existing=existing)
    submit = request.POST.get("do") == "submit"
    if form.is_valid():
        outcome = perform(request, lambda: services.assessment_score(actor=request.user, assessment=assessment, scores=form.scores(), submit=submit),
                          form=form, success=_("Assessment submitted.") if submit else _("Scores saved."))
        if outcome.done:
            return redirect("assessment:detail", pk=pk)
    return render_detail(AssessmentDetailView, request, assessment, score_form=form)


@portal_view
@require_POST
def assessment_reopen(request, pk):
    assessment = get_object_or_404(selectors.assessment_list(user=request.user), pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    perform(request, lambda: services.assessment_reopen(actor=request.user, assessment=assessment, reason=form.cleaned_data.get("reason", "")),
            success=_("Assessment reopened for correction."))
    return redirect("assessment:detail", pk=pk)


@portal_view
@require_POST
def village_promote(request, pk):
    assessment = get_object_or_404(selectors.assessment_list(user=request.user), pk=pk)
    perform(request, lambda: services.village_promote(actor=request.user, assessment=assessment),
            success=lambda promotion: _("Village promoted to %(category)s.") % {"category": promotion.get_to_category_display()})
    return redirect("assessment:detail", pk=pk)


# The steps themselves (order, roles, fields) are services.FOLLOW_UP_STEPS; each has its form.
STEP_FORMS = {"talk": TalkForm, "rectification": RectificationForm, "close": ReinspectionForm}


def _follow_up_page(request, follow_up, form=None, status=200):
    step = services.STEP_AFTER.get(follow_up.status)
    may = step and scoping.can(request.user, services.FOLLOW_UP_STEPS[step].permission, follow_up)
    if may and form is None:
        form = STEP_FORMS[step](initial={services.FOLLOW_UP_STEPS[step].date_field: timezone.localdate()})
    return render(request, "assessment/follow_up_detail.html", {
        "follow_up": follow_up, "step": step if may else None, "form": form if may else None,
        "overdue": selectors.follow_up_list(user=request.user).filter(pk=follow_up.pk).filter(overdue_follow_up_q()).exists(),
        "history": audit.history(follow_up)[:20],
    }, status=status)


@portal_view
def follow_up_detail(request, pk):
    return _follow_up_page(request, get_object_or_404(selectors.follow_up_list(user=request.user), pk=pk))


@portal_view
@require_POST
def follow_up_step(request, pk, step):
    follow_up = get_object_or_404(selectors.follow_up_list(user=request.user), pk=pk)
    if step not in STEP_FORMS:
        raise Http404
    spec = services.FOLLOW_UP_STEPS[step]
    if not scoping.can(request.user, spec.permission, follow_up):
        raise NotPermitted(spec.permission)
    form = STEP_FORMS[step](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.follow_up_advance(
            actor=request.user, follow_up=follow_up, step=step, on=data[spec.date_field], text=data[spec.text_field]
        ), form=form, success=_("Follow-up updated."))
        if outcome.done:
            return redirect("assessment:follow_up", pk=pk)
    return _follow_up_page(request, follow_up, form=form, status=400)


# --- schemes and their indicators ------------------------------------------------------------------------------------

CONFIGURE = services.CONFIGURE


class SchemeListView(ScopedListView):
    selector = selectors.scheme_overview
    filterset_class = SchemeFilterSet
    template_name = "assessment/scheme_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_configure=scoping.can_anywhere(self.request.user, CONFIGURE), **kwargs)


def unreachable_grades(scheme, total) -> list[str]:
    """The grades no village can reach, their minimum being above the indicators' total of maximum scores."""
    lines = ((Grade.EXCELLENT, scheme.excellent_min), (Grade.GOOD, scheme.good_min), (Grade.PASS, scheme.pass_min))
    return [str(grade.label) for grade, minimum in lines if minimum > total]


class SchemeDetailView(ScopedDetailView):
    selector = selectors.scheme_overview
    template_name = "assessment/scheme_detail.html"
    context_object_name = "scheme"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, scheme = self.request.user, self.object
        total = scheme.max_total or 0
        rounds = selectors.scheme_rounds(user=user, scheme=scheme)
        counties = dict(Region.objects.filter(code__in={r["county"] for r in rounds}).values_list("code", "name"))
        for row in rounds:
            row["county_name"] = counties.get(row["county"], row["county"])
        may_configure = scoping.can(user, CONFIGURE, scheme)
        indicator_type = ContentType.objects.get_for_model(Indicator)
        history = list(selectors.scheme_history(scheme)[:40])
        for entry in history:
            if entry.content_type_id == indicator_type.pk:
                entry.subject = _("indicator “%(name)s”") % {"name": entry.object_repr}
        context.update(
            indicators=list(scheme.indicators.all()),
            total=total,
            off_hundred=scheme.indicator_count > 0 and total != 100,
            unreachable=unreachable_grades(scheme, total) if scheme.indicator_count else [],
            rounds=rounds,
            can_configure=may_configure,
            can_edit=may_configure and not scheme.in_use,
            can_copy=scoping.can_anywhere(user, CONFIGURE),
            history=history,
        )
        return context


def _scheme_or_404(user, pk):
    return get_object_or_404(selectors.scheme_overview(user=user), pk=pk)


def _editable_or_redirect(request, scheme):
    """None when the user may change the scheme now; else the answer: 403 (not theirs to configure), or back to
    the scheme's page saying it is frozen."""
    if not scoping.can(request.user, CONFIGURE, scheme):
        raise NotPermitted(CONFIGURE)
    if scheme.in_use:
        messages.error(request, services.SchemeFrozen.default_message)
        return redirect("assessment:scheme", pk=scheme.pk)
    return None


def _region_choice(code):
    return Region.objects.get(code=code)  # one of the form's choices: configurable_regions


@portal_view
def scheme_create(request):
    user = request.user
    if not scoping.can_anywhere(user, CONFIGURE):
        raise NotPermitted(CONFIGURE)
    regions = list(selectors.configurable_regions(user=user))
    initial = {"year": timezone.localdate().year, "kind": SchemeKind.ANNUAL, "region": regions[0].code if regions else None}
    form = SchemeForm(request.POST or None, regions=regions, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "region": _region_choice(form.cleaned_data["region"])}
        outcome = perform(request, lambda: services.scheme_create(actor=user, data=data), form=form,
                          success=_("Scheme created. Now add its indicators."))
        if outcome.done:
            return redirect("assessment:scheme", pk=outcome.result.pk)
    return render(request, "assessment/scheme_form.html", {"form": form, "creating": True})


@portal_view
def scheme_edit(request, pk):
    scheme = _scheme_or_404(request.user, pk)
    refused = _editable_or_redirect(request, scheme)
    if refused:
        return refused
    form = SchemeForm(request.POST or None, instance=scheme)
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.scheme_update(actor=request.user, scheme=scheme, data=form.cleaned_data),
                          form=form, success=_("Scheme saved."))
        if outcome.done or isinstance(outcome.error, services.SchemeFrozen):
            return redirect("assessment:scheme", pk=scheme.pk)
    return render(request, "assessment/scheme_form.html", {"form": form, "scheme": scheme})


@portal_view
def scheme_copy(request, pk):
    user = request.user
    scheme = _scheme_or_404(user, pk)
    if not scoping.can_anywhere(user, CONFIGURE):
        raise NotPermitted(CONFIGURE)
    regions = list(selectors.configurable_regions(user=user))
    codes = [r.code for r in regions]
    year = scheme.year + 1
    initial = {"year": year, "region": scheme.region_id if scheme.region_id in codes else (codes[0] if codes else None)}
    form = SchemeCopyForm(request.POST or None, regions=regions, initial=initial)
    form.fields["name"].widget.attrs["placeholder"] = services.copy_name(scheme.name, scheme.year, year)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.scheme_copy(
            actor=user, scheme=scheme, year=data["year"], name=data["name"], region=_region_choice(data["region"]),
        ), form=form, success=_("Scheme copied with its indicators."))
        if outcome.done:
            return redirect("assessment:scheme", pk=outcome.result.pk)
    return render(request, "assessment/scheme_copy.html", {"form": form, "scheme": scheme})


@portal_view
@require_POST
def scheme_delete(request, pk):
    scheme = _scheme_or_404(request.user, pk)
    refused = _editable_or_redirect(request, scheme)
    if refused:
        return refused
    if not is_confirmed(request):
        return confirmation(
            request, title=_("Delete the scheme"),
            question=_("Do you really want to delete the scheme “%(scheme)s”?") % {"scheme": scheme},
            consequence=_("The scheme and its %(count)s indicators are removed. No assessment uses it yet.")
            % {"count": scheme.indicator_count},
            facts=[(_("issuing region"), scheme.region.name), (_("year"), scheme.year)],
            confirm_label=_("Yes, delete the scheme"),
            back_url=reverse("assessment:scheme", kwargs={"pk": scheme.pk}),
        )
    outcome = perform(request, lambda: services.scheme_delete(actor=request.user, scheme=scheme), success=_("Scheme deleted."))
    if outcome.done:
        return redirect("assessment:schemes")
    return redirect("assessment:scheme", pk=scheme.pk)


def _indicator_form_page(request, scheme, form, indicator=None):
    return render(request, "assessment/indicator_form.html", {"form": form, "scheme": scheme, "indicator": indicator})


@portal_view
def indicator_add(request, pk):
    scheme = _scheme_or_404(request.user, pk)
    refused = _editable_or_redirect(request, scheme)
    if refused:
        return refused
    form = IndicatorForm(request.POST or None, initial={"order": None})
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.indicator_add(actor=request.user, scheme=scheme, data=form.cleaned_data),
                          form=form, success=_("Indicator added."))
        if outcome.done or isinstance(outcome.error, services.SchemeFrozen):
            return redirect("assessment:scheme", pk=scheme.pk)
    return _indicator_form_page(request, scheme, form)


@portal_view
def indicator_edit(request, pk, indicator):
    scheme = _scheme_or_404(request.user, pk)
    indicator = get_object_or_404(scheme.indicators.all(), pk=indicator)
    refused = _editable_or_redirect(request, scheme)
    if refused:
        return refused
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        outcome = perform(request, lambda: services.indicator_update(actor=request.user, indicator=indicator, data=form.cleaned_data),
                          form=form, success=_("Indicator saved."))
        if outcome.done or isinstance(outcome.error, services.SchemeFrozen):
            return redirect("assessment:scheme", pk=scheme.pk)
    return _indicator_form_page(request, scheme, form, indicator)


@portal_view
@require_POST
def indicator_remove(request, pk, indicator):
    scheme = _scheme_or_404(request.user, pk)
    indicator = get_object_or_404(scheme.indicators.all(), pk=indicator)
    refused = _editable_or_redirect(request, scheme)
    if refused:
        return refused
    if not is_confirmed(request):
        return confirmation(
            request, title=_("Remove the indicator"),
            question=_("Do you really want to remove the indicator “%(name)s” from “%(scheme)s”?")
            % {"name": indicator.name, "scheme": scheme.name},
            consequence=_("The indicator's maximum score (%(max)s) leaves the scheme's total.") % {"max": indicator.max_score},
            facts=[(_("indicator category"), indicator.get_category_display()), (_("maximum score"), indicator.max_score)],
            confirm_label=_("Yes, remove the indicator"),
            back_url=reverse("assessment:scheme", kwargs={"pk": scheme.pk}),
        )
    perform(request, lambda: services.indicator_remove(actor=request.user, indicator=indicator), success=_("Indicator removed."))
    return redirect("assessment:scheme", pk=scheme.pk)
