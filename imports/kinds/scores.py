"""Assessment scores (考核评分): the scores of one assessment round, one row per village, one column per indicator of
the round's scheme (the header is the indicator's name; a score from 0 to the indicator's maximum, two decimals).

**The round** is the kind's parameter: an assessment scheme the user can read (core.scoping.restrict) and a period
of the scheme's year ("2025", "2025-H1", "2025-Q3"), as ``{"scheme": id, "period": "2025"}`` (the upload form sends
them as one value, ``"id:2025"``). There is no round object in the code base: a round is the assessments of one
scheme and period (assessment.services.round_start opens them per county, round_finalise closes them). A round is
*open* for a village while its assessment is a draft, or while it has none yet and the round assesses it
(assessment.services.round_villages: a village committee of the scheme's category, on the county's creation list
for an acceptance that has one): the import starts that assessment (assessment_start, as round_start would).

**The natural key** is (scheme, village, period), the assessment's own unique key: a row for a village without an
assessment in the round creates it (then scores it); a row for a draft assessment scores it (assessment_score),
unchanged when every score it gives is the one recorded. An empty cell leaves the indicator as it is (a draft may
be scored in several goes); the import never submits: the assessor reviews and submits on the assessment's page.

**Statuses**: assessment_score scores drafts only, so a row for a submitted assessment (return it to draft on its
page first) or a finalised one (reopened with a reason) is an error on the village column, unless it changes
nothing.

**Comments**: the service keeps an evidence text per indicator (no comment on the assessment): the import leaves it
as it is. The indicator whose score is suggested from the maintenance figures (Indicator.prefill, one per scheme)
has an optional column for the reason of another score than the suggested one, which the service requires.

Every row is checked against the user's area (``assessment.manage``) and the round; each is written through
assessment.services, which checks the gate again and writes the audit rows."""
from __future__ import annotations

import re

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment import services as assessment_services
from assessment.models import PERIOD_REGEX, Assessment, AssessmentScheme, AssessmentStatus, Indicator
from assessment.prefill import maintenance_suggestion
from core.exceptions import InvalidInput
from core.scoping import restrict
from villages.models import Village

from .. import columns as c
from . import register
from .base import Kind, RowPlan, chunked

EXAMPLE_VILLAGE = "000000000000"  # no village has it: the example row cannot be taken for a real one


def score_key(indicator) -> str:
    # The service's own field name (assessment_score refuses a score as {"score_<id>": ...}): a refusal at the commit
    # then names this column (imports.services._column_of).
    return f"score_{indicator.pk}"


def reason_key(indicator) -> str:
    return f"reason_{indicator.pk}"


