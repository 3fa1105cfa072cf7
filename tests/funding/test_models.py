from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from funding.models import Allocation, Disbursement, FundingSource
from tests.factories import AllocationFactory, DisbursementFactory, FundingSourceFactory


def _refused(factory, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"total_amount": Decimal("0")},
        {"total_amount": Decimal("-5")},
        {"kind": "lottery"},
        {"mechanism": "loan"},
        {"fiscal_year": 1999},
        {"name": ""},
    ],
)
def test_source_constraints(fields):
    _refused(FundingSourceFactory, **fields)
    assert not FundingSource.objects.exists()


@pytest.mark.django_db
def test_source_name_unique_per_region_and_year():
    FundingSourceFactory(name="县级财政预算")
    _refused(FundingSourceFactory, name="县级财政预算")
    FundingSourceFactory(name="县级财政预算", fiscal_year=2025)
    assert FundingSource.objects.count() == 2


@pytest.mark.django_db
def test_ledger_entries_are_positive_and_reversals_negative_with_reason():
    allocation = AllocationFactory()
    _refused(AllocationFactory, source=allocation.source, project=allocation.project, amount=Decimal("0"))
    _refused(AllocationFactory, source=allocation.source, project=allocation.project, amount=Decimal("-1"))
    # A reversal must be negative and give a reason.
    _refused(AllocationFactory, source=allocation.source, project=allocation.project, amount=Decimal("100"), reverses=allocation, reason="录入错误")
    _refused(AllocationFactory, source=allocation.source, project=allocation.project, amount=-allocation.amount, reverses=allocation)
    reversal = AllocationFactory(
        source=allocation.source, project=allocation.project, amount=-allocation.amount, reverses=allocation, reason="录入错误"
    )
    # An entry is reversed at most once.
    _refused(AllocationFactory, source=allocation.source, project=allocation.project, amount=-allocation.amount, reverses=allocation, reason="again")
    assert Allocation.objects.count() == 2
    assert reversal.reverses_id == allocation.pk


@pytest.mark.django_db
def test_disbursement_constraints():
    disbursement = DisbursementFactory(voucher_no="AJ-1")
    allocation = disbursement.allocation
    _refused(DisbursementFactory, allocation=allocation, amount=Decimal("0"))
    _refused(DisbursementFactory, allocation=allocation, voucher_no="")
    _refused(DisbursementFactory, allocation=allocation, voucher_no="AJ-1")  # same voucher twice
    DisbursementFactory(allocation=allocation, voucher_no="AJ-1", amount=-disbursement.amount, reverses=disbursement, reason="重复支付")
    assert Disbursement.objects.count() == 2
