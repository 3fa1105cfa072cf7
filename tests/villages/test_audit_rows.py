"""The audit rows of villages' services (tests/audit_rows.py)."""
from decimal import Decimal

import pytest

from core.models import AuditAction, AuditEntry, Role
from tests.audit_rows import Row, run_case
from tests.factories import VillageFactory, user_with
from villages import services
from villages.models import Village

A = AuditAction


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会", population=1200, households=400)


def village_update(county, village):
    services.village_update(actor=county, village=village, data={"population": 1300, "households": 400,
                                                                 "latitude": Decimal("30.458333"), "longitude": Decimal("119.68")})
    services.village_update(actor=county, village=village, data={"population": 1300})  # no change: no row
    return [Row(county, A.UPDATE, village, changes={"population": [1200, 1300], "latitude": [None, "30.458333"],
                                                    "longitude": [None, "119.680000"]})]


def region_mark_sample_data(county, village):
    from villages.models import Region, SampleData

    anji = Region.objects.get(code="330523")
    services.region_mark_sample_data(actor=None, region=anji, kind=SampleData.SAMPLE)
    services.region_mark_sample_data(actor=None, region=anji, kind=SampleData.SAMPLE)  # marked already: no row
    return [Row(None, A.UPDATE, anji, changes={"sample_data": ["", "sample"]})]


CASES = {"village_update": village_update, "region_mark_sample_data": region_mark_sample_data}
NO_AUDIT_ROW = {
    "import_divisions": "loads the statistical division codes (regions and village names) from the published "
                        "files, hundreds of thousands of rows per run by a management command with no actor; the "
                        "files are the record",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)


def test_a_division_import_writes_no_audit_row(db):
    before = AuditEntry.objects.count()
    result = services.import_divisions(province="3305")
    assert result.created > 0 and Village.objects.exists() and AuditEntry.objects.count() == before
