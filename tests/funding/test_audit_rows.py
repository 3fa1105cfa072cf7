"""The audit rows of the ledger's services (tests/audit_rows.py)."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditAction, Role
from funding import services
from funding.models import Mechanism, SourceKind
from projects.models import ProjectStatus
from tests.audit_rows import ABSENT, Row, run_case
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)

A = AuditAction
D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def project(db):
    return ProjectFactory(village=VillageFactory(code="330523108204"), status=ProjectStatus.UNDER_CONSTRUCTION,
                          actual_start=datetime.date(2024, 3, 5))


@pytest.fixture
def source(db):
    return FundingSourceFactory(name="2024年县级财政预算", total_amount=D("1000"), region=region("330523"),
                                fiscal_year=TODAY.year, document_no="安财〔2024〕1号")


@pytest.fixture
def allocation(source, project):
    return AllocationFactory(source=source, project=project, amount=D("100.00"), allocated_on=TODAY)


def funding_source_create(county):
    source = services.funding_source_create(actor=county, data=dict(
        name=" 2025年县级配套 ", kind=SourceKind.COUNTY_BUDGET, mechanism=Mechanism.DIRECT_GRANT, region=region("330523"),
        fiscal_year=2025, total_amount="5000000",
    ))
    return [Row(county, A.CREATE, source, created=True, note="", fields={
        "name": [None, "2025年县级配套"], "kind": [None, "county_budget"], "mechanism": [None, "direct_grant"],
        "region": [None, "330523"], "fiscal_year": [None, 2025], "total_amount": [None, "5000000.00"],
        "created_by": [None, county.pk],
    })]


def funding_source_update(county, source):
    services.funding_source_update(actor=county, source=source, data={
        "name": "2024年县级财政预算（调整）", "total_amount": "2000", "document_no": "安财〔2024〕1号", "note": " 追加 ",
    })
    return [Row(county, A.UPDATE, source, note="", changes={
        "name": ["2024年县级财政预算", "2024年县级财政预算（调整）"], "total_amount": ["1000.00", "2000.00"], "note": ["", "追加"],
    })]


def allocation_create(county, source, project):
    allocation = services.allocation_create(actor=county, source=source, project=project, amount="250.5")
    assert allocation.allocated_on >= TODAY  # today by default (later only if the run crossed midnight)
    earlier = services.allocation_create(actor=county, source=source, project=project, amount="100",
                                         allocated_on=datetime.date(TODAY.year - 1, 12, 30), reason="上年度结转")
    return [
        Row(county, A.CREATE, allocation, created=True, note="", fields={
            "source": [None, source.pk], "project": [None, project.pk], "amount": [None, "250.50"],
            "allocated_on": [None, allocation.allocated_on.isoformat()], "created_by": [None, county.pk], "reverses": ABSENT,
        }),
        Row(county, A.CREATE, earlier, created=True, note="上年度结转", fields={
            "amount": [None, "100.00"], "reason": [None, "上年度结转"]}),
    ]


def allocation_reverse(county, allocation):
    reversal = services.allocation_reverse(actor=county, allocation=allocation, reason=" 录入错误 ")
    return [Row(county, A.CREATE, reversal, created=True, note="录入错误", fields={
        "reverses": [None, allocation.pk], "amount": [None, "-100.00"], "source": [None, allocation.source_id],
        "project": [None, allocation.project_id], "reason": [None, "录入错误"], "created_by": [None, county.pk],
    })]


def disbursement_create(county, allocation):
    payment = services.disbursement_create(actor=county, allocation=allocation, amount="60", paid_on=TODAY,
                                           voucher_no=" AJ2024-00042 ")
    return [Row(county, A.CREATE, payment, created=True, note="", fields={
        "allocation": [None, allocation.pk], "amount": [None, "60.00"], "paid_on": [None, TODAY.isoformat()],
        "voucher_no": [None, "AJ2024-00042"], "created_by": [None, county.pk], "reverses": ABSENT,
    })]


def disbursement_reverse(county, allocation):
    payment = DisbursementFactory(allocation=allocation, amount=D("60.00"), paid_on=TODAY, voucher_no="AJ2024-00043")
    reversal = services.disbursement_reverse(actor=county, disbursement=payment, reason="重复支付")
    return [Row(county, A.CREATE, reversal, created=True, note="重复支付", fields={
        "reverses": [None, payment.pk], "allocation": [None, allocation.pk], "amount": [None, "-60.00"],
        "voucher_no": [None, "AJ2024-00043"], "reason": [None, "重复支付"],
    })]


def upkeep_allocation_create(county, source, project):
    from tests.factories import AssetFactory

    asset = AssetFactory(village=project.village)
    allocation = services.upkeep_allocation_create(actor=county, source=source, asset=asset, amount="120")
    return [Row(county, A.CREATE, allocation, created=True, note="", fields={
        "source": [None, source.pk], "asset": [None, asset.pk], "village": [None, asset.village_id], "amount": [None, "120.00"],
        "created_by": [None, county.pk], "project": ABSENT,
    })]


CASES = {f.__name__: f for f in (funding_source_create, funding_source_update, allocation_create, allocation_reverse,
                                  upkeep_allocation_create,
                                  disbursement_create, disbursement_reverse)}
NO_AUDIT_ROW = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)

