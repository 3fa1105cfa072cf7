"""Writes of the assessment loop: score → submit → finalise a round (ranks, bottom-group
follow-ups) → talk → rectification → re-inspection; reopening with a reason; promotion.

Every function checks the actor through the gate, runs in one transaction,
locks what it changes, and writes its audit rows in that transaction.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit, scoping
from core.changes import village_changed
from core.exceptions import Conflict, IllegalTransition, InvalidInput
from core.models import AuditAction
from villages.models import Village, VillageCategory, next_category

from . import selectors
from .models import (
    PASSING_GRADES,
    Assessment,
    AssessmentScheme,
    AssessmentStatus,
    FollowUp,
    FollowUpStatus,
    IndicatorScore,
    Promotion,
    SchemeKind,
)

A = AssessmentStatus
CENT = Decimal("0.01")
# Which acceptance promotes a village to which category.
ACCEPTANCE_TARGET = {
    SchemeKind.ACCEPTANCE: "demonstration",
    SchemeKind.BOUTIQUE_ACCEPTANCE: "boutique",
    SchemeKind.FUTURE_ACCEPTANCE: "future",
}


def scheme_in_use(scheme: AssessmentScheme) -> bool:
    """A scheme with any assessment under it (even a draft) is read-only in the admin: its indicators, maxima and
    thresholds made the scores and grades already entered."""
    return scheme.pk is not None and scheme.assessments.exists()


def _lock(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update(of=("self",)).select_related("scheme", "village").get(pk=assessment.pk)


def assessment_start(*, actor, scheme: AssessmentScheme, village: Village, period: str) -> Assessment:
    with transaction.atomic():
        scoping.require(actor, "assessment.manage", village)
        if not scoping.can(actor, "view", scheme):
            raise InvalidInput(field_errors={"scheme": _("This scheme is not issued for your area.")})
        if not village.code.startswith(scheme.region_id):
            raise InvalidInput(field_errors={"village": _("The village is outside the scheme's region.")})
        if scheme.category and scheme.category != village.category:
            raise InvalidInput(
                field_errors={"village": _("The scheme applies to %(category)s villages.") % {"category": scheme.get_category_display()}}
            )
        if not str(period).startswith(str(scheme.year)):
            raise InvalidInput(field_errors={"period": _("The period must fall in the scheme's year (%(year)s).") % {"year": scheme.year}})
        assessment, created = Assessment.objects.get_or_create(
            scheme=scheme, village=village, period=period, defaults={"assessor": actor}
        )
        if created:
            audit.record_create(actor=actor, obj=assessment)
        return assessment


def round_start(*, actor, scheme: AssessmentScheme, period: str, county_code: str) -> int:
    """Open a draft assessment for every village of the county the scheme applies to. Idempotent."""
    with transaction.atomic():
        villages = scoping.restrict(Village.objects.filter(code__startswith=county_code), actor, "assessment.manage")
        if scheme.category:
            villages = villages.filter(category=scheme.category)
        villages = villages.filter(kind="village_committee").exclude(
            assessments__scheme=scheme, assessments__period=period
        )
        count = 0
        for village in villages.order_by("code"):
            assessment_start(actor=actor, scheme=scheme, village=village, period=period)
            count += 1
        return count


def _score_value(raw, indicator) -> Decimal:
    try:
        value = Decimal(str(raw)).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(_("Enter a number.")) from None
    if value < 0 or value > indicator.max_score:
        raise ValueError(_("Between 0 and %(max)s.") % {"max": indicator.max_score})
    return value


def assessment_score(*, actor, assessment: Assessment, scores: dict[int, tuple], submit: bool = False) -> Assessment:
    """Record indicator scores {indicator id: (score, evidence)}; the total and grade are computed.
    With ``submit`` every indicator must be scored and the assessment moves to submitted."""
    with transaction.atomic():
        scoping.require(actor, "assessment.manage", assessment)
        current = _lock(assessment)
        if current.status != A.DRAFT:
            raise IllegalTransition(
                _("Only a draft assessment can be scored; this one is %(status)s.") % {"status": current.get_status_display()}
            )
        indicators = {i.pk: i for i in current.scheme.indicators.all()}
        errors, values = {}, {}
        for key, (raw, evidence) in scores.items():
            indicator = indicators.get(int(key))
            if indicator is None:
                errors[f"score_{key}"] = _("Not an indicator of this scheme.")
                continue
            if raw in (None, ""):
                continue
            try:
                values[indicator.pk] = (_score_value(raw, indicator), (evidence or "").strip())
            except ValueError as problem:
                errors[f"score_{key}"] = str(problem)
        existing = {s.indicator_id: s for s in current.scores.all()}
        if submit:
            missing = [pk for pk in indicators if pk not in values and pk not in existing and f"score_{pk}" not in errors]
            for pk in missing:
                errors[f"score_{pk}"] = _("A score is needed to submit.")
        if errors:
            raise InvalidInput(field_errors=errors)
        before = audit.snapshot(current)
        changes = {}
        for pk, (value, evidence) in values.items():
            row = existing.get(pk)
            if row is None:
                row = IndicatorScore.objects.create(
                    assessment=current, indicator=indicators[pk], score=value, max_score=indicators[pk].max_score, evidence=evidence
                )
                existing[pk] = row
                changes[indicators[pk].name] = [None, str(value)]
            elif row.score != value or row.evidence != evidence:
                changes[indicators[pk].name] = [str(row.score), str(value)]
                row.score, row.evidence = value, evidence
                row.save(update_fields=["score", "evidence"])
        total = sum((s.score for s in existing.values()), Decimal("0.00"))
        current.total_score = total
        current.grade = current.scheme.grade_for(total)
        current.assessor = actor
        if submit:
            current.status = A.SUBMITTED
        current.save()
        audit.record(
            actor=actor, action=AuditAction.TRANSITION if submit else AuditAction.UPDATE, obj=current,
            changes={**audit.diff(before, audit.snapshot(current)), **{f"score: {k}": v for k, v in changes.items()}},
        )
        return current


def assessment_return_to_draft(*, actor, assessment: Assessment, reason: str) -> Assessment:
    """A submitted assessment back to draft (before the round is finalised)."""
    with transaction.atomic():
        scoping.require(actor, "assessment.manage", assessment)
        current = _lock(assessment)
        if current.status != A.SUBMITTED:
            raise IllegalTransition(_("Only a submitted assessment can go back to draft."))
        before = audit.snapshot(current)
        current.status = A.DRAFT
        current.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)), note=reason)
        return current


def round_finalise(*, actor, scheme: AssessmentScheme, period: str, county_code: str, on_date: datetime.date | None = None) -> dict:
    """Finalise every submitted assessment of the round, then open a follow-up for each village in
    the bottom group that has none. Refused while any assessment of the round is still a draft."""
    with transaction.atomic():
        scoping.require(actor, "assessment.manage", county_code)
        if len(county_code) != 6:
            raise InvalidInput(field_errors={"county": _("Rounds are finalised per county.")})
        round_qs = Assessment.objects.filter(scheme=scheme, period=period, village__code__startswith=county_code)
        rows = list(round_qs.select_for_update(of=("self",)).order_by("pk"))
        if not rows:
            raise Conflict(_("There are no assessments in this round."))
        drafts = [a for a in rows if a.status == A.DRAFT]
        if drafts:
            raise Conflict(
                _("%(count)s assessments of this round are still drafts; submit or remove them first.") % {"count": len(drafts)},
                drafts=[a.village_id for a in drafts],
            )
        now = timezone.now()
        today = on_date or timezone.localdate()
        finalised = 0
        for assessment in rows:
            if assessment.status == A.SUBMITTED:
                before = audit.snapshot(assessment)
                assessment.status = A.FINALISED
                assessment.finalised_at = now
                assessment.save(update_fields=["status", "finalised_at", "updated_at"])
                audit.record(actor=actor, action=AuditAction.TRANSITION, obj=assessment, changes=audit.diff(before, audit.snapshot(assessment)))
                finalised += 1
        ranked = list(
            selectors.ranked_round(scheme, period, county_code)
            .order_by("county_rank", "village_id")
            .values_list("pk", "village_id", "total_score", "county_rank")
        )
        group = selectors.bottom_group([total for _pk, _v, total, _r in ranked], scheme.bottom_percent, scheme.bottom_min)
        opened = []
        if group:
            existing = set(FollowUp.objects.filter(assessment__in=[pk for pk, *_ in ranked]).values_list("assessment_id", flat=True))
            for index, _rank in group:
                pk, village_id, _total, rank = ranked[index]  # the rank the database computed (the same numbers)
                if pk not in existing:
                    follow_up = FollowUp.objects.create(
                        assessment_id=pk, village_id=village_id, rank=rank, ranked_among=len(ranked),
                        due_date=today + datetime.timedelta(days=scheme.follow_up_days),
                    )
                    audit.record_create(actor=actor, obj=follow_up)
                    opened.append(follow_up)
        return {"finalised": finalised, "ranked": len(ranked), "follow_ups": opened}


def assessment_reopen(*, actor, assessment: Assessment, reason: str) -> Assessment:
    """A finalised assessment back to draft for correction: audited, with a reason."""
    with transaction.atomic():
        scoping.require(actor, "assessment.manage", assessment)
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput(field_errors={"reason": _("Please give a reason for reopening.")})
        current = _lock(assessment)
        if current.status != A.FINALISED:
            raise IllegalTransition(_("Only a finalised assessment can be reopened."))
        if current.promotions.exists():
            raise Conflict(_("A promotion rests on this assessment; it cannot be reopened."))
        before = audit.snapshot(current)
        current.status = A.DRAFT
        current.finalised_at = None
        current.reopen_count += 1
        current.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)), note=reason)
        return current


# --- follow-ups -------------------------------------------------------------------

def _lock_follow_up(follow_up: FollowUp) -> FollowUp:
    return FollowUp.objects.select_for_update(of=("self",)).get(pk=follow_up.pk)


def _date(value, field) -> datetime.date:
    if not isinstance(value, datetime.date):
        raise InvalidInput(field_errors={field: _("Enter a date.")})
    if value > timezone.localdate():
        raise InvalidInput(field_errors={field: _("The date cannot be in the future.")})
    return value


def _text(value, field) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(field_errors={field: _("This field is required.")})
    return value


@dataclass(frozen=True)
class _FollowUpStep:
    permission: str
    source: str
    target: str
    date_field: str
    text_field: str
    previous_date_field: str | None  # the step's date may not precede this one
    out_of_order: str
    too_early: str = ""


FOLLOW_UP_STEPS = {
    "talk": _FollowUpStep("followup.record", FollowUpStatus.OPEN, FollowUpStatus.TALK_HELD, "talk_held_on", "talk_notes",
                          None, gettext_lazy("The talk is already recorded.")),
    "rectification": _FollowUpStep(
        "followup.record", FollowUpStatus.TALK_HELD, FollowUpStatus.RECTIFIED, "rectified_on", "rectification",
        "talk_held_on", gettext_lazy("Record the talk before the rectification."),
        gettext_lazy("The rectification cannot precede the talk."),
    ),
    # Re-inspection is the county's.
    "close": _FollowUpStep(
        "assessment.manage", FollowUpStatus.RECTIFIED, FollowUpStatus.CLOSED, "reinspected_on", "reinspection_notes",
        "rectified_on", gettext_lazy("Only a rectified follow-up can be closed by re-inspection."),
        gettext_lazy("The re-inspection cannot precede the rectification."),
    ),
}


STEP_AFTER = {step.source: name for name, step in FOLLOW_UP_STEPS.items()}  # status → the step that comes next


def follow_up_advance(*, actor, follow_up: FollowUp, step: str, on: datetime.date, text: str) -> FollowUp:
    """One step of a follow-up (talk → rectification → re-inspection): its date and its notes, in order."""
    with transaction.atomic():
        step = FOLLOW_UP_STEPS[step]
        scoping.require(actor, step.permission, follow_up)
        on, text = _date(on, step.date_field), _text(text, step.text_field)
        current = _lock_follow_up(follow_up)
        if current.status != step.source:
            raise IllegalTransition(str(step.out_of_order))
        if step.previous_date_field and on < getattr(current, step.previous_date_field):
            raise InvalidInput(field_errors={step.date_field: str(step.too_early)})
        before = audit.snapshot(current)
        setattr(current, step.date_field, on)
        setattr(current, step.text_field, text)
        current.status = step.target
        current.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        return current


def follow_up_record_talk(*, actor, follow_up: FollowUp, held_on: datetime.date, notes: str) -> FollowUp:
    return follow_up_advance(actor=actor, follow_up=follow_up, step="talk", on=held_on, text=notes)


def follow_up_record_rectification(*, actor, follow_up: FollowUp, rectified_on: datetime.date, rectification: str) -> FollowUp:
    return follow_up_advance(actor=actor, follow_up=follow_up, step="rectification", on=rectified_on, text=rectification)


def follow_up_close(*, actor, follow_up: FollowUp, reinspected_on: datetime.date, notes: str) -> FollowUp:
    """County staff re-inspect and close the follow-up."""
    return follow_up_advance(actor=actor, follow_up=follow_up, step="close", on=reinspected_on, text=notes)


# --- promotion ---------------------------------------------------------------------

def village_promote(*, actor, assessment: Assessment, on_date: datetime.date | None = None) -> Promotion:
    """Promote the village one category up, on the strength of a passed acceptance."""
    with transaction.atomic():
        scoping.require(actor, "assessment.manage", assessment)
        current = _lock(assessment)
        village = Village.objects.select_for_update(of=("self",)).get(pk=current.village_id)
        target = ACCEPTANCE_TARGET.get(current.scheme.kind)
        if target is None:
            raise Conflict(_("Only an acceptance (验收) can justify a promotion."))
        if current.status != A.FINALISED or current.grade not in PASSING_GRADES:
            raise Conflict(_("The acceptance must be finalised and passed."))
        if next_category(village.category) != target:
            raise Conflict(
                _("This acceptance promotes to %(target)s, but the village is %(category)s.")
                % {"target": VillageCategory(target).label, "category": village.get_category_display()}
            )
        if Promotion.objects.filter(assessment=current).exists():
            raise Conflict(_("This acceptance has already been used for a promotion."))
        on_date = on_date or timezone.localdate()
        before = audit.snapshot(village)
        promotion = Promotion.objects.create(
            village=village, from_category=village.category, to_category=target, promoted_on=on_date, assessment=current, actor=actor
        )
        village.category = target
        village.save(update_fields=["category", "updated_at"])
        audit.record_create(actor=actor, obj=promotion)
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=village, changes=audit.diff(before, audit.snapshot(village)),
                     note=str(current.scheme))
        village_changed(village.code)
        return promotion
