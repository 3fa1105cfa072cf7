"""The audit rows of projects' services (tests/audit_rows.py)."""
import datetime
from decimal import Decimal

import pytest

from core.models import AuditAction, Role
from projects import services
from projects.models import ProgressPhoto, ProjectStatus
from tests.audit_rows import Row, run_case
from tests.factories import ProjectFactory, VillageFactory, user_with
from tests.images import exif_with, image_bytes, upload

A = AuditAction
S = ProjectStatus


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


@pytest.fixture
def draft(village):
    return ProjectFactory(village=village, name="污水治理工程", budget=Decimal("500000"), status=S.DRAFT)


def project_create(official, village):
    project = services.project_create(actor=official, village=village, data=dict(
        type="road", name="村道硬化", budget=Decimal("300000"), planned_start=datetime.date(2025, 3, 1),
        planned_end=datetime.date(2025, 10, 31), responsible_person="李明",
    ))
    return [Row(official, A.CREATE, project, created=True, fields={
        "name": [None, "村道硬化"], "type": [None, "road"], "status": [None, "draft"], "village": [None, "330523108204"],
        "budget": [None, "300000.00"], "planned_end": [None, "2025-10-31"], "version": [None, 1],
        "created_by": [None, official.pk], "responsible_person": [None, "李明"],
    })]


def project_update(official, draft):
    services.project_update(actor=official, project=draft, data={"name": "污水治理工程二期", "budget": Decimal("350000")},
                            expected_version=1)
    return [Row(official, A.UPDATE, draft, changes={
        "name": ["污水治理工程", "污水治理工程二期"], "budget": ["500000.00", "350000.00"], "version": [1, 2],
        "updated_by": [None, official.pk],
    }, note="")]


def project_transition(official, county, draft):
    services.project_transition(actor=official, project=draft, action="submit")
    services.project_transition(actor=county, project=draft, action="return", reason="预算依据不足")
    return [
        Row(official, A.TRANSITION, draft, changes={"status": ["draft", "submitted"], "version": [1, 2],
                                                    "updated_by": [None, official.pk]}, note=""),
        Row(county, A.TRANSITION, draft, changes={"status": ["submitted", "returned"], "version": [2, 3],
                                                  "updated_by": [official.pk, county.pk]}, note="预算依据不足"),
    ]


def progress_report_create(official, village):
    project = ProjectFactory(village=village, status=S.UNDER_CONSTRUCTION, planned_start=datetime.date(2025, 3, 1),
                             actual_start=datetime.date(2025, 3, 5), planned_end=datetime.date(2026, 12, 31))
    report = services.progress_report_create(
        actor=official, project=project, report_date=datetime.date(2025, 5, 10), percent_complete=40,
        amount_spent=Decimal("150000"), narrative="管网完成四成",
        photos=[upload("现场1.jpg", data=image_bytes(exif=exif_with())), upload("现场2.png", data=image_bytes("PNG"))],
    )
    first, second = ProgressPhoto.objects.filter(report=report).order_by("pk")
    photo_fields = lambda photo, kind: {  # noqa: E731
        "report": [None, report.pk], "content_type": [None, kind], "image": [None, photo.image.name],
        "uploaded_by": [None, official.pk], "size_bytes": [None, photo.size_bytes],
    }
    return [
        Row(official, A.CREATE, report, created=True, note="", fields={
            "project": [None, project.pk], "report_date": [None, "2025-05-10"], "percent_complete": [None, 40],
            "amount_spent": [None, "150000.00"], "narrative": [None, "管网完成四成"], "reporter": [None, official.pk],
        }),
        Row(official, A.CREATE, first, created=True, note="现场1.jpg", fields={
            **photo_fields(first, "image/jpeg"), "gps_latitude": [None, "30.458333"]}),
        Row(official, A.CREATE, second, created=True, note="现场2.png", fields=photo_fields(second, "image/png")),
    ]


CASES = {f.__name__: f for f in (project_create, project_update, project_transition, progress_report_create)}
NO_AUDIT_ROW = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)
