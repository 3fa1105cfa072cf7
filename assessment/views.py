"""Assessment pages: rounds and rankings, the scoring form, follow-ups. Writes go through assessment.services."""
from django.contrib import messages
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
from .filters import AssessmentFilterSet, FollowUpFilterSet, overdue_follow_up_q
from .forms import ReasonForm, RectificationForm, ReinspectionForm, RoundStartForm, ScoreForm, TalkForm
from .models import PASSING_GRADES, AssessmentStatus


class AssessmentListView(ScopedListView):
    selector = selectors.assessment_list
    filterset_class = AssessmentFilterSet
    template_name = "assessment/assessment_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            rounds=selectors.round_list(user=user)[:40],
            can_manage=scoping.can_anywhere(user, "assessment.manage"),
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
            consequence=_("%(count)s assessments will be finalised, ranked, and follow-ups opened for the bottom group. "
                          "The scheme is frozen from then on; a finalised assessment can only be reopened with a reason.")
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
    form = ScoreForm(request.POST, indicators=assessment.scheme.indicators.all())
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
