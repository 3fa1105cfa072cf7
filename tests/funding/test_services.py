"""The ledger's services: every refusal writes nothing; corrections are reversals; balances hold under a race."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from assessment.models import AssessmentStatus, Grade
from core.exceptions import Conflict, InvalidInput, NotPermitted
from core.models import AuditAction, AuditEntry, Role
from funding import selectors, services
from funding.models import Allocation, Disbursement, FundingSource, Mechanism, SourceKind
from projects.models import ProjectStatus
from tests.factories import (
    AssessmentFactory,
    FundingSourceFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)

S = ProjectStatus
D = Decimal
TODAY = datetime.date.today()


@pytest.fixture
def people(db):
    return {
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "other_county": user_with("changxing", (Role.COUNTY_STAFF, "330522")),
        "supervisor": user_with("huzhou", (Role.SUPERVISOR, "3305")),
    }


@pytest.fixture
def project(db):
    return ProjectFactory(
        village=VillageFactory(code="330523108204", name="余村村委会"), status=S.UNDER_CONSTRUCTION,
        actual_start=datetime.date(2024, 3, 5), budget=D("500000"),
    )


@pytest.fixture
def source(db):
    return FundingSourceFactory(name="2024年县级财政预算", total_amount=D("1000"), region=region("330523"))


def _ledger():
    return (
        list(FundingSource.objects.order_by("pk").values()),
        list(Allocation.objects.order_by("pk").values()),
        list(Disbursement.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


def _allocate(actor, source, project, amount="100", **kw):
    return services.allocation_create(actor=actor, source=source, project=project, amount=amount, **kw)


def test_allocate_and_disburse_within_balances(people, source, project):
    allocation = _allocate(people["county"], source, project, "600")
    services.disbursement_create(actor=people["county"], allocation=allocation, amount="250.50", paid_on=TODAY, voucher_no="AJ-001")
    row = selectors.source_list(user=people["county"]).get(pk=source.pk)
    assert (row.allocated, row.disbursed) == (D("600.00"), D("250.50"))
    line = selectors.allocation_list(user=people["county"]).get(pk=allocation.pk)
    assert line.disbursed == D("250.50")
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, content_type__model__in=["allocation", "disbursement"]).count() == 2


@pytest.mark.parametrize("amount", ["1000.01", "5000"])
def test_over_allocation_is_refused(people, source, project, amount):
    _allocate(people["county"], source, project, "0.01") if amount == "1000.01" else None
    before = _ledger()
    with pytest.raises(services.OverCommitted) as refused:
        _allocate(people["county"], source, project, amount)
    assert refused.value.status == 409 and "amount" in refused.value.field_errors
    assert _ledger() == before


def test_over_disbursement_is_refused(people, source, project):
    allocation = _allocate(people["county"], source, project, "300")
    services.disbursement_create(actor=people["county"], allocation=allocation, amount="200", paid_on=TODAY, voucher_no="V1")
    before = _ledger()
    with pytest.raises(services.OverCommitted) as refused:
        services.disbursement_create(actor=people["county"], allocation=allocation, amount="100.01", paid_on=TODAY, voucher_no="V2")
    assert "100.00" in str(refused.value.message)
    assert _ledger() == before


@pytest.mark.parametrize("amount", ["0", "-5", "0.001", "abc", None])
def test_zero_negative_or_malformed_amounts_are_refused(people, source, project, amount):
    before = _ledger()
    with pytest.raises(InvalidInput) as refused:
        _allocate(people["county"], source, project, amount)
    assert "amount" in refused.value.field_errors
    assert _ledger() == before


def test_build_then_subsidise_pays_only_after_acceptance(people, project):
    source = FundingSourceFactory(mechanism=Mechanism.BUILD_THEN_SUBSIDIZE, region=region("3305"), kind=SourceKind.CITY_MATCHING)
    allocation = _allocate(people["county"], source, project, "1000")
    before = _ledger()
    with pytest.raises(services.MechanismNotMet, match="先建后补"):
        services.disbursement_create(actor=people["county"], allocation=allocation, amount="1000", paid_on=TODAY, voucher_no="V1")
    assert _ledger() == before
    project.status, project.actual_end = S.ACCEPTED, datetime.date(2025, 5, 1)
    project.maintenance_body, project.maintenance_owner = "village_collective", "余村村委会"
    project.save()
    services.disbursement_create(actor=people["county"], allocation=allocation, amount="1000", paid_on=TODAY, voucher_no="V1")


def test_reward_in_lieu_pays_only_after_the_village_passed_that_years_assessment(people, project):
    source = FundingSourceFactory(mechanism=Mechanism.REWARD_IN_LIEU, region=region("33"), kind=SourceKind.PROVINCIAL_SPECIAL, fiscal_year=2025)
    allocation = _allocate(people["county"], source, project, "1000")
    # Failed this year, passed another year: still refused.
    finalised = dict(status=AssessmentStatus.FINALISED, total_score=D("50"), finalised_at=timezone.now())
    AssessmentFactory(village=project.village, period="2025", grade=Grade.FAIL, **finalised)
    AssessmentFactory(village=project.village, period="2024", grade=Grade.EXCELLENT, **finalised)
    before = _ledger()
    with pytest.raises(services.MechanismNotMet, match="以奖代补"):
        services.disbursement_create(actor=people["county"], allocation=allocation, amount="500", paid_on=TODAY, voucher_no="V1")
    assert _ledger() == before
    AssessmentFactory(village=project.village, period="2025-H2", grade=Grade.PASS, **finalised)
    services.disbursement_create(actor=people["county"], allocation=allocation, amount="500", paid_on=TODAY, voucher_no="V1")


@pytest.mark.parametrize("status", [S.CANCELLED, S.DRAFT, S.SUBMITTED])
def test_no_money_for_cancelled_or_unapproved_projects(people, source, status):
    project = ProjectFactory(village=VillageFactory(code="330523108204"), status=status)
    before = _ledger()
    with pytest.raises(Conflict):
        _allocate(people["county"], source, project)
    assert _ledger() == before


def test_no_payment_once_the_project_is_cancelled(people, source, project):
    allocation = _allocate(people["county"], source, project, "500")
    project.status = S.CANCELLED
    project.save()
    before = _ledger()
    with pytest.raises(Conflict, match="cancelled|取消"):
        services.disbursement_create(actor=people["county"], allocation=allocation, amount="10", paid_on=TODAY, voucher_no="V1")
    assert _ledger() == before


@pytest.mark.parametrize("source_region, village", [("330522", None), ("330523001", None), ("330523", "330523108205")])
def test_source_outside_the_projects_region_chain_is_refused(people, project, source_region, village):
    VillageFactory(code="330523108205")
    source = FundingSourceFactory(region=region(source_region), village_id=village)
    root = user_with("root")
    root.is_superuser = True
    root.save()
    before = _ledger()
    with pytest.raises(InvalidInput) as refused:  # even a superuser: the rule is about the money, not the user
        _allocate(root, source, project)
    assert "source" in refused.value.field_errors
    if source_region == "330522":  # county staff cannot even see another county's source
        with pytest.raises(NotPermitted):
            _allocate(people["county"], source, project)
    else:
        with pytest.raises(InvalidInput):
            _allocate(people["county"], source, project)
    assert _ledger() == before


@pytest.mark.parametrize("who", ["official", "other_county", "supervisor"])
def test_only_county_staff_of_the_county_move_money(people, source, project, who):
    allocation = _allocate(people["county"], source, project, "500")
    before = _ledger()
    with pytest.raises(NotPermitted):
        _allocate(people[who], source, project)
    with pytest.raises(NotPermitted):
        services.disbursement_create(actor=people[who], allocation=allocation, amount="10", paid_on=TODAY, voucher_no="X")
    with pytest.raises(NotPermitted):
        services.allocation_reverse(actor=people[who], allocation=allocation, reason="错")
    assert _ledger() == before


def test_bad_payment_fields_are_named(people, source, project):
    allocation = _allocate(people["county"], source, project, "500", allocated_on=datetime.date(2025, 1, 10),
                           reason="年初下达，补录")
    before = _ledger()
    cases = [
        (dict(paid_on=timezone.localdate() + datetime.timedelta(days=1), voucher_no="V"), "paid_on"),
        (dict(paid_on=datetime.date(2025, 1, 9), voucher_no="V", reason="补录"), "paid_on"),  # before the allocation
        (dict(paid_on=TODAY, voucher_no="  "), "voucher_no"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InvalidInput) as refused:
            services.disbursement_create(actor=people["county"], allocation=allocation, amount="10", **kwargs)
        assert field in refused.value.field_errors
    services.disbursement_create(actor=people["county"], allocation=allocation, amount="10", paid_on=TODAY, voucher_no="V1")
    with pytest.raises(InvalidInput) as refused:
        services.disbursement_create(actor=people["county"], allocation=allocation, amount="10", paid_on=TODAY, voucher_no="V1")
    assert "voucher_no" in refused.value.field_errors
    assert Disbursement.objects.count() == 1 and len(before[2]) == 0


def test_corrections_are_reversals_never_edits(people, source, project):
    allocation = _allocate(people["county"], source, project, "700")
    payment = services.disbursement_create(actor=people["county"], allocation=allocation, amount="300", paid_on=TODAY, voucher_no="V1")
    with pytest.raises(Conflict, match="300.00"):
        services.allocation_reverse(actor=people["county"], allocation=allocation, reason="重复拨付")
    with pytest.raises(InvalidInput):
        services.disbursement_reverse(actor=people["county"], disbursement=payment, reason=" ")
    reversal = services.disbursement_reverse(actor=people["county"], disbursement=payment, reason="凭证号录错")
    assert reversal.amount == D("-300.00") and reversal.reverses == payment
    with pytest.raises(Conflict):
        services.disbursement_reverse(actor=people["county"], disbursement=payment, reason="again")
    with pytest.raises(Conflict):
        services.disbursement_reverse(actor=people["county"], disbursement=reversal, reason="again")
    undo = services.allocation_reverse(actor=people["county"], allocation=allocation, reason="重复拨付")
    assert undo.amount == D("-700.00")
    row = selectors.source_list(user=people["county"]).get(pk=source.pk)
    assert (row.allocated, row.disbursed) == (D("0.00"), D("0.00"))
    # The full balance is available again; the reversed allocation pays nothing.
    with pytest.raises(services.OverCommitted):
        services.disbursement_create(actor=people["county"], allocation=allocation, amount="1", paid_on=TODAY, voucher_no="V9")
    _allocate(people["county"], source, project, "1000")
    notes = set(AuditEntry.objects.exclude(note="").values_list("note", flat=True))
    assert {"凭证号录错", "重复拨付"} <= notes
    assert Allocation.objects.get(pk=allocation.pk).amount == D("700.00")  # the original is untouched


def test_source_total_cannot_drop_below_what_is_allocated(people, source, project):
    _allocate(people["county"], source, project, "800")
    before = _ledger()
    with pytest.raises(services.OverCommitted):
        services.funding_source_update(actor=people["county"], source=source, data={"total_amount": "799.99"})
    assert _ledger() == before
    services.funding_source_update(actor=people["county"], source=source, data={"total_amount": "800"})


def test_source_creation_by_level(people):
    data = dict(name="2025年市级配套", kind=SourceKind.CITY_MATCHING, mechanism=Mechanism.DIRECT_GRANT, fiscal_year=2025, total_amount="5000000")
    created = services.funding_source_create(actor=people["supervisor"], data={**data, "region": region("3305")})
    assert created.total_amount == D("5000000.00")
    with pytest.raises(NotPermitted):  # a supervisor manages sources of its own level only
        services.funding_source_create(actor=people["supervisor"], data={**data, "name": "x", "region": region("330523")})
    with pytest.raises(NotPermitted):
        services.funding_source_create(actor=people["county"], data={**data, "name": "y", "region": region("3305")})
    with pytest.raises(InvalidInput) as refused:
        services.funding_source_create(actor=people["county"], data={**data, "kind": "lottery", "total_amount": "0", "region": region("330523")})
    assert {"kind"} <= set(refused.value.field_errors)


# --- the race -----------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_thirty_threads_allocating_from_a_source_of_1000(postgres):
    """30 threads allocate 100 each from a source of 1,000 at the same moment: exactly 10
    succeed and the balance is exactly 0, on every one of 20 repetitions. Each thread funds
    its own project, so only the lock on the source can keep the balance."""
    county = user_with("anji-race", (Role.COUNTY_STAFF, "330523"))
    village = VillageFactory(code="330523108204")
    projects = [ProjectFactory(village=village, status=S.APPROVED) for _ in range(30)]
    outcomes = []
    for repetition in range(20):
        source = FundingSourceFactory(name=f"竞争测试{repetition}", total_amount=D("1000"))
        barrier = threading.Barrier(30)
        results = []
        lock = threading.Lock()

        def allocate(project, source=source, barrier=barrier, results=results, lock=lock):
            try:
                barrier.wait(timeout=30)
                services.allocation_create(actor=county, source=source, project=project, amount="100")
                outcome = "ok"
            except services.OverCommitted:
                outcome = "refused"
            except Exception as error:  # noqa: BLE001 - reported below
                outcome = repr(error)
            finally:
                connections.close_all()
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=allocate, args=(project,)) for project in projects]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        allocated = selectors.source_list(user=county).get(pk=source.pk).allocated
        outcomes.append((results.count("ok"), results.count("refused"), source.total_amount - allocated))
        assert len(results) == 30, results
    assert outcomes == [(10, 20, D("0.00"))] * 20, outcomes
    assert connection.vendor == "postgresql"
