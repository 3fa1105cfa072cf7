"""Ranking a round in which assessments were reopened.

A ranking counts the round's finalised assessments only (assessment.selectors._ranked): a reopened assessment is
a draft again — it keeps its total and grade until rescored — and drops out of the ranks, and so does one that was
reopened and resubmitted but not yet finalised; one reopened and finalised again is ranked on its corrected total.
Ties share a rank and the next rank is skipped, in the county and in each township; "ranked among" is the number
of finalised assessments. The round cannot be finalised again while a reopened one is still a draft.
"""
from decimal import Decimal

import pytest

from assessment import selectors, services
from assessment.models import Assessment, AssessmentStatus, Grade
from core.exceptions import Conflict
from core.models import AuditEntry, Role
from tests.factories import AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with

A = AssessmentStatus
D = Decimal
TOWNSHIP_A, TOWNSHIP_B = "330523108", "330523001"  # 天荒坪镇, 递铺街道
# Village code → its first total. Ties: 90/90, 80/80, 60/60.
FIRST = {
    "330523108201": "90", "330523001202": "90",
    "330523108203": "80",  # X: reopened to draft (keeps its 80)
    "330523001204": "80",
    "330523108205": "70",  # Y: reopened, rescored 95 and finalised again
    "330523001206": "60", "330523108207": "60",
    "330523001208": "50",  # Z: reopened and resubmitted at 85, not finalised
    "330523108209": "40",
}
X, Y, Z = "330523108203", "330523108205", "330523001208"


@pytest.fixture
def people(db):
    return {
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, TOWNSHIP_A)),
    }


@pytest.fixture
def scheme(db):
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"), bottom_percent=D("5"), bottom_min=1)
    IndicatorFactory(scheme=scheme, name="综合", max_score=D("100"), order=1)
    return scheme


def _score(county, assessment, value, submit=True):
    indicator = assessment.scheme.indicators.get()
    return services.assessment_score(actor=county, assessment=assessment, scores={indicator.pk: (value, "复核")}, submit=submit)


def _finalise(county, scheme):
    return services.round_finalise(actor=county, scheme=scheme, period="2025", county_code="330523")


def _ranks(user, scheme):
    rows = selectors.ranking(user=user, scheme=scheme, period="2025", county="330523")
    return {r.assessment.village_id: (r.county_rank, r.township_rank, r.ranked_in_county) for r in rows}


@pytest.fixture
def reopened_round(people, scheme):
    """The round finalised with FIRST; then Y reopened, rescored 95 and finalised again; then X reopened (a draft);
    then Z reopened and resubmitted at 85 (the round cannot be finalised while X is a draft)."""
    county = people["county"]
    assessments = {}
    for code, total in FIRST.items():
        village = VillageFactory(township_code=code[:9], code=code)
        started = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
        assessments[code] = _score(county, started, total)
    first = _finalise(county, scheme)
    assert (first["finalised"], first["ranked"]) == (9, 9)
    assert _ranks(county, scheme)[X] == (3, 2, 9)  # before: 80 shares third place with 330523001204

    reopened = services.assessment_reopen(actor=county, assessment=assessments[Y], reason="分数录入错误")
    _score(county, reopened, "95")
    again = _finalise(county, scheme)
    assert (again["finalised"], again["ranked"]) == (1, 9)
    services.assessment_reopen(actor=county, assessment=assessments[X], reason="复核")
    reopened = services.assessment_reopen(actor=county, assessment=assessments[Z], reason="复核")
    _score(county, reopened, "85")
    return {code: Assessment.objects.get(pk=a.pk) for code, a in assessments.items()}


def test_the_states_are_what_reopening_leaves(reopened_round):
    x, y, z = reopened_round[X], reopened_round[Y], reopened_round[Z]
    assert (x.status, x.total_score, x.grade, x.reopen_count, x.finalised_at) == (A.DRAFT, D("80.00"), Grade.GOOD, 1, None)
    assert (y.status, y.total_score, y.grade, y.reopen_count) == (A.FINALISED, D("95.00"), Grade.EXCELLENT, 1)
    assert (z.status, z.total_score, z.reopen_count) == (A.SUBMITTED, D("85.00"), 1)


def test_ranking_counts_finalised_assessments_only(people, scheme, reopened_round):
    ranks = _ranks(people["county"], scheme)
    # (county rank, township rank, ranked among): 95 | 90 90 | 80 | 60 60 | 40 — ties share, the next is skipped.
    assert ranks == {
        Y: (1, 1, 7),
        "330523108201": (2, 2, 7), "330523001202": (2, 1, 7),
        "330523001204": (4, 2, 7),
        "330523001206": (5, 3, 7), "330523108207": (5, 3, 7),
        "330523108209": (7, 4, 7),
    }
    # The village page's ranks follow the same rule: none for the draft or the submitted one.
    pages = selectors.village_ranks(list(reopened_round.values()))
    assert pages == {reopened_round[code].pk: (county_rank, 7) for code, (county_rank, _t, _n) in ranks.items()}
    # A township official sees its own villages with the same county ranks.
    assert _ranks(people["official"], scheme) == {code: r for code, r in ranks.items() if code.startswith(TOWNSHIP_A)}
    (row,) = [r for r in selectors.round_list(user=people["county"]) if r["scheme_id"] == scheme.pk]
    assert (row["villages"], row["finalised"], row["submitted"]) == (9, 7, 1)


def test_the_round_is_not_finalised_again_while_a_reopened_assessment_is_a_draft(people, scheme, reopened_round):
    before = (list(Assessment.objects.order_by("pk").values()), AuditEntry.objects.count())
    with pytest.raises(Conflict) as refused:
        _finalise(people["county"], scheme)
    assert refused.value.context["drafts"] == [X]
    assert (list(Assessment.objects.order_by("pk").values()), AuditEntry.objects.count()) == before


def test_once_corrected_and_finalised_every_village_is_ranked_again(people, scheme, reopened_round):
    county = people["county"]
    _score(county, reopened_round[X], "90")  # corrected upwards: now ties for second with the two 90s
    result = _finalise(county, scheme)
    assert (result["finalised"], result["ranked"]) == (2, 9)
    ranks = _ranks(county, scheme)
    # 95 | 90 90 90 | 85 | 80 | 60 60 | 40
    assert {code: r[0] for code, r in ranks.items()} == {
        Y: 1, "330523108201": 2, "330523001202": 2, X: 2, Z: 5, "330523001204": 6,
        "330523001206": 7, "330523108207": 7, "330523108209": 9,
    }
    assert {ranks[code][1] for code in (Y, "330523108201", X)} == {1, 2}  # 天荒坪镇: 95 first, then 90 and 90 tied
    assert (ranks[X][1], ranks["330523108201"][1]) == (2, 2) and ranks["330523108207"][1] == 4
    assert {r[2] for r in ranks.values()} == {9}
