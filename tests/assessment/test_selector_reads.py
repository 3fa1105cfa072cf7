"""Reads of assessments, exactly: the rounds a user sees with their counts, the previous period a ranking compares
with, the ranks of a village's assessments, promotions in date order, open follow-ups, and lists that load what
their pages show in one query."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment import selectors
from assessment.models import Assessment, AssessmentStatus, FollowUp, FollowUpStatus, Promotion, SchemeKind
from core import scoping
from core.models import Role
from tests.factories import (
    AssessmentFactory,
    AssessmentSchemeFactory,
    IndicatorFactory,
    IndicatorScoreFactory,
    VillageFactory,
    region,
    user_with,
)

D = Decimal
A = AssessmentStatus
F_ = A.FINALISED


@pytest.fixture
def people(db):
    root = user_with("root")
    root.is_superuser = True
    root.save()
    people = {
        "root": root,
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
    }
    for user in people.values():
        scoping.grants(user)  # read once per request, as the middleware's user would have them
    return people


def _village(code, **kw):
    return VillageFactory(township_code=code[:9], code=code, **kw)


def _assessment(scheme, village, period, status, total, **kw):
    when = timezone.now() if status == F_ else None
    return AssessmentFactory(scheme=scheme, village=village, period=period, status=status, total_score=D(total),
                             grade=scheme.grade_for(D(total)), finalised_at=when, **kw)


# --- rounds --------------------------------------------------------------------------------------------------


def test_round_list_counts_each_scheme_period_and_county(people):
    city = AssessmentSchemeFactory(name="B市级考核", year=2025, region=region("3305"))
    county = AssessmentSchemeFactory(name="A县级考核", year=2025, region=region("330523"))
    anji = [_village(c) for c in ("330523108201", "330523001202", "330523108203")]
    changxing = _village("330522001201")
    finalised = _assessment(city, anji[0], "2025", F_, "90")
    _assessment(city, anji[1], "2025", A.SUBMITTED, "80")
    _assessment(city, anji[2], "2025", A.DRAFT, "0")
    _assessment(city, changxing, "2025", A.SUBMITTED, "70")
    _assessment(county, anji[0], "2025", A.DRAFT, "0")
    _assessment(city, anji[0], "2024", A.SUBMITTED, "60")
    rows = selectors.round_list(user=people["root"])
    keys = ("scheme_id", "scheme__name", "scheme__year", "scheme__kind", "period", "county", "villages", "finalised",
            "submitted", "last_finalised")
    assert all(set(row) == set(keys) for row in rows)
    assert [tuple(row[k] for k in keys) for row in rows] == [
        (county.pk, "A县级考核", 2025, SchemeKind.ANNUAL, "2025", "330523", 1, 0, 0, None),
        (city.pk, "B市级考核", 2025, SchemeKind.ANNUAL, "2025", "330522", 1, 0, 1, None),
        (city.pk, "B市级考核", 2025, SchemeKind.ANNUAL, "2025", "330523", 3, 1, 1, finalised.finalised_at),
        (city.pk, "B市级考核", 2025, SchemeKind.ANNUAL, "2024", "330523", 1, 0, 1, None),
    ]
    # County staff see their county's rounds only; a township official counts only the villages it sees.
    assert [(r["scheme__name"], r["period"], r["county"], r["villages"]) for r in selectors.round_list(user=people["county"])] == [
        ("A县级考核", "2025", "330523", 1), ("B市级考核", "2025", "330523", 3), ("B市级考核", "2024", "330523", 1)]
    assert [(r["scheme__name"], r["period"], r["villages"], r["submitted"]) for r in selectors.round_list(user=people["official"])] == [
        ("A县级考核", "2025", 1, 0), ("B市级考核", "2025", 2, 0), ("B市级考核", "2024", 1, 1)]


def test_scheme_list_counts_indicators_and_loads_the_region(people, django_assert_num_queries):
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"))
    for i in range(3):
        IndicatorFactory(scheme=scheme, order=i)
    AssessmentSchemeFactory(name="2025年度长兴考核", year=2025, region=region("330522"))
    with django_assert_num_queries(1):
        rows = [(s.name, s.indicator_count, s.region.code) for s in selectors.scheme_list(user=people["county"])]
    assert rows == [("2025年度村庄整治考核", 3, "330523")]


# --- ranks ---------------------------------------------------------------------------------------------------


def test_village_ranks_are_over_the_whole_county(people):
    """A village page shows its rank among the county's villages, across townships."""
    scheme = AssessmentSchemeFactory(year=2025, region=region("330523"))
    here = _assessment(scheme, _village("330523108201"), "2025", F_, "70")
    there = _assessment(scheme, _village("330523001202"), "2025", F_, "80")
    draft = _assessment(scheme, _village("330523108203"), "2025", A.SUBMITTED, "99")
    assert selectors.village_ranks([here, draft]) == {here.pk: (2, 2), there.pk: (1, 2)}


