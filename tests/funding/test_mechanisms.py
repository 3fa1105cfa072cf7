"""Conditional money at its edges: which (mechanism, project status) and (以奖代补, assessment state) the ledger
accepts, and with which refusal it turns the others away.

An allocation is a commitment: it depends on the project's status alone (approved and not cancelled), whatever
the mechanism. A payment also meets the mechanism's condition: 先建后补 only once the project is accepted (a
completed project awaiting acceptance is not), 以奖代补 only once the village's assessment of the source's year is
finalised and passed (a submitted or reopened one, however excellent, is not).
"""
import datetime
from decimal import Decimal

import pytest

from assessment import services as assessment_services
from assessment.models import AssessmentStatus, Grade
from core.exceptions import Conflict
from core.models import AuditEntry, Role
from funding import services
from funding.models import Allocation, Disbursement, FundingSource, Mechanism
from projects import services as project_services
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    AssessmentSchemeFactory,
    FundingSourceFactory,
    IndicatorFactory,
    VillageFactory,
    project_in,
    region,
    user_with,
)

S = ProjectStatus
M = Mechanism
A = AssessmentStatus
D = Decimal
TODAY = datetime.date.today()
YEAR = 2025  # the sources' fiscal year and the assessments' period

# Written out, not imported from funding.services: a change to the code's own list must fail here.
FUNDABLE = {S.APPROVED, S.UNDER_CONSTRUCTION, S.SUSPENDED, S.COMPLETED, S.ACCEPTED}
PAYABLE = {
    M.DIRECT_GRANT: FUNDABLE,
    M.REWARD_IN_LIEU: FUNDABLE,  # given a passed assessment: the condition is the village's, not the project's
    M.BUILD_THEN_SUBSIDIZE: {S.ACCEPTED},
}


@pytest.fixture
def people(db):
    return {
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
    }


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


def _project_in(status, village):
    return project_in(status, village=village)


def _source(mechanism, **kw):
    return FundingSourceFactory(mechanism=mechanism, region=region("330523"), fiscal_year=YEAR, total_amount=D("100000"), **kw)


