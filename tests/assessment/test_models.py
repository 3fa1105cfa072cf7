import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from assessment.models import Assessment, FollowUp, Grade, IndicatorScore
from tests.factories import (
    AssessmentFactory,
    AssessmentSchemeFactory,
    IndicatorFactory,
    IndicatorScoreFactory,
    VillageFactory,
)


def _refused(factory, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"excellent_min": Decimal("80"), "good_min": Decimal("80")},
        {"good_min": Decimal("50"), "pass_min": Decimal("60")},
        {"bottom_percent": Decimal("120")},
        {"kind": "beauty_contest"},
        {"year": 1990},
    ],
)
def test_scheme_constraints(fields):
    _refused(AssessmentSchemeFactory, **fields)


@pytest.mark.django_db
def test_one_assessment_per_scheme_village_period():
    assessment = AssessmentFactory()
    _refused(AssessmentFactory, scheme=assessment.scheme, village=assessment.village, period="2024")
    _refused(AssessmentFactory, scheme=assessment.scheme, village=assessment.village, period="24")
    _refused(AssessmentFactory, scheme=assessment.scheme, village=assessment.village, period="2024-Q5")
    AssessmentFactory(scheme=assessment.scheme, village=assessment.village, period="2024-H2")
    assert Assessment.objects.count() == 2


@pytest.mark.django_db
def test_finalised_assessment_needs_total_grade_and_time():
    _refused(AssessmentFactory, status="finalised")
    AssessmentFactory(status="finalised", total_score=Decimal("82.5"), grade=Grade.GOOD, finalised_at=datetime.datetime(2025, 1, 5, tzinfo=datetime.UTC))


@pytest.mark.django_db
def test_scores_stay_within_zero_and_the_indicator_maximum():
    assessment = AssessmentFactory()
    indicator = IndicatorFactory(scheme=assessment.scheme, max_score=Decimal("20"))
    _refused(IndicatorScoreFactory, assessment=assessment, indicator=indicator, score=Decimal("20.5"))
    _refused(IndicatorScoreFactory, assessment=assessment, indicator=indicator, score=Decimal("-1"))
    IndicatorScoreFactory(assessment=assessment, indicator=indicator, score=Decimal("20"))
    _refused(IndicatorScoreFactory, assessment=assessment, indicator=indicator, score=Decimal("3"))  # twice
    assert IndicatorScore.objects.count() == 1


def test_grade_thresholds():
    from assessment.models import AssessmentScheme

    scheme = AssessmentScheme(excellent_min=90, good_min=80, pass_min=60)
    assert [scheme.grade_for(Decimal(v)) for v in ("95", "90", "89.99", "80", "60", "59.5")] == [
        "excellent", "excellent", "good", "good", "pass", "fail",
    ]


@pytest.mark.django_db
def test_follow_up_constraints():
    assessment = AssessmentFactory()
    village = assessment.village
    base = dict(assessment=assessment, village=village, rank=5, ranked_among=5, due_date=datetime.date(2025, 3, 1))
    for bad in [
        {"rank": 6},
        {"rank": 0},
        {"status": "talk_held"},  # a talk without its date
        {"status": "closed", "talk_held_on": datetime.date(2025, 1, 1), "rectified_on": datetime.date(2025, 2, 1)},
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            FollowUp.objects.create(**{**base, **bad})
    FollowUp.objects.create(**base)
    assert FollowUp.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(**{**base, "village": VillageFactory()})  # one follow-up per assessment
