"""Imports of assets registered by hand (imports.kinds.assets): matched by village, kind and name; written by
asset_register and asset_update."""
import datetime
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
from maintenance.models import Asset
from tests.factories import AssetFactory, VillageFactory, region, user_with

from .conftest import xlsx

KIND = kind_of("assets")
with override("zh-hans"):
    HEADERS = [str(column.header) for column in KIND.columns]
    SHEET = str(KIND.sheet)
COLUMN = dict(zip([c.key for c in KIND.columns], HEADERS, strict=True))


def row(village="330523108204", kind="污水处理站", name="1号污水终端", quantity="1", unit="座", on="2019-05-01",
        owner="村集体", owner_name="余村股份经济合作社", body="村集体", lat="", lon=""):
    return [village, kind, name, quantity, unit, on, owner, owner_name, body, lat, lon]


def upload(user, rows, code="330523108"):
    return services.import_upload(actor=user, kind="assets", region=region(code),
                                  upload=xlsx(rows, headers=HEADERS, name="设施.xlsx", sheet=SHEET))


@pytest.fixture
def official(db):
    VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(code="330523108205", name="银坑村村委会")
    VillageFactory(code="330523001201", township_code="330523001")
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


def test_choices_read_in_chinese(official):
    # The labels the tests type are those of the template's drop-downs.
    with override("zh-hans"):
        labels = {c.key: [str(label) for _code, label in c.choices] for c in KIND.columns if c.choices}
    assert "污水处理站" in labels["kind"] and "座" in labels["unit"] and "村集体" in labels["owner_kind"]
    assert "村集体" in labels["maintenance_body"]


def test_clean_file_creates_through_the_service_and_a_second_upload_changes_nothing(official):
    rows = [row(lat="30.512345", lon="119.678901"), row("330523108205", "道路", "村主干道", "2.5", "公里", "2015-10-01")]
    batch = upload(official, rows)
    assert batch.status == "checked" and batch.error_count == 0, batch.errors
    assert (batch.to_create, batch.to_update, batch.unchanged) == (2, 0, 0)
    assert not Asset.objects.exists()
    done = services.import_commit(actor=official, batch=batch)
    assert done.status == "committed" and done.created == 2
    station = Asset.objects.get(name="1号污水终端")
    assert (station.village_id, station.kind, station.unit, station.commissioned_on, station.latitude, station.created_by) == (
        "330523108204", "sewage_station", "stations", datetime.date(2019, 5, 1), Decimal("30.512345"), official)
    road = Asset.objects.get(name="村主干道")
    assert (road.kind, road.quantity, road.unit, road.latitude, road.owner_kind) == (
        "road", Decimal("2.50"), "km", None, "village_collective")
    kind = ContentType.objects.get_for_model(Asset)
    assert AuditEntry.objects.filter(content_type=kind, action=AuditAction.CREATE, actor=official).count() == 2

    entries = AuditEntry.objects.count()
    again = upload(official, rows)
    assert (again.to_create, again.to_update, again.unchanged, again.error_count) == (0, 0, 2, 0)
    assert Asset.objects.count() == 2 and AuditEntry.objects.count() == entries + 1


def test_a_changed_quantity_is_an_update(official):
    asset = AssetFactory(village_id="330523108204", kind="sewage_station", name="1号污水终端", quantity=Decimal("1"),
                         commissioned_on=datetime.date(2019, 5, 1), owner_name="余村股份经济合作社")
    batch = upload(official, [row(quantity="2", lat="30.5", lon="119.6")])
    assert (batch.to_update, batch.error_count) == (1, 0), batch.errors
    assert batch.preview[0]["changes"] == ["latitude", "longitude", "quantity"]
    services.import_commit(actor=official, batch=batch)
    asset.refresh_from_db()
    assert (asset.quantity, asset.latitude, asset.longitude) == (Decimal("2.00"), Decimal("30.5"), Decimal("119.6"))
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(asset.pk)).exists()


def test_a_retired_asset_cannot_change(official):
    AssetFactory(village_id="330523108204", kind="sewage_station", name="1号污水终端", status="retired",
                 retired_on=datetime.date(2024, 1, 1), commissioned_on=datetime.date(2019, 5, 1),
                 owner_name="余村股份经济合作社")
    assert upload(official, [row()]).unchanged == 1
    batch = upload(official, [row(quantity="3")])
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, COLUMN["name"])]


def test_errors_by_row_and_column_and_nothing_written(official):
    AssetFactory(village_id="330523108204", name="已有设施")
    before = Asset.objects.count()
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    batch = upload(official, [
        row(name="好的一行"),
        row(name="类型错", kind="水塔"),  # not a kind
        row(name="数量错", quantity="一座"),  # not a number
        row("330523001201", name="别的镇"),  # outside the official's township
        row(name="好的一行"),  # the same village, kind and name as row 2
        row(name="坐标缺一", lat="30.5"),  # latitude without longitude
        row(name="未来投用", on=tomorrow),
    ])
    assert {(e["row"], e["column"]) for e in batch.errors} == {
        (3, COLUMN["kind"]), (4, COLUMN["quantity"]), (5, COLUMN["village"]), (6, COLUMN["name"]),
        (7, COLUMN["longitude"]), (8, COLUMN["commissioned_on"])}
    assert "2" in next(e["message"] for e in batch.errors if e["row"] == 6)
    assert batch.to_create == 1 and not batch.ready
    with pytest.raises(IllegalTransition):
        services.import_commit(actor=official, batch=batch)
    assert Asset.objects.count() == before


def test_without_the_permission_nothing_is_uploaded(official):
    supervisor = user_with("huzhou", (Role.SUPERVISOR, "3305"))
    with pytest.raises(NotPermitted):
        upload(supervisor, [row()], code="330523")
    assert not ImportBatch.objects.exists() and not Asset.objects.exists()


def test_the_template(official):
    VillageFactory(code="330522001201", township_code="330522001")  # another county
    book = load_workbook(io.BytesIO(template_bytes(KIND, user=official, region=region("330523108"))))
    data = book.worksheets[0]
    assert data.title == SHEET
    assert [cell.value.rstrip("*") for cell in data[1]] == HEADERS
    assert data["A2"].value == "330523108204" and data["C2"].value == "余村1号污水处理终端"
    validated = {str(v.sqref).split(":")[0] for v in data.data_validations.dataValidation if v.type == "list"}
    assert {"A2", "B2", "E2", "G2", "I2"} <= validated  # village codes, kind, unit, owner, maintenance body
    listed = [r[0] for r in book["代码"].iter_rows(min_row=2, values_only=True)]
    assert listed == ["330523108204", "330523108205"]
