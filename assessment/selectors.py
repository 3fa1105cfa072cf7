"""Reads of assessments: rounds, rankings (SQL window functions), follow-ups.

A *round* is one scheme, one period, one county. Ranks are computed by the
database over the whole round (RANK() OVER (PARTITION BY county / township
ORDER BY total DESC): ties share a rank, the next rank skips), and only then
narrowed to what the user may see, so a township official sees the same
county rank as the county does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.functions import Rank, Substr

from core.models import AuditAction, AuditEntry
from core.scoping import restrict
from villages.models import Region

from .models import (
    SCHEME_ISSUING_LEVELS,
    Assessment,
    AssessmentScheme,
    AssessmentStatus,
    FollowUp,
    FollowUpStatus,
    Indicator,
    IndicatorScore,
    Promotion,
)

F_ = AssessmentStatus.FINALISED


def bottom_group_size(ranked: int, percent: Decimal, minimum: int) -> int:
    """ceil(percent % of the villages ranked), at least ``minimum``, at most all of them."""
    if ranked <= 0:
        return 0
    return min(ranked, max(minimum, math.ceil(Decimal(ranked) * Decimal(percent) / 100)))


def bottom_group(totals, percent: Decimal, minimum: int) -> list[tuple[int, int]]:
    """The bottom group of a round (末位): indexes into ``totals`` and their competition rank (1 = best;
    ties share a rank). The group has bottom_group_size members and takes in everyone tied with its last
    one. The one rule for round_finalise, the sample programme and the scale data."""
    totals = list(totals)
    size = bottom_group_size(len(totals), percent, minimum)
    if not size:
        return []
    ascending = sorted(totals)
    cutoff = ascending[size - 1]
    return [(i, 1 + sum(1 for other in totals if other > total)) for i, total in enumerate(totals) if total <= cutoff]


def assessment_list(*, user) -> QuerySet:
    return restrict(
        Assessment.objects.select_related("scheme", "village", "village__township", "assessor", "follow_up"), user
    )


def assessment_detail(*, user) -> QuerySet:
    return assessment_list(user=user).prefetch_related(
        Prefetch("scores", queryset=IndicatorScore.objects.select_related("indicator").order_by("indicator__order", "indicator_id")),
        "scheme__indicators",
        "promotions",
    )


def scheme_list(*, user) -> QuerySet:
    return restrict(AssessmentScheme.objects.select_related("region"), user).annotate(
        indicator_count=Count("indicators", distinct=True),
    )


def scheme_overview(*, user) -> QuerySet:
    """The schemes the user may read (issued in their area or above it), each with its indicators' count and
    the sum of their maximum scores, and whether an assessment uses it (frozen). One query."""
    return scheme_list(user=user).annotate(
        max_total=Sum("indicators__max_score"),
        in_use=Exists(Assessment.objects.filter(scheme=OuterRef("pk"))),
    ).order_by("-year", "region_id", "name", "pk")  # an aggregate drops Meta.ordering


def scheme_rounds(*, user, scheme: AssessmentScheme) -> list[dict]:
    """The rounds (period, county) under the scheme that the user can see, with counts by status."""
    return list(
        restrict(Assessment.objects.filter(scheme=scheme), user)
        .annotate(county=Substr("village_id", 1, 6))
        .values("period", "county")
        .annotate(villages=Count("id"), finalised=Count("id", filter=Q(status=F_)))
        .order_by("-period", "county")[:100]
    )


def configurable_regions(*, user) -> QuerySet:
    """The regions (province, city, county) the user may issue schemes for."""
    return restrict(Region.objects.filter(level__in=SCHEME_ISSUING_LEVELS), user, "assessment.configure").order_by("code")


def scheme_history(scheme: AssessmentScheme) -> QuerySet:
    """The audit rows of a scheme and of its indicators, those removed since included (found by the scheme
    their creation or removal recorded), newest first."""
    indicator_type = ContentType.objects.get_for_model(Indicator)
    of_indicators = AuditEntry.objects.filter(content_type=indicator_type)
    ids = (
        {str(pk) for pk in scheme.indicators.values_list("pk", flat=True)}
        | set(of_indicators.filter(action=AuditAction.CREATE, changes__scheme__1=scheme.pk).values_list("object_id", flat=True))
        | set(of_indicators.filter(action=AuditAction.DELETE, changes__scheme__0=scheme.pk).values_list("object_id", flat=True))
    )
    return (
        AuditEntry.objects.filter(
            Q(content_type=ContentType.objects.get_for_model(AssessmentScheme), object_id=str(scheme.pk))
            | Q(content_type=indicator_type, object_id__in=sorted(ids))
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )


def round_list(*, user) -> list[dict]:
    """Every (scheme, period, county) the user can see, with counts by status. One query."""
    rows = (
        restrict(Assessment.objects.all(), user)
        .annotate(county=Substr("village_id", 1, 6))
        .values("scheme_id", "scheme__name", "scheme__year", "scheme__kind", "period", "county")
        .annotate(
            villages=Count("id"),
            finalised=Count("id", filter=Q(status=F_)),
            submitted=Count("id", filter=Q(status=AssessmentStatus.SUBMITTED)),
            last_finalised=Max("finalised_at"),
        )
        .order_by("-period", "scheme__name", "county")
    )
    return list(rows)


@dataclass
class RankedRow:
    assessment: Assessment
    county_rank: int
    township_rank: int
    ranked_in_county: int
    previous_rank: int | None

    @property
    def change(self) -> int | None:
        """Places gained since the previous period (positive = up)."""
        return None if self.previous_rank is None else self.previous_rank - self.county_rank


def _ranked(scheme_filter: Q, period: str, county: str) -> QuerySet:
    return (
        Assessment.objects.filter(scheme_filter, period=period, status=F_, village__code__startswith=county)
        .annotate(
            county_rank=Window(Rank(), partition_by=[Substr("village_id", 1, 6)], order_by=F("total_score").desc()),
            township_rank=Window(Rank(), partition_by=[F("village__township_id")], order_by=F("total_score").desc()),
        )
    )


def ranked_round(scheme: AssessmentScheme, period: str, county: str) -> QuerySet:
    """The finalised assessments of one round with their ranks (not scoped: ranks are over the whole round)."""
    return _ranked(Q(scheme=scheme), period, county)


def previous_period(scheme: AssessmentScheme, period: str, county: str) -> str | None:
    """The latest earlier period with a finalised round of the same kind of scheme in the county."""
    return (
        Assessment.objects.filter(
            scheme__kind=scheme.kind, scheme__category=scheme.category, status=F_, village__code__startswith=county,
            period__lt=period,
        )
        .aggregate(p=Max("period"))["p"]
    )


def ranking(*, user, scheme: AssessmentScheme, period: str, county: str) -> list[RankedRow]:
    """The round's finalised assessments the user may see, with county and township ranks and the
    change against the previous period. Three queries, whatever the size of the county."""
    rows = list(
        _ranked(Q(scheme=scheme), period, county)
        .select_related("village", "village__township", "follow_up")
        .order_by("county_rank", "village_id")
    )
    visible = set(
        restrict(Assessment.objects.filter(scheme=scheme, period=period, village__code__startswith=county), user)
        .values_list("pk", flat=True)
    )
    previous = {}
    earlier = previous_period(scheme, period, county)
    if earlier:
        previous = dict(
            _ranked(Q(scheme__kind=scheme.kind, scheme__category=scheme.category), earlier, county).values_list(
                "village_id", "county_rank"
            )
        )
    return [
        RankedRow(row, row.county_rank, row.township_rank, len(rows), previous.get(row.village_id))
        for row in rows
        if row.pk in visible
    ]


def village_ranks(assessments: list[Assessment]) -> dict[int, tuple[int, int]]:
    """{assessment id: (county rank, villages ranked)} for finalised assessments, each in its own round.
    One query per distinct round (a village page has one or two)."""
    result = {}
    rounds = {(a.scheme_id, a.period, a.village_id[:6]) for a in assessments if a.status == F_}
    for scheme_id, period, county in rounds:
        ranked = list(_ranked(Q(scheme_id=scheme_id), period, county).values_list("pk", "county_rank"))
        for pk, rank in ranked:
            result[pk] = (rank, len(ranked))
    return result


def follow_up_list(*, user) -> QuerySet:
    return restrict(FollowUp.objects.select_related("village", "village__township", "assessment", "assessment__scheme"), user)


def open_follow_ups_q() -> Q:
    return ~Q(status=FollowUpStatus.CLOSED)


def promotions_of(village) -> QuerySet:
    return Promotion.objects.filter(village=village).select_related("assessment", "assessment__scheme", "actor").order_by("promoted_on", "id")
