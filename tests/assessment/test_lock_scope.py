"""A lock holds only the rows it means to (issue 17, item 6; PostgreSQL): locking an assessment does not lock its
scheme or its village, so the county's scorers do not queue on each other, one scheme for all (tests/locks.py)."""
from decimal import Decimal

import pytest

from assessment import services
from assessment.models import AssessmentStatus
from core.models import Role
from tests.factories import AssessmentFactory, AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with
from tests.locks import held_elsewhere, refused_to_wait
from villages.models import Village

A = AssessmentStatus
D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def round_(postgres):
    county = user_with("anji-scope", (Role.COUNTY_STAFF, "330523"))
    scheme = AssessmentSchemeFactory(year=2025, region=region("330523"))
    indicator = IndicatorFactory(scheme=scheme, max_score=D("100"))
    yucun = AssessmentFactory(scheme=scheme, village=VillageFactory(code="330523108204"), period="2025", status=A.DRAFT)
    lujia = AssessmentFactory(scheme=scheme, village=VillageFactory(code="330523108205"), period="2025", status=A.DRAFT)
    return county, indicator, yucun, lujia


def test_two_assessments_of_one_scheme_are_scored_side_by_side(round_):
    county, indicator, yucun, lujia = round_

    def scoring_lujia():
        services.assessment_score(actor=county, assessment=lujia, scores={indicator.pk: ("80", "现场核查")})

    with held_elsewhere(scoring_lujia), refused_to_wait():
        services.assessment_score(actor=county, assessment=yucun, scores={indicator.pk: ("70", "现场核查")})
    assert yucun.scores.get().score == D("70") and lujia.scores.get().score == D("80")


def test_scoring_does_not_lock_the_village(round_):
    county, indicator, yucun, _lujia = round_

    def hold_the_village():
        Village.objects.select_for_update().get(pk=yucun.village_id)

    with held_elsewhere(hold_the_village), refused_to_wait():
        services.assessment_score(actor=county, assessment=yucun, scores={indicator.pk: ("70", "现场核查")})
    assert yucun.scores.get().score == D("70")
