"""Every lock of the assessment services, each shown by a concurrent writer (tests/locks.py; PostgreSQL).

assessment/services.py locks the assessment (the round, the follow-up, the village) before it checks a status
or a category: another transaction that changes it in between must make the service refuse.
"""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment import services
from assessment.models import Assessment, AssessmentStatus, FollowUp, FollowUpStatus, Grade, Promotion, SchemeKind
from core.exceptions import Conflict, IllegalTransition
from core.models import Role
from tests.factories import AssessmentFactory, AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with
from tests.locks import concurrent_writer
from villages.models import Village, VillageCategory

A = AssessmentStatus
D = Decimal
TODAY = datetime.date.today()
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def county(postgres):
    return user_with("anji-locks", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def scheme(postgres):
    scheme = AssessmentSchemeFactory(year=2025, region=region("330523"), bottom_percent=D("5"), bottom_min=1)
    IndicatorFactory(scheme=scheme, max_score=D("100"))
    return scheme


def _assessment(scheme, status, code="330523108204", **extra):
    village = Village.objects.filter(code=code).first() or VillageFactory(code=code)
    if status == A.FINALISED:
        extra.setdefault("finalised_at", timezone.now())
    return AssessmentFactory(scheme=scheme, village=village, period="2025", status=status, **extra)


def _lock(assessment):
    return lambda: Assessment.objects.select_for_update().get(pk=assessment.pk)


def _set(assessment, **values):
    return lambda: Assessment.objects.filter(pk=assessment.pk).update(**values)


def test_scoring_waits_for_the_assessment_being_submitted(county, scheme):
    """assessment_score locks the assessment: it is submitted meanwhile, so it can no longer be scored."""
    assessment = _assessment(scheme, A.DRAFT)
    indicator = scheme.indicators.get()
    with concurrent_writer(_lock(assessment), _set(assessment, status=A.SUBMITTED)):
        with pytest.raises(IllegalTransition):
            services.assessment_score(actor=county, assessment=assessment, scores={indicator.pk: ("70", "现场核查")})
    assert not assessment.scores.exists()


def test_a_return_to_draft_waits_for_the_round_being_finalised(county, scheme):
    """assessment_return_to_draft locks the assessment: it is finalised meanwhile, so it cannot go back to draft."""
    assessment = _assessment(scheme, A.SUBMITTED, total_score=D("70"), grade=Grade.PASS)
    with concurrent_writer(_lock(assessment), _set(assessment, status=A.FINALISED, finalised_at=timezone.now())):
        with pytest.raises(IllegalTransition):
            services.assessment_return_to_draft(actor=county, assessment=assessment, reason="评分有误")
    assert Assessment.objects.get(pk=assessment.pk).status == A.FINALISED


def test_finalising_a_round_waits_for_an_assessment_going_back_to_draft(county, scheme):
    """round_finalise locks every assessment of the round: one goes back to draft meanwhile, so the round is
    refused (without the lock that draft would be finalised unscored)."""
    first = _assessment(scheme, A.SUBMITTED, total_score=D("70"), grade=Grade.PASS)
    second = _assessment(scheme, A.SUBMITTED, code="330523108205", total_score=D("90"), grade=Grade.EXCELLENT)
    with concurrent_writer(_lock(second), _set(second, status=A.DRAFT)):
        with pytest.raises(Conflict):
            services.round_finalise(actor=county, scheme=scheme, period="2025", county_code="330523")
    assert dict(Assessment.objects.values_list("pk", "status")) == {first.pk: A.SUBMITTED, second.pk: A.DRAFT}


def test_a_reopening_waits_for_another_reopening(county, scheme):
    """assessment_reopen locks the assessment: someone reopens it meanwhile, so it is not reopened twice."""
    assessment = _assessment(scheme, A.FINALISED, total_score=D("70"), grade=Grade.PASS)
    with concurrent_writer(_lock(assessment), _set(assessment, status=A.DRAFT, finalised_at=None, reopen_count=1)):
        with pytest.raises(IllegalTransition):
            services.assessment_reopen(actor=county, assessment=assessment, reason="复核")
    assert Assessment.objects.get(pk=assessment.pk).reopen_count == 1


def test_a_follow_up_step_waits_for_the_same_step_by_someone_else(county, scheme):
    """follow_up_advance locks the follow-up: the talk is recorded meanwhile, so it is not recorded twice."""
    assessment = _assessment(scheme, A.FINALISED, total_score=D("40"), grade=Grade.FAIL)
    follow_up = FollowUp.objects.create(
        assessment=assessment, village=assessment.village, rank=1, ranked_among=1, due_date=TODAY + datetime.timedelta(days=30)
    )
    talked = {"status": FollowUpStatus.TALK_HELD, "talk_held_on": TODAY, "talk_notes": "已约谈"}
    with concurrent_writer(
        lambda: FollowUp.objects.select_for_update().get(pk=follow_up.pk), lambda: FollowUp.objects.filter(pk=follow_up.pk).update(**talked)
    ):
        with pytest.raises(IllegalTransition):
            services.follow_up_record_talk(actor=county, follow_up=follow_up, held_on=TODAY, notes="第二次约谈")
    assert FollowUp.objects.get(pk=follow_up.pk).talk_notes == "已约谈"


@pytest.fixture
def acceptance(county):
    scheme = AssessmentSchemeFactory(kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"))
    village = VillageFactory(code="330523108204", category=VillageCategory.RENOVATION)
    return AssessmentFactory(scheme=scheme, village=village, period="2025", status=A.FINALISED, total_score=D("95"), grade=Grade.EXCELLENT,
                             finalised_at=timezone.now())


def test_a_promotion_waits_for_the_acceptance_being_reopened(county, acceptance):
    """village_promote locks the acceptance: it is reopened meanwhile, so it no longer justifies a promotion."""
    with concurrent_writer(_lock(acceptance), _set(acceptance, status=A.DRAFT, finalised_at=None, reopen_count=1)):
        with pytest.raises(Conflict):
            services.village_promote(actor=county, assessment=acceptance)
    assert not Promotion.objects.exists()


def test_a_promotion_waits_for_the_village_changing_category(county, acceptance):
    """village_promote locks the village: its category changes meanwhile, so this acceptance no longer fits it.
    (Its lock of the assessment joins the village without of=("self",), so PostgreSQL locks the village row there
    too: removing only the explicit village lock changes nothing; removing both fails this test.)"""
    village = acceptance.village
    with concurrent_writer(
        lambda: Village.objects.select_for_update().get(pk=village.pk),
        lambda: Village.objects.filter(pk=village.pk).update(category=VillageCategory.BOUTIQUE),
    ):
        with pytest.raises(Conflict):
            services.village_promote(actor=county, assessment=acceptance)
    assert not Promotion.objects.exists()
