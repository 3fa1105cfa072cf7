"""Imports of plan items (imports.kinds.plan_items): items of a village's current construction plan (or, with a blank
village code, of the county's layout plan), matched by plan, kind of work and name; written by plan_item_add and
plan_item_update, with the service's rule about reasons."""
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import override
from openpyxl import load_workbook

from core.exceptions import IllegalTransition, NotPermitted
from core.models import AuditAction, AuditEntry, Role
from imports import services
from imports.kinds import kind_of
from imports.models import ImportBatch
from imports.template import template_bytes
from planning.models import PlanCitation, PlanItem, PlanKind
from tests.factories import PlanFactory, PlanItemFactory, ProjectFactory, VillageFactory, region, user_with

from .conftest import xlsx

KIND = kind_of("plan_items")
with override("zh-hans"):
    HEADERS = [str(column.header) for column in KIND.columns]
    SHEET = str(KIND.sheet)


def row(village="330523108204", kind="污水治理", name="污水管网延伸", quantity="2", cost="300000", year="2026", reason=""):
    return [village, kind, name, quantity, cost, year, reason]


def upload(user, rows, code="330523108"):
    return services.import_upload(actor=user, kind="plan_items", region=region(code),
                                  upload=xlsx(rows, headers=HEADERS, name="规划项目.xlsx", sheet=SHEET))


@pytest.fixture
def plans(db):
    yu = VillageFactory(code="330523108204", name="余村村委会")
    yin = VillageFactory(code="330523108205", name="银坑村村委会")
    VillageFactory(code="330523108206", name="无规划村村委会")  # no plan
    VillageFactory(code="330523001201", township_code="330523001")  # another township of the county
    return {"yu": PlanFactory(village=yu), "yin": PlanFactory(village=yin)}


@pytest.fixture
def official(plans):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


def test_clean_file_creates_through_the_service_and_a_second_upload_changes_nothing(official, plans):
    batch = upload(official, [row(), row("330523108205", "村道硬化", "主干道硬化", "1.2", "120万", "2025")])
    assert batch.status == "checked" and batch.error_count == 0, batch.errors
    assert (batch.to_create, batch.to_update, batch.unchanged) == (2, 0, 0)
    assert not PlanItem.objects.exists()
    done = services.import_commit(actor=official, batch=batch)
    assert done.status == "committed" and done.created == 2
    road = PlanItem.objects.get(name="主干道硬化")
    assert (road.plan, road.village_id, road.kind, road.quantity, road.estimated_cost, road.planned_year) == (
        plans["yin"], "330523108205", "road", Decimal("1.20"), Decimal("1200000.00"), 2025)
    kind = ContentType.objects.get_for_model(PlanItem)
    assert AuditEntry.objects.filter(content_type=kind, action=AuditAction.CREATE, actor=official).count() == 2

    entries = AuditEntry.objects.count()
    again = upload(official, [row(), row("330523108205", "村道硬化", "主干道硬化", "1.2", "120万", "2025")])
    assert (again.to_create, again.to_update, again.unchanged, again.error_count) == (0, 0, 2, 0)
    assert not again.ready
    assert PlanItem.objects.count() == 2
    assert AuditEntry.objects.count() == entries + 1  # the second upload's own row only


def test_a_changed_quantity_is_an_update_with_its_reason(official, plans):
    item = PlanItemFactory(plan=plans["yu"], kind="sewage", name="污水管网延伸", quantity=Decimal("2"),
                           estimated_cost=Decimal("300000"), planned_year=2026)
    batch = upload(official, [row(quantity="3.5", reason="勘测后管线加长")])
    assert (batch.to_update, batch.error_count) == (1, 0)
    assert batch.preview[0]["changes"] == ["quantity"]
    services.import_commit(actor=official, batch=batch)
    item.refresh_from_db()
    assert item.quantity == Decimal("3.50")
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(item.pk))
    assert entry.note == "勘测后管线加长" and entry.changes["quantity"] == ["2.00", "3.50"]


