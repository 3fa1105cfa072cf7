"""The audit rows of planning's services (tests/audit_rows.py)."""
import datetime
from decimal import Decimal

import pytest

from core.models import AuditAction, Role
from planning import services
from planning.models import CreationListEntry, PlanCitation, PlanItem, Target
from tests.audit_rows import Row, run_case
from tests.factories import (
    CreationListEntryFactory,
    PlanFactory,
    PlanItemFactory,
    ProjectFactory,
    TargetFactory,
    region,
    user_with,
)
from tests.pdfs import pdf_upload

A = AuditAction
PLAN_DATA = {"title": "余村村庄建设规划", "approved_on": datetime.date(2023, 6, 1), "approved_by": "天荒坪镇人民政府",
             "valid_from": datetime.date(2023, 1, 1), "valid_until": datetime.date(2027, 12, 31)}


@pytest.fixture
def city(db):
    return user_with("huzhou", (Role.SUPERVISOR, "3305"))


@pytest.fixture
def plan(village):
    return PlanFactory(village=village)


@pytest.fixture
def item(plan):
    return PlanItemFactory(plan=plan, name="余村污水管网", kind="sewage", quantity=Decimal("3.20"))


def plan_create(official, village):
    plan = services.plan_create(actor=official, area=village, data=PLAN_DATA, document=pdf_upload())
    return [Row(official, A.CREATE, plan, created=True, fields={"title": [None, "余村村庄建设规划"], "version": [None, 1]})]


def plan_revise(official, plan, item, start):
    project = ProjectFactory(village=plan.village, plan_citation=None)
    citation = PlanCitation.objects.create(project=project, item=item)
    start()
    new = services.plan_revise(actor=official, plan=plan, data={**PLAN_DATA, "title": "余村村庄建设规划（修编）"},
                               reason="管网走向调整")
    copy = new.items.get()
    return [
        Row(official, A.UPDATE, plan, changes={"status": ["current", "superseded"]}, note="管网走向调整"),
        Row(official, A.CREATE, new, created=True, fields={"version": [None, 2], "change_reason": [None, "管网走向调整"]}),
        Row(official, A.CREATE, copy, created=True, fields={"name": [None, "余村污水管网"]}),
        Row(official, A.UPDATE, citation, changes={"item": [item.pk, copy.pk]}, note="管网走向调整"),
    ]


def plan_document_attach(official, plan):
    services.plan_document_attach(actor=official, plan=plan, document=pdf_upload())
    plan.refresh_from_db()
    return [Row(official, A.UPDATE, plan, changes={"document": [None, plan.document.name]})]


def plan_item_add(official, plan):
    item = services.plan_item_add(actor=official, plan=plan, data={
        "village": plan.village, "kind": "toilet", "name": "余村卫生厕所改造", "quantity": "120", "estimated_cost": "360000",
        "planned_year": 2025,
    })
    return [Row(official, A.CREATE, item, created=True, fields={"quantity": [None, "120.00"], "kind": [None, "toilet"]})]


def plan_item_update(official, item):
    services.plan_item_update(actor=official, item=item, data={"quantity": "4.5"}, reason="实测长度")
    return [Row(official, A.UPDATE, item, changes={"quantity": ["3.20", "4.50"]}, note="实测长度")]


def plan_item_remove(official, item):
    pk = item.pk
    services.plan_item_remove(actor=official, item=item, reason="并入县域主干管")
    assert not PlanItem.objects.filter(pk=pk).exists()
    return [Row(official, A.DELETE, (PlanItem, pk), fields={"name": ["余村污水管网", None]}, note="并入县域主干管")]


def citation_set(official, village, item, start):
    project = ProjectFactory(village=village, plan_citation=None)
    start()
    citation = services.citation_set(actor=official, project=project, out_of_plan_reason="山洪冲毁，应急抢修")
    services.citation_set(actor=official, project=project, item=item)
    return [
        Row(official, A.CREATE, citation, created=True, fields={"exception_status": [None, "pending"]}),
        Row(official, A.UPDATE, citation, fields={"item": [None, item.pk], "exception_status": ["pending", ""]}),
    ]


def exception_decide(official, county, village, start):
    project = ProjectFactory(village=village, plan_citation=None)
    citation = services.citation_set(actor=official, project=project, out_of_plan_reason="应急")
    start()
    services.exception_decide(actor=county, citation=citation, approve=False, note="请列入规划后再报")
    return [Row(county, A.TRANSITION, citation, fields={"exception_status": ["pending", "refused"]}, note="请列入规划后再报")]


def project_create_from_item(official, village, item):
    project = services.project_create_from_item(actor=official, item=item, village=village, data={
        "name": "余村污水管网工程", "budget": Decimal("480000"), "planned_start": datetime.date(2025, 3, 1),
        "planned_end": datetime.date(2025, 10, 31), "responsible_person": "潘立新",
    })
    assert (project.type, project.planned_output) == ("sewage", Decimal("3.20"))
    return [
        Row(official, A.CREATE, project, created=True, fields={"planned_output": [None, "3.20"]}),
        Row(official, A.CREATE, project.plan_citation, created=True, fields={"item": [None, item.pk]}),
    ]


def target_set(city, start):
    anji = region("330523")
    start()
    target = services.target_set(actor=city, region=anji, year=2025, kind="toilet", quantity="5000")
    services.target_set(actor=city, region=anji, year=2025, kind="toilet", quantity="5200")
    return [
        Row(city, A.CREATE, target, created=True, fields={"quantity": [None, "5000.00"]}),
        Row(city, A.UPDATE, target, changes={"quantity": ["5000.00", "5200.00"]}),
    ]


def target_break_down(county, start):
    parent = TargetFactory(region=region("330523"), year=2025, kind="sewage", quantity=Decimal("120"))
    region("330523108"), region("330523001")
    start()
    made = services.target_break_down(actor=county, parent=parent, quantities={"330523001": "70", "330523108": "50.5"})
    return [Row(county, A.CREATE, t, created=True, fields={"quantity": [None, q]}) for t, q in zip(made, ("70.00", "50.50"))]


def target_delete(city):
    target = TargetFactory(region=region("330523"), year=2025, kind="road", quantity=Decimal("12"))
    pk = target.pk
    services.target_delete(actor=city, target=target)
    assert not Target.objects.filter(pk=pk).exists()
    return [Row(city, A.DELETE, (Target, pk), fields={"quantity": ["12.00", None]})]


def creation_list_add(county, village):
    entries = services.creation_list_add(actor=county, county=region("330523"), year=2025, category="demonstration",
                                         villages=[village])
    assert services.creation_list_add(actor=county, county=region("330523"), year=2025, category="demonstration",
                                      villages=[village]) == []  # on the list already: nothing more
    return [Row(county, A.CREATE, entries[0], created=True, fields={"village": [None, village.code]})]


def creation_list_remove(county, village):
    entry = CreationListEntryFactory(village=village, year=2025)
    pk = entry.pk
    services.creation_list_remove(actor=county, entry=entry, reason="村两委换届，推迟一年创建")
    assert not CreationListEntry.objects.filter(pk=pk).exists()
    return [Row(county, A.DELETE, (CreationListEntry, pk), fields={"village": [village.code, None]},
                note="村两委换届，推迟一年创建")]


CASES = {f.__name__: f for f in (
    plan_create, plan_revise, plan_document_attach, plan_item_add, plan_item_update, plan_item_remove, citation_set,
    exception_decide, project_create_from_item, target_set, target_break_down, target_delete, creation_list_add,
    creation_list_remove,
)}
NO_AUDIT_ROW: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)
