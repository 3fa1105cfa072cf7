"""The audit rows of the imports' services (tests/audit_rows.py): an upload writes the import's creation; a commit
writes each object's own rows (the domain's services) and one row for the import."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditAction, Role
from imports import services
from planning.models import Target
from tests.audit_rows import Row, run_case
from tests.factories import VillageFactory, region, user_with

A = AuditAction
CSV = "区划代码,年度,目标类别,目标数量,备注\n330523108,2026,污水治理,10,\n330523001,2026,污水治理,6,\n"


@pytest.fixture
def county(db):
    VillageFactory(code="330523108204", name="余村村委会")
    region("330523001")
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


def _upload(county):
    return services.import_upload(actor=county, kind="targets", region=region("330523"),
                                  upload=SimpleUploadedFile("目标.csv", CSV.encode(), content_type="text/csv"))


def import_upload(county):
    batch = _upload(county)
    assert batch.status == "checked" and batch.to_create == 2
    return [Row(county, A.CREATE, batch, created=True, fields={"kind": [None, "targets"], "region": [None, "330523"],
                                                               "requester": [None, county.pk], "status": [None, "queued"]},
                note="目标.csv")]


def import_commit(county, start):
    batch = _upload(county)
    start()
    services.import_commit(actor=county, batch=batch)
    first, second = Target.objects.order_by("region_id")
    return [
        Row(county, A.CREATE, second, created=True, fields={"region": [None, "330523108"], "quantity": [None, "10.00"]}),
        Row(county, A.CREATE, first, created=True, fields={"region": [None, "330523001"], "quantity": [None, "6.00"]}),
        Row(county, A.TRANSITION, batch, changes=None, fields={"status": ["committing", "committed"], "created": [0, 2]},
            note="新建 2 条，更新 0 条"),
    ]


CASES = {f.__name__: f for f in (import_upload, import_commit)}
NO_AUDIT_ROW = {
    "run_check": "the dry run of an import (inline, or the job's body): bookkeeping of the import's own record (its "
                 "status, counts and errors); nothing else is written, and the upload's row records the import",
    "run_commit": "the body of import_commit (inline, or the job's): its rows are checked in the import_commit case",
    "plan_rows": "reads the stored file and checks its rows (a dry run); it writes only the job's progress to the cache",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)