def test_reasons_follow_the_service(official, plans):
    PlanItemFactory(plan=plans["yu"], kind="sewage", name="污水管网延伸", quantity=Decimal("2"), planned_year=2026)
    cited = PlanItemFactory(plan=plans["yin"], kind="road", name="主干道硬化")
    PlanCitation.objects.create(project=ProjectFactory(village=plans["yin"].village, type="road", plan_citation=None), item=cited)
    batch = upload(official, [
        row(quantity="3"),  # a change without a reason
        row(name="新增污水终端"),  # added to a plan nobody cites, version 1: no reason needed
        row("330523108205", name="新增公厕", kind="厕所革命"),  # added to a cited plan: a reason needed
        row("330523108205", name="新增路灯", kind="亮化", reason="补充"),
    ])
    assert {(e["row"], e["column"]) for e in batch.errors} == {(2, HEADERS[6]), (4, HEADERS[6])}
    assert batch.to_create == 2


def test_errors_by_row_and_column_and_nothing_written(official, plans):
    PlanItemFactory(plan=plans["yu"], kind="sewage", name="已有项目")
    before = PlanItem.objects.count()
    batch = upload(official, [
        row(name="好的一行"),
        row(kind="修桥"),  # not a kind of work
        row(name="数量错", quantity="两公里"),  # not a number
        row("330523001201", name="别的镇"),  # outside the official's township
        row("330523108206", name="没有规划"),  # a village without a current plan
        row(name="年份超出", year="2030"),  # outside the plan's validity (2023-2027)
        row(name="好的一行"),  # the same plan, kind and name as row 2
        row("", name="空村代码"),  # blank: the layout plan, for a county only
    ])
    found = {(e["row"], e["column"]) for e in batch.errors}
    assert found == {(3, HEADERS[1]), (4, HEADERS[3]), (5, HEADERS[0]), (6, HEADERS[0]), (7, HEADERS[5]),
                     (8, HEADERS[2]), (9, HEADERS[0])}
    messages = {e["row"]: e["message"] for e in batch.errors}
    assert "2" in messages[8]  # names the earlier row
    assert batch.to_create == 1 and not batch.ready
    with pytest.raises(IllegalTransition):  # an import with errors cannot be committed
        services.import_commit(actor=official, batch=batch)
    assert PlanItem.objects.count() == before


def test_blank_village_code_is_the_counties_layout_plan(plans):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    official = user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    no_layout = upload(county, [row("", name="县域污水统筹")], code="330523")
    assert no_layout.error_count == 1 and no_layout.errors[0]["column"] == HEADERS[0]
    layout = PlanFactory(kind=PlanKind.LAYOUT, village=None, region=region("330523"), area_code="330523",
                         title="安吉县村庄布局规划")
    batch = upload(county, [row("", name="县域污水统筹"), row(name="余村项目")], code="330523")
    assert (batch.to_create, batch.error_count) == (2, 0), batch.errors
    services.import_commit(actor=county, batch=batch)
    item = PlanItem.objects.get(name="县域污水统筹")
    assert item.plan == layout and item.village is None
    assert PlanItem.objects.get(name="余村项目").plan == plans["yu"]
    # A township's import cannot reach the county's layout plan.
    refused = upload(official, [row("", name="县域污水统筹二")])
    assert refused.errors[0]["column"] == HEADERS[0]


def test_without_the_permission_nothing_is_uploaded(plans):
    supervisor = user_with("huzhou", (Role.SUPERVISOR, "3305"))
    with pytest.raises(NotPermitted):
        upload(supervisor, [row()], code="330523")
    assert not ImportBatch.objects.exists() and not PlanItem.objects.exists()


def test_the_template(official, plans):
    VillageFactory(code="330522001201", township_code="330522001")  # another county
    content = template_bytes(KIND, user=official, region=region("330523108"))
    book = load_workbook(io.BytesIO(content))
    data = book.worksheets[0]
    assert data.title == SHEET
    assert [cell.value.rstrip("*") for cell in data[1]] == HEADERS
    assert data["A2"].value == "330523108204" and data["C2"].value == "余村污水管网延伸"
    validated = {str(v.sqref).split(":")[0] for v in data.data_validations.dataValidation if v.type == "list"}
    assert {"A2", "B2"} <= validated  # the village codes, the kinds of work
    codes = book["代码"]
    listed = [r[0] for r in codes.iter_rows(min_row=2, values_only=True)]
    assert listed == ["330523108204", "330523108205", "330523108206"]
