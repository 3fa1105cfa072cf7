"""Every lock of the ledger's services, each shown by a concurrent writer (tests/locks.py; PostgreSQL).

For each row a service locks, another transaction holds that row and changes what the service's check depends
on (a balance, a status, a reversal). The service must wait, see the change and refuse: without its lock it
checks the old state and books money the ledger does not have. These are the tests that catch, on PostgreSQL,
a lock removed from funding/services.py (SQLite serialises whole transactions and cannot show it).
"""
import datetime
from decimal import Decimal

import pytest

from core.exceptions import Conflict
from core.models import Role
from funding import services
from funding.models import Allocation, Disbursement, FundingSource
from projects.models import Project, ProjectStatus
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)
from tests.locks import concurrent_writer

D = Decimal
S = ProjectStatus
TODAY = datetime.date.today()
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ledger(postgres):
    county = user_with("anji-locks", (Role.COUNTY_STAFF, "330523"))
    project = ProjectFactory(
        village=VillageFactory(code="330523108204"), status=S.UNDER_CONSTRUCTION, actual_start=TODAY - datetime.timedelta(days=30)
    )
    source = FundingSourceFactory(name="2024年县级财政预算", total_amount=D("1000"), region=region("330523"))
    allocation = AllocationFactory(source=source, project=project, amount=D("600"), allocated_on=TODAY - datetime.timedelta(days=20))
    return {"county": county, "project": project, "source": source, "allocation": allocation}


def _lock_source(source):
    return lambda: FundingSource.objects.select_for_update().get(pk=source.pk)


def _lock_allocation(allocation):
    return lambda: Allocation.objects.select_for_update().get(pk=allocation.pk)


def _lock_project(project):
    return lambda: Project.objects.select_for_update().get(pk=project.pk)


def _cancel(project):
    return lambda: Project.objects.filter(pk=project.pk).update(status=S.CANCELLED)


def _allocate(source, project, amount):
    return lambda: Allocation.objects.create(source=source, project=project, amount=D(amount), allocated_on=TODAY)


def _pay(allocation, amount, voucher="LOCK-1"):
    return lambda: Disbursement.objects.create(allocation=allocation, amount=D(amount), paid_on=TODAY, voucher_no=voucher)


def test_lowering_a_total_waits_for_an_allocation_being_made(ledger):
    """funding_source_update locks the source: 300 more are allocated meanwhile, so 800 is below the 900 allocated."""
    source, project = ledger["source"], ledger["project"]
    with concurrent_writer(_lock_source(source), _allocate(source, project, "300")):
        with pytest.raises(services.OverCommitted):
            services.funding_source_update(actor=ledger["county"], source=source, data={"total_amount": "800"})
    assert FundingSource.objects.get(pk=source.pk).total_amount == D("1000")


def test_an_allocation_waits_for_another_on_the_same_source(ledger):
    """allocation_create locks the source: 300 of the 400 left go elsewhere meanwhile, so 200 no longer fit."""
    source, project = ledger["source"], ledger["project"]
    with concurrent_writer(_lock_source(source), _allocate(source, project, "300")):
        with pytest.raises(services.OverCommitted):
            services.allocation_create(actor=ledger["county"], source=source, project=project, amount="200")
    assert sum(Allocation.objects.filter(source=source).values_list("amount", flat=True)) == D("900")


def test_an_allocation_waits_for_the_project_being_cancelled(ledger):
    """allocation_create locks the project: it is cancelled meanwhile, so no money may go to it."""
    source, project = ledger["source"], ledger["project"]
    with concurrent_writer(_lock_project(project), _cancel(project)):
        with pytest.raises(Conflict):
            services.allocation_create(actor=ledger["county"], source=source, project=project, amount="100")
    assert Allocation.objects.filter(project=project).count() == 1


def test_a_reversal_waits_for_a_payment_out_of_the_allocation(ledger):
    """allocation_reverse locks the allocation: a payment is made out of it meanwhile, which must be reversed first."""
    allocation = ledger["allocation"]
    with concurrent_writer(_lock_allocation(allocation), _pay(allocation, "100")):
        with pytest.raises(Conflict):
            services.allocation_reverse(actor=ledger["county"], allocation=allocation, reason="录入错误")
    assert not Allocation.objects.filter(reverses=allocation).exists()


def test_a_payment_waits_for_another_out_of_the_same_allocation(ledger):
    """disbursement_create locks the allocation: 500 of its 600 are paid meanwhile, so 200 no longer fit."""
    allocation = ledger["allocation"]
    with concurrent_writer(_lock_allocation(allocation), _pay(allocation, "500")):
        with pytest.raises(services.OverCommitted):
            services.disbursement_create(actor=ledger["county"], allocation=allocation, amount="200", paid_on=TODAY, voucher_no="LOCK-2")
    assert sum(Disbursement.objects.filter(allocation=allocation).values_list("amount", flat=True)) == D("500")


def test_a_payment_waits_for_the_project_being_cancelled(ledger):
    """disbursement_create locks the project: it is cancelled meanwhile, so nothing may be paid to it."""
    allocation, project = ledger["allocation"], ledger["project"]
    with concurrent_writer(_lock_project(project), _cancel(project)):
        with pytest.raises(Conflict):
            services.disbursement_create(actor=ledger["county"], allocation=allocation, amount="100", paid_on=TODAY, voucher_no="LOCK-3")
    assert not Disbursement.objects.filter(allocation=allocation).exists()


def test_a_payment_reversal_waits_for_another_reversal_of_it(ledger):
    """disbursement_reverse locks the allocation, then the payment (the writer takes them in the same order, as
    disbursement_reverse itself does): someone reverses the payment meanwhile, so it cannot be reversed twice.
    Either lock alone keeps this; with neither, the second reversal meets the one-to-one constraint (a database
    error, not a refusal) and the test fails."""
    allocation = ledger["allocation"]
    payment = DisbursementFactory(allocation=allocation, amount=D("100"), paid_on=TODAY, voucher_no="LOCK-4")

    def reverse_it():
        Disbursement.objects.create(
            allocation=allocation, amount=D("-100"), paid_on=TODAY, voucher_no="LOCK-4", reverses=payment, reason="重复录入"
        )

    def lock():
        Allocation.objects.select_for_update().get(pk=allocation.pk)
        Disbursement.objects.select_for_update().get(pk=payment.pk)

    with concurrent_writer(lock, reverse_it):
        with pytest.raises(Conflict):
            services.disbursement_reverse(actor=ledger["county"], disbursement=payment, reason="录入错误")
    assert Disbursement.objects.filter(reverses=payment).count() == 1