class ScoresKind(Kind):
    key = "scores"
    label = gettext_lazy("assessment scores")
    sheet = gettext_lazy("scores")
    permission = "assessment.manage"
    village_column = c.Column("village", gettext_lazy("village code"), c.code(12), note=gettext_lazy(
        "The 12-digit code of the village (see the sheet of village codes): one row per village."))
    columns = [village_column]
    example = {"village": EXAMPLE_VILLAGE}

    # --- the round ------------------------------------------------------------------------------------------------

    def clean_params(self, *, user, region, params: dict) -> dict:
        scheme_value, period = params.get("scheme"), params.get("period")
        if isinstance(scheme_value, str) and ":" in scheme_value and not period:
            scheme_value, _sep, period = scheme_value.partition(":")  # the upload form's one value
        try:
            scheme_id = int(str(scheme_value).strip())
        except (TypeError, ValueError):
            raise InvalidInput(field_errors={"scheme": [_("Choose the assessment round (a scheme and a period).")]}) from None
        scheme = restrict(AssessmentScheme.objects.all(), user).filter(pk=scheme_id).first()
        if scheme is None:
            raise InvalidInput(field_errors={"scheme": [_("No such assessment scheme for your area.")]})
        if not scheme.indicators.exists():
            raise InvalidInput(field_errors={"scheme": [_("The scheme has no indicators yet.")]})
        period = str(period or "").strip()
        if not re.match(PERIOD_REGEX, period):
            raise InvalidInput(field_errors={"period": [_("Enter a period as 2025, 2025-H1 or 2025-Q3.")]})
        if not period.startswith(str(scheme.year)):
            raise InvalidInput(field_errors={"period": [_("The period must fall in the scheme's year (%(year)s).")
                                                        % {"year": scheme.year}]})
        return {"scheme": scheme.pk, "period": period}

    def scheme(self, params: dict) -> AssessmentScheme | None:
        if not params.get("scheme"):
            return None
        return AssessmentScheme.objects.filter(pk=params["scheme"]).select_related("region").first()

    def indicators(self, params: dict) -> list[Indicator]:
        if not params.get("scheme"):
            return []
        return list(Indicator.objects.filter(scheme_id=params["scheme"]).order_by("order", "pk"))

    def get_columns(self, params: dict) -> list[c.Column]:
        columns = [self.village_column]
        for indicator in self.indicators(params):
            columns.append(c.Column(
                score_key(indicator), indicator.name, c.decimal(2, maximum=indicator.max_score), required=False,
                note=format_lazy("{} {}", indicator.get_category_display(),
                                 _("0 to %(max)s; an empty cell leaves the score as it is.") % {"max": indicator.max_score}),
                width=14))
            if indicator.prefill:
                columns.append(c.Column(
                    reason_key(indicator), format_lazy("{}（{}）", indicator.name, gettext_lazy("reason")), c.text(2000),
                    required=False, width=24,
                    note=gettext_lazy("The score is suggested from the village's maintenance figures: give the reason "
                                      "for another score.")))
        return columns

    def header_map(self, headers, params=None):
        found, missing, unknown = super().header_map(headers, params)
        if not any(column.key.startswith("score_") for column, _m in found.values()):
            # (else a file of another scheme would be read as villages without scores)
            missing.append(_("at least one indicator of the scheme (its name as the header)"))
        return found, missing, unknown

    def example_cells(self) -> dict:
        return {"village": EXAMPLE_VILLAGE}

    # --- the villages ---------------------------------------------------------------------------------------------

    def round_codes(self, *, user, region, scheme, codes=None) -> set[str]:
        """The codes of the villages of ``region`` (among ``codes``) that the round assesses (round_villages)."""
        found: set[str] = set()
        counties = sorted({code[:6] for code in codes} if codes is not None else
                          set(self.villages(user=user, region=region).values_list("township__parent__code", flat=True)))
        for county in counties:
            if not county.startswith(scheme.region_id):  # a scheme is issued by a province, a city or a county
                continue
            rows = assessment_services.round_villages(actor=user, scheme=scheme, county_code=county).filter(
                code__startswith=scheme.region_id).filter(code__startswith=region.code)
            if codes is not None:
                rows = rows.filter(code__in=[code for code in codes if code.startswith(county)])
            found |= set(rows.values_list("code", flat=True))
        return found

    def reference_rows(self, *, user, region, params=None):
        scheme = self.scheme(params or {})
        if scheme is None:
            return [], []
        period = params["period"]
        status = dict(Assessment.objects.filter(scheme=scheme, period=period, village__code__startswith=region.code)
                      .values_list("village_id", "status"))
        codes = self.round_codes(user=user, region=region, scheme=scheme) | set(status)
        rows = (self.villages(user=user, region=region).filter(code__in=sorted(codes))
                .select_related("township").order_by("code"))
        labels = dict(AssessmentStatus.choices)
        return ([_("village code"), _("village"), _("township"), _("assessment")],
                [[v.code, v.short_name, v.township.name, str(labels[status[v.code]]) if v.code in status else _("not started")]
                 for v in rows.iterator(chunk_size=2000)])

    # --- the dry run ----------------------------------------------------------------------------------------------

    def check(self, *, user, region, plans: list[RowPlan], params: dict) -> None:
        scheme, period = self.scheme(params), params.get("period")
        indicators = self.indicators(params)
        columns = {column.key: column for column in self.get_columns(params)}
        codes = sorted({p.data["village"] for p in plans if p.data.get("village")})
        villages: dict[str, Village] = {}
        existing: dict[str, Assessment] = {}
        for chunk in chunked(codes):
            villages |= {v.code: v for v in self.villages(user=user, region=region).filter(code__in=chunk)}
            existing |= {a.village_id: a for a in Assessment.objects.filter(
                scheme=scheme, period=period, village_id__in=[code for code in chunk if code in villages])
                .prefetch_related("scores")}
        in_round = self.round_codes(user=user, region=region, scheme=scheme, codes=[v for v in villages if v not in existing])
        seen: dict[str, int] = {}
        for plan in plans:
            data, code = plan.data, plan.data.get("village")
            if code:
                first = seen.setdefault(code, plan.row)
                if first != plan.row:
                    plan.error(self.village_column, _("the same village as row %(row)d") % {"row": first})
                elif code not in villages:
                    self.refuse_row_outside(plan, self.village_column)
                elif code not in existing and code not in in_round:
                    plan.error(self.village_column, _("not assessed in this round (the scheme's category, the creation "
                                                      "list or the kind of village)"))
            if plan.errors:
                continue
            village, assessment = villages[code], existing.get(code)
            plan.key = f"{code} · {period}"
            plan.summary = village.short_name
            recorded = {s.indicator_id: s for s in assessment.scores.all()} if assessment else {}
            suggestions = {}
            if assessment is None:
                for indicator in indicators:
                    if indicator.prefill and data.get(score_key(indicator)) is not None:
                        suggestions[indicator.pk] = maintenance_suggestion(code, period, indicator.max_score)[0]
            changes = {}
            for indicator in indicators:
                value = data.get(score_key(indicator))
                if value is None:
                    continue
                row = recorded.get(indicator.pk)
                reason = (data.get(reason_key(indicator)) or "").strip()
                suggested = row.suggested if row is not None else suggestions.get(indicator.pk)
                if indicator.prefill and suggested is not None and value != suggested:
                    if not reason and not (row is not None and value == row.score and row.override_reason):
                        plan.error(columns.get(reason_key(indicator), columns[score_key(indicator)]),
                                   _("the suggested score is %(suggested)s: give the reason for another one")
                                   % {"suggested": suggested})
                        continue
                reason_changed = bool(reason) and suggested is not None and value != suggested and (
                    row is None or reason != row.override_reason)
                if row is None or row.score != value or reason_changed:
                    changes[indicator.pk] = [None if row is None else str(row.score), str(value)]
            if plan.errors:
                continue
            if assessment is None:
                plan.action, plan.target = "create", village
                plan.changes = {indicator.name: changes[indicator.pk] for indicator in indicators if indicator.pk in changes}
            elif not changes:
                plan.action = "unchanged"
            elif assessment.status != AssessmentStatus.DRAFT:
                hint = (_("return it to draft on its page first") if assessment.status == AssessmentStatus.SUBMITTED
                        else _("it can only be reopened, with a reason, on its page"))
                plan.error(self.village_column, _("the assessment of %(village)s is %(status)s: its scores can no longer be "
                                                  "changed by an import (%(hint)s)")
                           % {"village": village.short_name, "status": assessment.get_status_display(), "hint": hint})
            else:
                plan.action, plan.target = "update", assessment
                plan.changes = {indicator.name: changes[indicator.pk] for indicator in indicators if indicator.pk in changes}

    # --- the commit -----------------------------------------------------------------------------------------------

    def write(self, *, actor, plan: RowPlan, params: dict):
        indicators = self.indicators(params)
        if plan.action == "create":
            assessment = assessment_services.assessment_start(actor=actor, scheme=self.scheme(params), village=plan.target,
                                                              period=params["period"])
        else:
            assessment = plan.target
        recorded = {s.indicator_id: s for s in assessment.scores.all()}
        scores = {}
        for indicator in indicators:
            value = plan.data.get(score_key(indicator))
            if value is None:
                continue
            row = recorded.get(indicator.pk)
            if row is not None and row.score == value and not plan.data.get(reason_key(indicator)):
                continue
            # The evidence recorded stays (the service sets the one it is given).
            scores[indicator.pk] = (value, row.evidence if row is not None else "", plan.data.get(reason_key(indicator)) or "")
        if not scores:
            return assessment
        return assessment_services.assessment_score(actor=actor, assessment=assessment, scores=scores)


register(ScoresKind())
