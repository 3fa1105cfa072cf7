"""The audit rows of supervision's services (tests/audit_rows.py)."""
import datetime

import pytest

from core.models import AuditAction
from oversight import services
from oversight.models import Problem, ProblemPhoto, Visit
from tests.audit_rows import Row, run_case
from tests.factories import region
from tests.images import upload

from .conftest import DAY

A = AuditAction
LATER = DAY + datetime.timedelta(days=5)


def visit_record(county, village):
    visit = services.visit_record(actor=county, region=region("330523"), kind="unannounced", visited_on=DAY,
                                  inspectors="县督查组 王明", villages=[village])
    return [Row(county, A.CREATE, visit, created=True, fields={"region": [None, "330523"], "kind": [None, "unannounced"]},
                note=village.code)]


def finding_add(county, visit, start):
    from tests.factories import VillageFactory

    other = VillageFactory(code="330523108205", name="银坑村委会")  # not visited yet: the finding adds it to the visit
    start()
    services.finding_add(actor=county, visit=visit, village=other, category="waste", severity="serious",
                         description="垃圾桶满溢", deadline=DAY + datetime.timedelta(days=10), photos=[upload("现场.jpg")])
    problem = Problem.objects.get(village=other)
    return [
        Row(county, A.CREATE, problem, created=True, fields={"status": [None, "open"], "township": [None, "330523108"],
                                                             "deadline": [None, "2025-09-20"]}),
        Row(county, A.UPDATE, visit, changes={"villages": [None, other.code]}),
        Row(county, A.CREATE, ProblemPhoto.objects.get(problem=problem), created=True, fields={"stage": [None, "found"]},
            note="现场.jpg"),
    ]


def problem_rectify(official, problem):
    services.problem_rectify(actor=official, problem=problem, rectified_on=LATER, rectification="已清理",
                             photos=[upload("整改.jpg")])
    return [
        Row(official, A.TRANSITION, problem, fields={"status": ["open", "rectified"], "rectified_on": [None, LATER.isoformat()],
                                                     "rectification": ["", "已清理"]}),
        Row(official, A.CREATE, ProblemPhoto.objects.get(problem=problem), created=True, fields={"stage": [None, "rectified"]}),
    ]


def problem_close(county, rectified):
    services.problem_close(actor=county, problem=rectified, on_date=LATER, note="复查合格")
    return [Row(county, A.TRANSITION, rectified, changes={
        "status": ["rectified", "closed"], "closed_on": [None, LATER.isoformat()], "closed_by": [None, county.pk]},
        note="复查合格")]


def problem_reopen(city, rectified):
    services.problem_reopen(actor=city, problem=rectified, reason="仍有垃圾")
    return [Row(city, A.TRANSITION, rectified, changes={
        "status": ["rectified", "open"], "rectified_on": [LATER.isoformat(), None], "rectification": ["已清理", ""],
        "reopened": [0, 1]}, note="仍有垃圾")]


CASES = {f.__name__: f for f in (visit_record, finding_add, problem_rectify, problem_close, problem_reopen)}
NO_AUDIT_ROW: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)


def test_a_refused_finding_writes_nothing(county, visit, village):
    from core.exceptions import InvalidInput
    from core.models import AuditEntry

    before = (AuditEntry.objects.count(), Problem.objects.count(), Visit.objects.get(pk=visit.pk).villages.count())
    with pytest.raises(InvalidInput):
        services.finding_add(actor=county, visit=visit, village=village, category="waste", severity="serious",
                             description="", deadline=DAY, photos=[upload("现场.jpg")])
    assert (AuditEntry.objects.count(), Problem.objects.count(), visit.villages.count()) == before