def _ledger():
    return (
        list(FundingSource.objects.order_by("pk").values()),
        list(Allocation.objects.order_by("pk").values()),
        list(Disbursement.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


def _pay(actor, allocation, amount="100", voucher="V1"):
    return services.disbursement_create(actor=actor, allocation=allocation, amount=amount, paid_on=TODAY, voucher_no=voucher)


# --- the scheme and assessments, through the assessment services --------------------------------------

@pytest.fixture
def scheme(db):
    """An annual scheme of 安吉县 for YEAR with one indicator worth 100 (excellent ≥ 90, good ≥ 80, pass ≥ 60)."""
    scheme = AssessmentSchemeFactory(name=f"{YEAR}年度村庄整治考核", year=YEAR, region=region("330523"))
    IndicatorFactory(scheme=scheme, name="综合", max_score=D("100"), order=1)
    return scheme


def _score(county, assessment, value, *, submit):
    indicator = assessment.scheme.indicators.get()
    return assessment_services.assessment_score(
        actor=county, assessment=assessment, scores={indicator.pk: (value, "现场核查")}, submit=submit
    )


def _finalise(county, assessment):
    assessment_services.round_finalise(actor=county, scheme=assessment.scheme, period=assessment.period, county_code="330523")
    assessment.refresh_from_db()
    return assessment


def _assessment_in(state, county, scheme, village):
    """The village's assessment brought to ``state`` by the services a county officer uses."""
    if state == "none":
        return None
    period = "2025-H1" if state == "finalised_half_year" else str(YEAR)
    assessment = assessment_services.assessment_start(actor=county, scheme=scheme, village=village, period=period)
    value = {"finalised_good": "85", "finalised_pass": "60", "finalised_fail": "59.99"}.get(state, "95")
    if state == "draft":  # fully scored (an excellent grade is computed already) but never submitted
        return _score(county, assessment, value, submit=False)
    assessment = _score(county, assessment, value, submit=True)
    if state == "submitted":
        return assessment
    if state == "returned_to_draft":
        return assessment_services.assessment_return_to_draft(actor=county, assessment=assessment, reason="补充佐证")
    assessment = _finalise(county, assessment)
    if state.startswith("finalised"):
        return assessment
    assessment = assessment_services.assessment_reopen(actor=county, assessment=assessment, reason="复核")
    if state == "reopened":
        return assessment
    if state == "reopened_resubmitted":
        return _score(county, assessment, "96", submit=True)
    if state == "reopened_refinalised":
        return _finalise(county, _score(county, assessment, "96", submit=True))
    if state == "reopened_refinalised_failed":  # the correction took it below the pass mark
        return _finalise(county, _score(county, assessment, "40", submit=True))
    raise AssertionError(state)


# (state, its status and grade as the services leave them, whether 以奖代补 pays)
ASSESSMENT_STATES = [
    ("none", None, None, False),
    ("draft", A.DRAFT, Grade.EXCELLENT, False),
    ("submitted", A.SUBMITTED, Grade.EXCELLENT, False),
    ("returned_to_draft", A.DRAFT, Grade.EXCELLENT, False),
    ("finalised", A.FINALISED, Grade.EXCELLENT, True),
    ("finalised_good", A.FINALISED, Grade.GOOD, True),
    ("finalised_pass", A.FINALISED, Grade.PASS, True),
    ("finalised_fail", A.FINALISED, Grade.FAIL, False),
    ("finalised_half_year", A.FINALISED, Grade.EXCELLENT, True),
    ("reopened", A.DRAFT, Grade.EXCELLENT, False),
    ("reopened_resubmitted", A.SUBMITTED, Grade.EXCELLENT, False),
    ("reopened_refinalised", A.FINALISED, Grade.EXCELLENT, True),
    ("reopened_refinalised_failed", A.FINALISED, Grade.FAIL, False),
]


# --- allocations: the project's status alone --------------------------------------------------------------

@pytest.mark.parametrize("mechanism", M.values)
@pytest.mark.parametrize("status", S.values)
def test_allocation_depends_on_the_project_status_alone(people, village, status, mechanism):
    source, project = _source(mechanism), _project_in(status, village)
    before = _ledger()
    if status in FUNDABLE:
        allocation = services.allocation_create(actor=people["county"], source=source, project=project, amount="1000")
        assert (allocation.amount, allocation.project_id, allocation.source_id) == (D("1000.00"), project.pk, source.pk)
        return
    with pytest.raises(Conflict) as refused:
        services.allocation_create(actor=people["county"], source=source, project=project, amount="1000")
    assert type(refused.value) is Conflict and refused.value.code == "conflict" and refused.value.status == 409
    assert list(refused.value.field_errors) == ["project"]
    assert _ledger() == before


# --- payments: mechanism × project status -------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", M.values)
@pytest.mark.parametrize("status", S.values)
def test_payment_by_mechanism_and_project_status(people, village, scheme, status, mechanism):
    """Every mechanism against every status the project can be in when a payment is asked for. The allocation is
    written directly: it was made while the project was fundable (or, for the statuses before approval, by a path
    that bypassed the checks), and the project has moved since. 以奖代补's own condition holds throughout (the
    village passed its YEAR assessment), so only the project's status decides."""
    _assessment_in("finalised", people["county"], scheme, village)
    project = _project_in(status, village)
    allocation = AllocationFactory(source=_source(mechanism), project=project, amount=D("1000"), allocated_on=TODAY)
    before = _ledger()
    if status in PAYABLE[mechanism]:
        paid = _pay(people["county"], allocation)
        assert (paid.amount, paid.allocation_id) == (D("100.00"), allocation.pk)
        return
    with pytest.raises(Conflict) as refused:
        _pay(people["county"], allocation)
    if status in FUNDABLE:  # the project may take money, the mechanism's condition is not met
        assert type(refused.value) is services.MechanismNotMet and refused.value.code == "mechanism_condition_not_met"
        assert "先建后补" in str(refused.value.message) and project.get_status_display() in str(refused.value.message)
    else:
        assert type(refused.value) is Conflict and refused.value.code == "conflict"
    assert refused.value.status == 409
    assert _ledger() == before


def test_build_then_subsidise_through_the_lifecycle(people, village):
    """先建后补 along the real lifecycle: committed at approval, refused while building, once completed (awaiting
    acceptance), again after failing acceptance and completing anew, and paid only once accepted."""
    county, official = people["county"], people["official"]
    project = _project_in(S.SUBMITTED, village)
    project = project_services.project_transition(actor=county, project=project, action="approve")
    allocation = services.allocation_create(actor=county, source=_source(M.BUILD_THEN_SUBSIDIZE), project=project, amount="5000")
    steps = [
        (official, "start", {}), (official, "complete", {}), (county, "rework", {"reason": "排水坡度不足"}),
        (official, "complete", {}),
    ]
    refusals = []
    for actor, action, kw in [(None, None, {})] + steps:
        if action:
            project = project_services.project_transition(actor=actor, project=project, action=action, **kw)
        before = _ledger()
        with pytest.raises(services.MechanismNotMet):
            _pay(county, allocation, "5000")
        assert _ledger() == before
        refusals.append(project.status)
    assert refusals == [S.APPROVED, S.UNDER_CONSTRUCTION, S.COMPLETED, S.UNDER_CONSTRUCTION, S.COMPLETED]
    project_services.project_transition(
        actor=county, project=project, action="accept",
        maintenance={"maintenance_body": "village_collective", "maintenance_owner": "余村村委会"}, actual_output="2.5",
    )
    assert _pay(county, allocation, "5000").amount == D("5000.00")


# --- 以奖代补: the village's assessment ---------------------------------------------------------------------

@pytest.mark.parametrize("state, status, grade, pays", ASSESSMENT_STATES, ids=[s[0] for s in ASSESSMENT_STATES])
def test_reward_in_lieu_by_assessment_state(people, village, scheme, state, status, grade, pays):
    county = people["county"]
    assessment = _assessment_in(state, county, scheme, village)
    if assessment is not None:  # the state is what the services really leave behind
        assessment.refresh_from_db()
        assert (assessment.status, assessment.grade) == (status, grade)
        assert assessment.reopen_count == (1 if state.startswith("reopened") else 0)
    project = _project_in(S.UNDER_CONSTRUCTION, village)
    allocation = services.allocation_create(actor=county, source=_source(M.REWARD_IN_LIEU), project=project, amount="1000")
    before = _ledger()
    if pays:
        assert _pay(county, allocation).amount == D("100.00")
        return
    with pytest.raises(services.MechanismNotMet) as refused:
        _pay(county, allocation)
    assert refused.value.code == "mechanism_condition_not_met" and refused.value.status == 409
    assert "以奖代补" in str(refused.value.message) and str(YEAR) in str(refused.value.message)
    assert _ledger() == before


@pytest.mark.parametrize("whose", ["another_year", "another_village"])
def test_reward_in_lieu_needs_this_village_and_the_sources_year(people, village, scheme, whose):
    """A finalised excellent assessment of another year, or of a neighbouring village, does not count."""
    county = people["county"]
    if whose == "another_year":
        earlier = AssessmentSchemeFactory(name=f"{YEAR - 1}年度村庄整治考核", year=YEAR - 1, region=region("330523"))
        IndicatorFactory(scheme=earlier, name="综合", max_score=D("100"), order=1)
        assessment = assessment_services.assessment_start(actor=county, scheme=earlier, village=village, period=str(YEAR - 1))
    else:
        neighbour = VillageFactory(code="330523108205", name="横路村委会")
        assessment = assessment_services.assessment_start(actor=county, scheme=scheme, village=neighbour, period=str(YEAR))
    assessment = _finalise(county, _score(county, assessment, "98", submit=True))
    assert (assessment.status, assessment.grade) == (A.FINALISED, Grade.EXCELLENT)
    project = _project_in(S.UNDER_CONSTRUCTION, village)
    allocation = services.allocation_create(actor=county, source=_source(M.REWARD_IN_LIEU), project=project, amount="1000")
    before = _ledger()
    with pytest.raises(services.MechanismNotMet):
        _pay(county, allocation)
    assert _ledger() == before


def test_reopening_withdraws_the_reward_until_refinalised(people, village, scheme):
    """Paid on a finalised assessment; once it is reopened the next payment is refused; re-finalised, it pays again."""
    county = people["county"]
    assessment = _assessment_in("finalised", county, scheme, village)
    project = _project_in(S.UNDER_CONSTRUCTION, village)
    allocation = services.allocation_create(actor=county, source=_source(M.REWARD_IN_LIEU), project=project, amount="1000")
    _pay(county, allocation, voucher="V1")
    assessment = assessment_services.assessment_reopen(actor=county, assessment=assessment, reason="复核")
    for step in ("reopened", "resubmitted"):
        if step == "resubmitted":
            assessment = _score(county, assessment, "97", submit=True)
        before = _ledger()
        with pytest.raises(services.MechanismNotMet):
            _pay(county, allocation, voucher="V2")
        assert _ledger() == before
    _finalise(county, assessment)
    assert _pay(county, allocation, voucher="V2").amount == D("100.00")
