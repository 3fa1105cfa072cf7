"""Writes of the assessment loop: the schemes and their indicators (while no assessment uses them), then
score → submit → finalise a round (ranks, bottom-group follow-ups) → talk → rectification → re-inspection;
reopening with a reason; promotion.

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
from core.divisions import CODE_LENGTH
from core.exceptions import Conflict, IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditAction
from planning.models import CreationListEntry
from villages.models import Region, Village, VillageCategory, next_category

from . import selectors
from .models import (
    PASSING_GRADES,
    SCHEME_ISSUING_LEVELS,
    Assessment,
    AssessmentScheme,
    AssessmentStatus,
    FollowUp,
    FollowUpStatus,
    Indicator,
    IndicatorCategory,
    IndicatorScore,
    Prefill,
    Promotion,
    SchemeKind,
)
from .prefill import maintenance_suggestion

A = AssessmentStatus
CENT = Decimal("0.01")
# Which acceptance promotes a village to which category.
ACCEPTANCE_TARGET = {
    SchemeKind.ACCEPTANCE: "demonstration",
    SchemeKind.BOUTIQUE_ACCEPTANCE: "boutique",
    SchemeKind.FUTURE_ACCEPTANCE: "future",
}


def creation_list(scheme: AssessmentScheme, county_code: str) -> set[str] | None:
    """The villages an acceptance under the scheme is for: the county's creation list (创建名单) of the scheme's year
    for the category the acceptance leads to; None when the scheme is no acceptance or the county keeps no such list
    (then every village of the scheme's category may be assessed)."""
    target = ACCEPTANCE_TARGET.get(scheme.kind)
    if target is None:
        return None
    codes = set(CreationListEntry.objects.filter(county_id=county_code, year=scheme.year, category=target)
                .values_list("village_id", flat=True))
    return codes or None


def scheme_in_use(scheme: AssessmentScheme) -> bool:
    """A scheme with any assessment under it (even a draft) is frozen, in the portal and in the admin: its
    indicators, maxima and thresholds made the scores and grades already entered (a draft's scores too)."""
    return scheme.pk is not None and scheme.assessments.exists()


# --- schemes and indicators (configured by county, city and province staff) ------------------------------------------

class SchemeFrozen(Conflict):
    """An assessment uses the scheme: neither it nor its indicators may change any more (scheme_in_use)."""

    code = "scheme_frozen"
    default_message = gettext_lazy("An assessment already uses this scheme, so it can no longer be changed; "
                                   "copy it to a new scheme instead.")


CONFIGURE = "assessment.configure"
ISSUING_CODE_LENGTHS = tuple(CODE_LENGTH[level] for level in SCHEME_ISSUING_LEVELS)
SCHEME_EDITABLE = ("name", "kind", "year", "category", "excellent_min", "good_min", "pass_min", "bottom_percent",
                   "bottom_min", "follow_up_days")
SCHEME_FIELDS = (*SCHEME_EDITABLE, "region")
INDICATOR_FIELDS = ("category", "name", "description", "max_score", "order", "prefill")
# What the columns hold (assessment.models): decimals of 6 digits with 2 places, small positive integers.
SCORE_MAX = Decimal("9999.99")
SMALL_MAX = 32767
YEAR_RANGE = (2003, 2100)  # the programme began in 2003 (scheme_year_range)
FOLLOW_UP_DAYS_MAX = 3650


def _unknown_fields(data: dict, allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise InvalidInput(field_errors={f: _("This field cannot be set here.") for f in sorted(unknown)})


def _decimal(value, field: str, errors: dict, *, low: Decimal = Decimal("0"), high: Decimal = SCORE_MAX,
             low_included: bool = True) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite():  # "NaN" passes quantize
        errors[field] = _("Enter a number.")
        return None
    if (number < low if low_included else number <= low) or number > high:
        errors[field] = (_("Between %(low)s and %(high)s.") if low_included else _("More than %(low)s, at most %(high)s.")) % {
            "low": low, "high": high}
        return None
    return number


def _integer(value, field: str, errors: dict, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = _("Enter a whole number.")
        return None
    if not low <= number <= high:
        errors[field] = _("Between %(low)s and %(high)s.") % {"low": low, "high": high}
        return None
    return number


def _text_of(value, field: str, errors: dict, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("At most %(count)s characters.") % {"count": max_length}
    return text


def _scheme_values(values: dict) -> dict:
    """Every editable value of a scheme checked and normalised; a refusal names each field that is wrong."""
    errors: dict = {}
    clean = {
        "name": _text_of(values.get("name"), "name", errors, 120),
        "kind": values.get("kind"),
        "category": values.get("category") or "",
        "year": _integer(values.get("year"), "year", errors, *YEAR_RANGE),
        "bottom_percent": _decimal(values.get("bottom_percent"), "bottom_percent", errors, high=Decimal("100")),
        "bottom_min": _integer(values.get("bottom_min"), "bottom_min", errors, 0, SMALL_MAX),
        "follow_up_days": _integer(values.get("follow_up_days"), "follow_up_days", errors, 1, FOLLOW_UP_DAYS_MAX),
    }
    if clean["kind"] not in SchemeKind.values:
        errors["kind"] = _("Choose a kind of scheme.")
    if clean["category"] not in VillageCategory.values and clean["category"] != "":
        errors["category"] = _("Choose a village category, or none for every village.")
    thresholds = {f: _decimal(values.get(f), f, errors) for f in ("pass_min", "good_min", "excellent_min")}
    clean.update(thresholds)
    # The grade lines in order: pass < good < excellent (scheme_thresholds_ordered), each named where it is wrong.
    if thresholds["pass_min"] is not None and thresholds["good_min"] is not None and thresholds["good_min"] <= thresholds["pass_min"]:
        errors["good_min"] = _("Must be above the minimum for pass (%(pass)s).") % {"pass": thresholds["pass_min"]}
    if thresholds["good_min"] is not None and thresholds["excellent_min"] is not None and thresholds["excellent_min"] <= thresholds["good_min"]:
        errors["excellent_min"] = _("Must be above the minimum for good (%(good)s).") % {"good": thresholds["good_min"]}
    if errors:
        raise InvalidInput(field_errors=errors)
    return clean


def _check_issuing_region(actor, region) -> Region:
    if not isinstance(region, Region):
        raise InvalidInput(field_errors={"region": _("Choose the issuing region.")})
    scoping.require(actor, CONFIGURE, region)
    if len(region.code) not in ISSUING_CODE_LENGTHS:
        raise InvalidInput(field_errors={"region": _("Schemes are issued by a province, a city or a county.")})
    return region


def _check_name_free(region_id: str, year: int, name: str, *, exclude_pk=None) -> None:
    taken = AssessmentScheme.objects.filter(region_id=region_id, year=year, name=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidInput(field_errors={"name": _("This region already has a scheme of that name for that year.")})


def _lock_scheme(scheme: AssessmentScheme) -> AssessmentScheme:
    """The scheme's row, locked: every change of a scheme or its indicators, and every assessment started under it
    (assessment_start), takes this lock first, so "not in use" stays true until the change commits."""
    return AssessmentScheme.objects.select_for_update(of=("self",)).get(pk=scheme.pk)


def _editable_scheme(actor, scheme: AssessmentScheme) -> AssessmentScheme:
    """The scheme locked, once the actor may configure it and no assessment uses it."""
    scoping.require(actor, CONFIGURE, scheme)
    current = _lock_scheme(scheme)
    if scheme_in_use(current):
        raise SchemeFrozen()
    return current


def scheme_create(*, actor, data: dict) -> AssessmentScheme:
    """A new scheme issued by ``data["region"]`` (a province, city or county the actor configures for)."""
    with transaction.atomic():
        _unknown_fields(data, SCHEME_FIELDS)
        region = _check_issuing_region(actor, data.get("region"))
        defaults = {f.name: f.get_default() for f in AssessmentScheme._meta.concrete_fields
                    if f.name in SCHEME_EDITABLE and f.has_default()}
        values = _scheme_values({**defaults, **{k: v for k, v in data.items() if k != "region"}})
        _check_name_free(region.code, values["year"], values["name"])
        scheme = AssessmentScheme.objects.create(region=region, **values)
        audit.record_create(actor=actor, obj=scheme)
        return scheme


def scheme_update(*, actor, scheme: AssessmentScheme, data: dict) -> AssessmentScheme:
    """Change a scheme that no assessment uses yet (its issuing region stays)."""
    with transaction.atomic():
        _unknown_fields(data, SCHEME_EDITABLE)
        current = _editable_scheme(actor, scheme)
        before = audit.snapshot(current)
        values = _scheme_values({**{f: getattr(current, f) for f in SCHEME_EDITABLE}, **data})
        _check_name_free(current.region_id, values["year"], values["name"], exclude_pk=current.pk)
        for field, value in values.items():
            setattr(current, field, value)
        current.save()
        changes = audit.diff(before, audit.snapshot(current))
        if changes:
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=changes)
        return current


def scheme_delete(*, actor, scheme: AssessmentScheme) -> None:
    """Remove a scheme that no assessment uses (one created by mistake), with its indicators."""
    with transaction.atomic():
        current = _editable_scheme(actor, scheme)
        for indicator in current.indicators.order_by("order", "pk"):
            audit.record(actor=actor, action=AuditAction.DELETE, obj=indicator, changes=audit.diff(audit.snapshot(indicator), {}))
        audit.record(actor=actor, action=AuditAction.DELETE, obj=current, changes=audit.diff(audit.snapshot(current), {}))
        current.delete()


def copy_name(name: str, from_year: int, to_year: int) -> str:
    """The name of a copy for another year: the year in the name follows (“2025年度考核” → “2026年度考核”)."""
    return name.replace(str(from_year), str(to_year)) if from_year != to_year else name


def scheme_copy(*, actor, scheme: AssessmentScheme, year, name: str | None = None, region: Region | None = None) -> AssessmentScheme:
    """A new scheme for ``year`` with the source's thresholds, bottom group and indicators (in use or not: last year's
    frozen scheme is the usual source). The copy is issued by ``region`` (the source's by default), which the actor
    must configure for; the source need only be readable (a county may adopt its city's scheme as its own)."""
    with transaction.atomic():
        if not scoping.can(actor, "view", scheme):
            raise NotPermitted("view")
        target = _check_issuing_region(actor, region if region is not None else scheme.region)
        source = AssessmentScheme.objects.get(pk=scheme.pk)
        errors: dict = {}
        year = _integer(year, "year", errors, *YEAR_RANGE)
        if errors:
            raise InvalidInput(field_errors=errors)
        wanted = name if name not in (None, "") else copy_name(source.name, source.year, year)
        values = _scheme_values({**{f: getattr(source, f) for f in SCHEME_EDITABLE}, "year": year, "name": wanted})
        _check_name_free(target.code, values["year"], values["name"])
        copy = AssessmentScheme.objects.create(region=target, **values)
        note = f"copy of #{source.pk} {source}"
        audit.record_create(actor=actor, obj=copy, note=note)
        for indicator in source.indicators.order_by("order", "pk"):
            new = Indicator.objects.create(scheme=copy, **{f: getattr(indicator, f) for f in INDICATOR_FIELDS})
            audit.record_create(actor=actor, obj=new, note=note)
        return copy


def _indicator_values(values: dict) -> dict:
    errors: dict = {}
    clean = {
        "category": values.get("category"),
        "name": _text_of(values.get("name"), "name", errors, 120),
        "description": _text_of(values.get("description"), "description", errors, 4000, required=False),
        "max_score": _decimal(values.get("max_score"), "max_score", errors, low=Decimal("0"), low_included=False),
        "order": _integer(values.get("order"), "order", errors, 0, SMALL_MAX),
        "prefill": values.get("prefill") or "",
    }
    if clean["category"] not in IndicatorCategory.values:
        errors["category"] = _("Choose an indicator category.")
    if clean["prefill"] and clean["prefill"] not in Prefill.values:
        errors["prefill"] = _("Choose where the score is suggested from, or nothing.")
    if errors:
        raise InvalidInput(field_errors=errors)
    return clean


def _check_indicator_name_free(scheme: AssessmentScheme, name: str, *, exclude_pk=None) -> None:
    taken = Indicator.objects.filter(scheme=scheme, name=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidInput(field_errors={"name": _("The scheme already has an indicator of that name.")})


def _check_prefill_free(scheme, prefill: str, *, exclude_pk=None) -> None:
    """One indicator of a scheme takes its suggestion from the maintenance figures (also a database constraint)."""
    if prefill != Prefill.MAINTENANCE:
        return
    taken = Indicator.objects.filter(scheme=scheme, prefill=prefill)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidInput(field_errors={"prefill": _("Another indicator of the scheme already takes the maintenance figures.")})


def indicator_add(*, actor, scheme: AssessmentScheme, data: dict) -> Indicator:
    """An indicator added to a scheme that no assessment uses; without an order it goes last."""
    with transaction.atomic():
        _unknown_fields(data, INDICATOR_FIELDS)
        current = _editable_scheme(actor, scheme)
        order = data.get("order")
        if order in (None, ""):
            last = current.indicators.order_by("-order").values_list("order", flat=True).first()
            order = 1 if last is None else min(last + 1, SMALL_MAX)
        values = _indicator_values({**data, "order": order})
        _check_indicator_name_free(current, values["name"])
        _check_prefill_free(current, values["prefill"])
        indicator = Indicator.objects.create(scheme=current, **values)
        audit.record_create(actor=actor, obj=indicator)
        return indicator


def _editable_indicator(actor, indicator: Indicator) -> Indicator:
    scheme = AssessmentScheme.objects.get(pk=indicator.scheme_id)
    _editable_scheme(actor, scheme)  # the scheme first (the lock order of every scheme change), then the indicator
    return Indicator.objects.select_for_update(of=("self",)).get(pk=indicator.pk)


def indicator_update(*, actor, indicator: Indicator, data: dict) -> Indicator:
    """Change an indicator (its category, name, standard, maximum score or place) while no assessment uses its scheme."""
    with transaction.atomic():
        _unknown_fields(data, INDICATOR_FIELDS)
        current = _editable_indicator(actor, indicator)
        before = audit.snapshot(current)
        values = _indicator_values({**{f: getattr(current, f) for f in INDICATOR_FIELDS}, **data})
        _check_indicator_name_free(current.scheme_id, values["name"], exclude_pk=current.pk)
        _check_prefill_free(current.scheme_id, values["prefill"], exclude_pk=current.pk)
        for field, value in values.items():
            setattr(current, field, value)
        current.save()
        changes = audit.diff(before, audit.snapshot(current))
        if changes:
            audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=changes)
        return current


def indicator_remove(*, actor, indicator: Indicator) -> None:
    """Remove an indicator from a scheme that no assessment uses."""
    with transaction.atomic():
        current = _editable_indicator(actor, indicator)
        audit.record(actor=actor, action=AuditAction.DELETE, obj=current, changes=audit.diff(audit.snapshot(current), {}))
        current.delete()


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
        listed = creation_list(scheme, village.code[:6])
        if listed is not None and village.code not in listed:
            raise InvalidInput(field_errors={"village": _(
                "The village is not on the county's %(year)s creation list for this category (创建名单).") % {"year": scheme.year}})
        # The scheme's row lock (as every change of the scheme takes it): a scheme edit either commits before this
        # assessment is opened (and it is scored against the changed scheme), or waits and then finds it in use.
        _lock_scheme(scheme)
        if not scheme.indicators.exists():
            raise InvalidInput(field_errors={"scheme": _("The scheme has no indicators yet; add them before assessing under it.")})
        assessment, created = Assessment.objects.get_or_create(
            scheme=scheme, village=village, period=period, defaults={"assessor": actor}
        )
        if created:
            audit.record_create(actor=actor, obj=assessment)
            _prefill(actor, assessment)
        return assessment


def _prefill(actor, assessment: Assessment) -> None:
    """The suggested scores of a new assessment (Indicator.prefill; assessment.prefill for the formula), each stored
    as the indicator's score with its suggestion and the figures it came from. A village without assets gets none."""
    for indicator in assessment.scheme.indicators.filter(prefill=Prefill.MAINTENANCE):
        suggested, basis = maintenance_suggestion(assessment.village_id, assessment.period, indicator.max_score)
        if suggested is None:
            continue
        row = IndicatorScore.objects.create(
            assessment=assessment, indicator=indicator, score=suggested, max_score=indicator.max_score,
            suggested=suggested, suggestion_basis=basis,
        )
        audit.record_create(actor=actor, obj=row, note=_("Suggested from the village's maintenance figures."))


def round_villages(*, actor, scheme: AssessmentScheme, county_code: str):
    """The villages of the county a round under the scheme assesses (those round_start opens an assessment for, and
    the imports of scores may start one for): the village committees the actor manages, of the scheme's category,
    on the county's creation list when the scheme is an acceptance with one (creation_list)."""
    villages = scoping.restrict(Village.objects.filter(code__startswith=county_code), actor, "assessment.manage")
    if scheme.category:
        villages = villages.filter(category=scheme.category)
    listed = creation_list(scheme, county_code)
    if listed is not None:
        villages = villages.filter(code__in=listed)
    return villages.filter(kind="village_committee")


def round_start(*, actor, scheme: AssessmentScheme, period: str, county_code: str) -> int:
    """Open a draft assessment for every village of the county the scheme applies to. Idempotent."""
    with transaction.atomic():
        villages = round_villages(actor=actor, scheme=scheme, county_code=county_code).exclude(
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
    """Record indicator scores {indicator id: (score, evidence[, reason])}; the total and grade are computed.
    With ``submit`` every indicator must be scored and the assessment moves to submitted. A score other than the
    one suggested when the assessment started (IndicatorScore.suggested) needs a reason (kept on the score and in
    the audit row); the reason given before stays while the score stays."""
    with transaction.atomic():
        scoping.require(actor, "assessment.manage", assessment)
        current = _lock(assessment)
        if current.status != A.DRAFT:
            raise IllegalTransition(
                _("Only a draft assessment can be scored; this one is %(status)s.") % {"status": current.get_status_display()}
            )
        indicators = {i.pk: i for i in current.scheme.indicators.all()}
        errors, values, reasons = {}, {}, {}
        existing = {s.indicator_id: s for s in current.scores.all()}
        for key, (raw, evidence, *rest) in scores.items():
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
                continue
            row = existing.get(indicator.pk)
            if row is not None and row.suggested is not None:
                value, reason = values[indicator.pk][0], ((rest[0] if rest else "") or "").strip()
                if value == row.suggested:
                    reason = ""
                elif not reason and value == row.score:
                    reason = row.override_reason  # unchanged since it was given
                if value != row.suggested and not reason:
                    errors[f"score_{key}"] = _("The suggested score is %(suggested)s: give the reason for another one.") % {
                        "suggested": row.suggested}
                reasons[indicator.pk] = reason[:2000]
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
            elif row.score != value or row.evidence != evidence or reasons.get(pk, row.override_reason) != row.override_reason:
                changes[indicators[pk].name] = [str(row.score), str(value)]
                row.score, row.evidence = value, evidence
                if pk in reasons:
                    if reasons[pk] != row.override_reason:
                        changes[f"{indicators[pk].name} ({_('reason')})"] = [row.override_reason, reasons[pk]]
                    row.override_reason = reasons[pk]
                row.save(update_fields=["score", "evidence", "override_reason"])
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
        # Every village of the round: its latest assessment, its county rank among more villages, a follow-up.
        for village_id in sorted({village_id for _pk, village_id, _t, _r in ranked}):
            village_changed(village_id)
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
        # The village's latest assessment, and the county ranks of the other villages of its round.
        round_villages = Assessment.objects.filter(
            scheme_id=current.scheme_id, period=current.period, village__code__startswith=current.village_id[:6],
            status=A.FINALISED,
        ).values_list("village_id", flat=True)
        for village_id in sorted({current.village_id, *round_villages}):
            village_changed(village_id)
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
        village_changed(current.village_id)  # the village status lists its open follow-ups
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