def test_previous_period_is_the_same_kind_and_category_finalised_in_the_county(people):
    scheme = AssessmentSchemeFactory(name="2025年度考核", year=2025, region=region("3305"), category="renovation")
    village = _village("330523108201", category="renovation")
    far = _village("330522001201", category="renovation")
    same = AssessmentSchemeFactory(name="2022年度考核", year=2022, region=region("3305"), category="renovation")
    _assessment(same, village, "2022", F_, "80")
    # Later periods that do not count: another kind, another category, not finalised, another county.
    acceptance = AssessmentSchemeFactory(name="2024年度验收", kind=SchemeKind.ACCEPTANCE, year=2024, region=region("3305"),
                                         category="renovation")
    _assessment(acceptance, village, "2024", F_, "80")
    demonstration = AssessmentSchemeFactory(name="2024年度示范村考核", year=2024, region=region("3305"), category="demonstration")
    _assessment(demonstration, _village("330523108202", category="demonstration"), "2024", F_, "80")
    submitted = AssessmentSchemeFactory(name="2023年度考核", year=2023, region=region("3305"), category="renovation")
    _assessment(submitted, village, "2023", A.SUBMITTED, "80")
    anchang = AssessmentSchemeFactory(name="2024年度考核", year=2024, region=region("3305"), category="renovation")
    _assessment(anchang, far, "2024", F_, "80")
    assert selectors.previous_period(scheme, "2025", "330523") == "2022"
    assert selectors.previous_period(scheme, "2025", "330522") == "2024"
    assert selectors.previous_period(scheme, "2022", "330523") is None


def test_the_change_compares_with_the_same_kind_of_scheme_only(people):
    """In the previous period an acceptance (another kind) and a scheme for another category were finalised too:
    they do not enter the previous ranks."""
    scheme = AssessmentSchemeFactory(name="2025年度考核", year=2025, region=region("330523"), category="renovation")
    last = AssessmentSchemeFactory(name="2024年度考核", year=2024, region=region("330523"), category="renovation")
    acceptance = AssessmentSchemeFactory(name="2024年度验收", kind=SchemeKind.ACCEPTANCE, year=2024, region=region("330523"),
                                         category="renovation")
    other_category = AssessmentSchemeFactory(name="2024年度示范村考核", year=2024, region=region("330523"), category="demonstration")
    a, b = _village("330523108201", category="renovation"), _village("330523108202", category="renovation")
    _assessment(last, a, "2024", F_, "80")
    _assessment(last, b, "2024", F_, "70")
    _assessment(acceptance, b, "2024", F_, "95")  # would put b first, a second
    _assessment(other_category, _village("330523108203"), "2024", F_, "99")  # would push both down one
    _assessment(scheme, a, "2025", F_, "60")
    _assessment(scheme, b, "2025", F_, "90")
    rows = selectors.ranking(user=people["county"], scheme=scheme, period="2025", county="330523")
    assert [(r.assessment.village_id, r.county_rank, r.previous_rank, r.change) for r in rows] == [
        ("330523108202", 1, 2, 1), ("330523108201", 2, 1, -1)]


def test_ranking_lists_by_rank_then_village_in_one_query_per_part(people, django_assert_num_queries):
    scheme = AssessmentSchemeFactory(year=2025, region=region("330523"))
    for code, total in (("330523108209", "80"), ("330523108201", "70"), ("330523108205", "80"), ("330523001202", "95")):
        _assessment(scheme, _village(code), "2025", F_, total)
    other = AssessmentSchemeFactory(name="专项", year=2025, region=region("330523"))
    _assessment(other, _village("330523108207"), "2025", F_, "100")
    _assessment(scheme, _village("330523108208"), "2024", F_, "100")
    with django_assert_num_queries(4):  # the ranks, what the user sees, the previous period and its ranks
        rows = selectors.ranking(user=people["county"], scheme=scheme, period="2025", county="330523")
        seen = [(r.assessment.village_id, r.assessment.village.name, r.assessment.village.township.code, r.county_rank,
                 r.township_rank, r.ranked_in_county) for r in rows]
    names = dict(Assessment.objects.values_list("village_id", "village__name"))
    assert seen == [
        ("330523001202", names["330523001202"], "330523001", 1, 1, 4),
        ("330523108205", names["330523108205"], "330523108", 2, 1, 4),
        ("330523108209", names["330523108209"], "330523108", 2, 1, 4),
        ("330523108201", names["330523108201"], "330523108", 4, 3, 4),
    ]


