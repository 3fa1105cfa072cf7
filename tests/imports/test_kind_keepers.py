"""Imports of the rosters of keepers (imports.kinds.keepers): matched by roster, name and phone; written by
keeper_create and keeper_update."""
import io

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
from maintenance.models import Keeper
from tests.factories import KeeperFactory, VillageFactory, region, user_with

from .conftest import csv_file, xlsx

KIND = kind_of("keepers")
with override("zh-hans"):
    HEADERS = [str(column.header) for column in KIND.columns]
    SHEET = str(KIND.sheet)
COLUMN = dict(zip([c.key for c in KIND.columns], HEADERS, strict=True))


def row(area="330523108", name="张三", phone="13800000001", organisation="余村村委会"):
    return [area, name, phone, organisation]


def upload(user, rows, code="330523108"):
    return services.import_upload(actor=user, kind="keepers", region=region(code),
                                  upload=xlsx(rows, headers=HEADERS, name="管护人员.xlsx", sheet=SHEET))


@pytest.fixture
def official(db):
    VillageFactory(code="330523108204", name="余村村委会")
    region("330523001")
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


def test_clean_file_creates_through_the_service_and_a_second_upload_changes_nothing(official):
    rows = [row(), row(name="李四", phone="", organisation="")]
    batch = upload(official, rows)
    assert batch.status == "checked" and batch.error_count == 0, batch.errors
    assert (batch.to_create, batch.to_update, batch.unchanged) == (2, 0, 0)
    done = services.import_commit(actor=official, batch=batch)
    assert done.status == "committed" and done.created == 2
    zhang = Keeper.objects.get(name="张三")
    assert (zhang.region_id, zhang.phone, zhang.organisation) == ("330523108", "13800000001", "余村村委会")
    assert Keeper.objects.get(name="李四").phone == ""
    kind = ContentType.objects.get_for_model(Keeper)
    assert AuditEntry.objects.filter(content_type=kind, action=AuditAction.CREATE, actor=official).count() == 2

    entries = AuditEntry.objects.count()
    again = upload(official, rows)
    assert (again.to_create, again.to_update, again.unchanged, again.error_count) == (0, 0, 2, 0)
    assert Keeper.objects.count() == 2 and AuditEntry.objects.count() == entries + 1


def test_a_phone_typed_as_a_number_matches(official):
    KeeperFactory(region=region("330523108"), name="张三", phone="13800000001", organisation="余村村委会")
    batch = upload(official, [row(area=330523108, phone=13800000001)])  # numbers in the workbook's cells
    assert (batch.unchanged, batch.error_count) == (1, 0), batch.errors
    as_csv = services.import_upload(actor=official, kind="keepers", region=region("330523108"), upload=csv_file(
        [dict(zip(HEADERS, row(), strict=True))], headers=HEADERS, name="管护人员.csv"))
    assert (as_csv.unchanged, as_csv.error_count) == (1, 0), as_csv.errors


def test_a_changed_organisation_is_an_update(official):
    keeper = KeeperFactory(region=region("330523108"), name="张三", phone="13800000001", organisation="余村村委会")
    batch = upload(official, [row(organisation="天荒坪镇农办")])
    assert (batch.to_update, batch.error_count) == (1, 0), batch.errors
    services.import_commit(actor=official, batch=batch)
    keeper.refresh_from_db()
    assert keeper.organisation == "天荒坪镇农办"
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(keeper.pk))
    assert entry.changes["organisation"] == ["余村村委会", "天荒坪镇农办"]


def test_errors_by_row_and_column_and_nothing_written(official):
    KeeperFactory(region=region("330523108"), name="王五", phone="139")
    KeeperFactory(region=region("330523108"), name="王五", phone="139")  # the same person twice on the roster
    before = Keeper.objects.count()
    batch = upload(official, [
        row(),
        row("3305231082", name="代码错"),  # not a roster's code
        row("330523001", name="别的镇"),  # outside the official's township
        row("330523", name="县名册"),  # the county's roster: not the official's
        row(),  # the same roster, name and phone as row 2
        row(name="王五", phone="139"),  # ambiguous
        row(name="", phone="1"),  # required
    ])
    assert {(e["row"], e["column"]) for e in batch.errors} == {
        (3, COLUMN["region"]), (4, COLUMN["region"]), (5, COLUMN["region"]), (6, COLUMN["name"]), (7, COLUMN["name"]),
        (8, COLUMN["name"])}
    assert "2" in next(e["message"] for e in batch.errors if e["row"] == 6)
    assert batch.to_create == 1 and not batch.ready
    with pytest.raises(IllegalTransition):
        services.import_commit(actor=official, batch=batch)
    assert Keeper.objects.count() == before


def test_county_staff_keep_the_county_roster_and_its_townships(official):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    batch = upload(county, [row("330523", name="县管护员"), row("330523001", name="镇管护员")], code="330523")
    assert (batch.to_create, batch.error_count) == (2, 0), batch.errors
    services.import_commit(actor=county, batch=batch)
    assert set(Keeper.objects.values_list("region_id", flat=True)) == {"330523", "330523001"}


def test_without_the_permission_nothing_is_uploaded(official):
    supervisor = user_with("huzhou", (Role.SUPERVISOR, "3305"))
    with pytest.raises(NotPermitted):
        upload(supervisor, [row()], code="330523")
    assert not ImportBatch.objects.exists() and not Keeper.objects.exists()


def test_the_template(official):
    region("330522001")  # another county
    book = load_workbook(io.BytesIO(template_bytes(KIND, user=official, region=region("330523108"))))
    data = book.worksheets[0]
    assert data.title == SHEET
    assert [cell.value.rstrip("*") for cell in data[1]] == HEADERS
    assert [cell.value for cell in data[2]] == ["330523108", "王建国", "13900000000", "余村村委会"]
    validated = {str(v.sqref).split(":")[0] for v in data.data_validations.dataValidation if v.type == "list"}
    assert "A2" in validated  # the roster codes (this kind has no other choice column)
    assert [r[0] for r in book["代码"].iter_rows(min_row=2, values_only=True)] == ["330523108"]
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    book = load_workbook(io.BytesIO(template_bytes(KIND, user=county, region=region("330523"))))
    assert [r[0] for r in book["代码"].iter_rows(min_row=2, values_only=True)] == ["330523", "330523001", "330523108"]
