"""The annual assessment rounds of the sample programme: schemes, scores, the bottom group's follow-ups."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from assessment.models import (
    PASSING_GRADES,
    Assessment,
    AssessmentScheme,
    FollowUp,
    Indicator,
    IndicatorCategory,
    SchemeKind,
)
from assessment.services import (
    assessment_score,
    assessment_start,
    follow_up_close,
    follow_up_record_rectification,
    follow_up_record_talk,
    round_finalise,
)

from .base import (
    FEATURED_VILLAGES,
    FOLLOW_UP_DAYS,
    FUNDABLE_STATUSES,
    Round,
    Timeline,
    _backdate,
    _days,
    _noon,
    scheme_name,
)
from .works import _ProjectPlan

INDICATORS = [
    (IndicatorCategory.ENVIRONMENT, "垃圾分类与资源化利用", 12, "垃圾分类覆盖率、资源化利用率和垃圾分类积分制落实情况"),
    (IndicatorCategory.ENVIRONMENT, "生活污水治理", 10, "污水管网覆盖率和终端设施正常运行率"),
    (IndicatorCategory.ENVIRONMENT, "卫生厕所普及", 8, "农户卫生厕所普及率和公厕日常管理"),
    (IndicatorCategory.INFRASTRUCTURE, "村道硬化与亮化", 8, "村内道路硬化、路灯覆盖和道路养护"),
    (IndicatorCategory.INFRASTRUCTURE, "饮用水安全", 7, "供水保证率和水质达标情况"),
    (IndicatorCategory.PUBLIC_SERVICES, "文化礼堂与公共服务", 10, "文化礼堂、养老照料、便民服务设施的建设和使用"),
    (IndicatorCategory.INDUSTRY, "产业培育与集体经济增收", 10, "特色产业发展和村集体经营性收入增长"),
    (IndicatorCategory.CIVILITY, "村规民约与乡风文明", 8, "村规民约、家规家训和移风易俗"),
    (IndicatorCategory.CIVILITY, "门前三包与美丽庭院", 7, "门前三包落实率和美丽庭院创建比例"),
    (IndicatorCategory.GOVERNANCE, "基层治理与村务公开", 10, "村务公开、民主决策和矛盾调解"),
    (IndicatorCategory.MAINTENANCE, "长效管护机制落实", 10, "管护主体、管护制度和管护经费落实，道长制河长制运行"),
]


@dataclass
class _RoundResult:
    finalised_on: date
    passed: set[str]  # village codes


def _lagging_village(rng: random.Random, plans: list[_ProjectPlan], line: Timeline) -> str | None:
    """A village that fails the latest assessment although it has a project approved that year, so
    that its reward in lieu of subsidy (以奖代补) is allocated but withheld."""
    candidates = sorted({
        p.village.code for p in plans
        if p.project.status in FUNDABLE_STATUSES and p.approved_on.year == line.round_year
        and p.village.code not in FEATURED_VILLAGES
    })
    return rng.choice(candidates) if candidates else None


def _seed_assessments(rng, county, villages, actors, lagging: str | None, line: Timeline) -> dict[int, _RoundResult]:
    """The two latest annual rounds (line.rounds). Each village has a quality (share of the points it tends to
    earn) that drifts a little from round to round; the model villages score high, the lagging one fails."""
    quality = {
        v.code: rng.uniform(0.93, 0.97) if v.code in FEATURED_VILLAGES else min(0.97, max(0.45, rng.gauss(0.78, 0.1)))
        for v in villages
    }
    results = {}
    for index, one in enumerate(line.rounds):
        drift = {code: rng.gauss(0.015, 0.04) for code in quality} if index else {}
        for code, value in drift.items():
            quality[code] = min(0.98, max(0.4, quality[code] + value))
        if lagging:
            quality[lagging] = min(quality[lagging], rng.uniform(0.4, 0.5))
        results[one.year] = _seed_round(rng, county, villages, actors, one, quality, line)
    return results


def _seed_round(rng, county, villages, actors, one: Round, quality, line: Timeline) -> _RoundResult:
    year, finalised_on = one.year, one.finalised_on
    # Schemes and their indicators are configuration, kept in the admin (no service writes them).
    scheme = AssessmentScheme.objects.create(
        name=scheme_name(county, year),
        kind=SchemeKind.ANNUAL,
        year=year,
        region=county,
        excellent_min=90,
        good_min=80,
        pass_min=60,
        bottom_percent=5,
        bottom_min=3,
        follow_up_days=FOLLOW_UP_DAYS,
    )
    indicators = Indicator.objects.bulk_create(
        Indicator(scheme=scheme, category=category, name=name, description=standard, max_score=Decimal(points), order=i)
        for i, (category, name, points, standard) in enumerate(INDICATORS, start=1)
    )
    # The county scores every village and submits it, then finalises the round: the service ranks the villages
    # and opens the bottom group's follow-ups, due FOLLOW_UP_DAYS after ``finalised_on``.
    period = str(year)
    for village in villages:
        assessment = assessment_start(actor=actors.county, scheme=scheme, village=village, period=period)
        scores = {}
        for indicator in indicators:
            share = min(1.0, max(0.2, quality[village.code] + rng.gauss(0, 0.07)))
            score = (Decimal(round(share * float(indicator.max_score) * 2)) / 2).quantize(Decimal("0.01"))
            scores[indicator.pk] = (min(score, indicator.max_score), "")
        assessment_score(actor=actors.county, assessment=assessment, scores=scores, submit=True)
    result = round_finalise(actor=actors.county, scheme=scheme, period=period, county_code=county.code, on_date=finalised_on)
    Assessment.objects.filter(scheme=scheme, period=period).update(  # the timeline's moment, not the clock's
        finalised_at=line.stamp(finalised_on, time(10, 0))
    )
    _follow_ups(rng, actors, result["follow_ups"], one, line)
    scheme.created_at = scheme.updated_at = _noon(date(year, 3, 1))  # the year's scheme, issued in its spring
    _backdate(AssessmentScheme, [scheme], created_at=True, updated_at=True)
    return _RoundResult(
        finalised_on=finalised_on,
        passed=set(
            Assessment.objects.filter(scheme=scheme, period=period, grade__in=PASSING_GRADES).values_list("village_id", flat=True)
        ),
    )


def _follow_ups(rng, actors, follow_ups: list[FollowUp], one: Round, line: Timeline) -> None:
    """The bottom group's follow-ups (the county's): talk, rectification and re-inspection, each step taken when
    its day has come by the reference day. The older round's went through all three. In the latest round, the
    lowest-ranked village is still rectifying after its talk (overdue once its due date has passed), so a county
    always has a follow-up under way; the others close as the months pass."""
    finalised_on = one.finalised_on
    rows = []
    ordered = sorted(follow_ups, key=lambda f: (f.rank, f.village_id))
    for follow_up in ordered:
        talk_on = finalised_on + _days(rng.randint(7, 20))
        rectified_on = talk_on + _days(rng.randint(30, 70))
        reinspected_on = rectified_on + _days(rng.randint(5, 20))
        lagging = one.latest and follow_up is ordered[-1]  # the lowest-ranked
        last = finalised_on
        if talk_on <= line.today:
            follow_up = follow_up_record_talk(
                actor=actors.county, follow_up=follow_up, held_on=talk_on,
                notes="县农业农村局约谈村党组织书记和村委会主任，通报考核排名，指出垃圾分类和长效管护短板。",
            )
            last = talk_on
        if rectified_on <= line.today and not lagging:
            follow_up = follow_up_record_rectification(
                actor=actors.county, follow_up=follow_up, rectified_on=rectified_on,
                rectification="制定整改清单，落实保洁队伍和管护经费，完成垃圾分类点位改造。",
            )
            last = rectified_on
            if reinspected_on <= line.today:
                follow_up = follow_up_close(
                    actor=actors.county, follow_up=follow_up, reinspected_on=reinspected_on, notes="复查合格，整改到位。"
                )
                last = reinspected_on
        follow_up.created_at = line.stamp(finalised_on, time(12, 0))
        follow_up.updated_at = line.stamp(last, time(12, 0))
        rows.append(follow_up)
    _backdate(FollowUp, rows, created_at=True, updated_at=True)