# --- promotions and follow-ups -------------------------------------------------------------------------------


def test_promotions_of_a_village_in_date_order(people, django_assert_num_queries):
    scheme = AssessmentSchemeFactory(name="验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"))
    village, other = _village("330523108201"), _village("330523108202")
    first = _assessment(scheme, village, "2025", F_, "90")
    second = _assessment(scheme, village, "2025-H2", F_, "90")
    third = _assessment(scheme, village, "2025-H1", F_, "90")
    day = datetime.date(2025, 6, 1)
    late = Promotion.objects.create(village=village, from_category="demonstration", to_category="boutique",
                                    promoted_on=day + datetime.timedelta(days=30), assessment=second, actor=people["county"])
    early_b = Promotion.objects.create(village=village, from_category="renovation", to_category="demonstration",
                                       promoted_on=day, assessment=first, actor=people["county"])
    early_a = Promotion.objects.create(village=village, from_category="renovation", to_category="demonstration",
                                       promoted_on=day, assessment=third, actor=people["county"])
    Promotion.objects.create(village=other, from_category="renovation", to_category="demonstration", promoted_on=day,
                             assessment=_assessment(scheme, other, "2025", F_, "90"), actor=people["county"])
    with django_assert_num_queries(1):
        rows = [(p.pk, str(p.assessment.scheme), p.actor.username) for p in selectors.promotions_of(village)]
    assert rows == [(pk, str(scheme), "anji") for pk in (early_b.pk, early_a.pk, late.pk)]


def test_open_follow_ups_are_all_but_the_closed(people):
    scheme = AssessmentSchemeFactory(year=2025, region=region("330523"))
    day = datetime.date.today()
    statuses = {
        FollowUpStatus.OPEN: {},
        FollowUpStatus.TALK_HELD: {"talk_held_on": day},
        FollowUpStatus.RECTIFIED: {"talk_held_on": day, "rectified_on": day},
        FollowUpStatus.CLOSED: {"talk_held_on": day, "rectified_on": day, "reinspected_on": day},
    }
    for n, (status, dates) in enumerate(statuses.items()):
        village = _village(f"33052310820{n}")
        FollowUp.objects.create(assessment=_assessment(scheme, village, "2025", F_, "10"), village=village, rank=1, ranked_among=1,
                                due_date=day, status=status, **dates)
    assert set(FollowUp.objects.filter(selectors.open_follow_ups_q()).values_list("status", flat=True)) == {
        FollowUpStatus.OPEN, FollowUpStatus.TALK_HELD, FollowUpStatus.RECTIFIED}


def test_lists_load_what_their_pages_show_in_one_query(people, django_assert_num_queries):
    scheme = AssessmentSchemeFactory(year=2025, region=region("330523"))
    indicators = [IndicatorFactory(scheme=scheme, name=f"指标{n}", order=order) for n, order in ((1, 3), (2, 1), (3, 2))]
    day = datetime.date.today()
    for n in range(2):
        village = _village(f"33052310820{n}")
        a = _assessment(scheme, village, "2025", F_, "10", assessor=people["county"])
        for indicator in indicators:
            IndicatorScoreFactory(assessment=a, indicator=indicator)
        FollowUp.objects.create(assessment=a, village=village, rank=1, ranked_among=2, due_date=day)
    with django_assert_num_queries(1):
        listed = [(a.scheme.name, a.village.name, a.village.township.code, a.assessor.username, a.follow_up.rank)
                  for a in selectors.assessment_list(user=people["county"])]
    assert len(listed) == 2
    with django_assert_num_queries(1):
        follow_ups = [(f.village.name, f.village.township.code, f.assessment.period, f.assessment.scheme.name)
                      for f in selectors.follow_up_list(user=people["county"])]
    assert len(follow_ups) == 2
    with django_assert_num_queries(4):  # the assessments, their scores with indicators, the scheme's indicators, promotions
        detail = [([s.indicator.name for s in a.scores.all()], [i.name for i in a.scheme.indicators.all()], list(a.promotions.all()))
                  for a in selectors.assessment_detail(user=people["county"])]
    # Scores in the indicators' order (not the order they were created or their ids).
    assert detail == [(["指标2", "指标3", "指标1"], ["指标2", "指标3", "指标1"], [])] * 2
