"""The audit rows of maintenance's services (tests/audit_rows.py)."""
import datetime
from decimal import Decimal

import pytest

from core.models import AuditAction, Role
from maintenance import services
from maintenance.models import Asset, Fault, FaultPhoto, Inspection, InspectionPhoto, Keeper, KeeperAssignment
from projects.models import ProjectStatus
from tests.audit_rows import Row, run_case
from tests.factories import (
    AssetFactory,
    FaultFactory,
    InspectionFactory,
    KeeperAssignmentFactory,
    KeeperFactory,
    VillageFactory,
    project_in,
    user_with,
)

A = AuditAction
DAY = datetime.date(2024, 7, 1)


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
def asset(village):
    return AssetFactory(village=village, name="余村污水处理终端", commissioned_on=datetime.date(2020, 6, 1))


@pytest.fixture
def keeper(village):
    return KeeperFactory(name="潘文革", phone="13800000000", region=village.township)


def asset_register(official, village):
    asset = services.asset_register(actor=official, village=village, data={
        "kind": "public_toilet", "name": "余村旅游公厕", "quantity": Decimal("1"), "unit": "stations",
        "commissioned_on": datetime.date(2015, 5, 1), "owner_kind": "village_collective", "owner_name": "余村",
        "maintenance_body": "village_collective",
    })
    return [Row(official, A.CREATE, asset, created=True, fields={"name": [None, "余村旅游公厕"], "kind": [None, "public_toilet"]})]


def asset_update(official, asset):
    services.asset_update(actor=official, asset=asset, data={"name": "余村污水处理终端（一期）", "quantity": Decimal("2")})
    return [Row(official, A.UPDATE, asset, changes={"name": ["余村污水处理终端", "余村污水处理终端（一期）"],
                                                    "quantity": ["1.00", "2.00"]})]


def asset_retire(official, asset, keeper, start):
    assignment = KeeperAssignmentFactory(asset=asset, keeper=keeper, starts_on=datetime.date(2021, 1, 1))
    start()
    services.asset_retire(actor=official, asset=asset, on_date=DAY, reason="拆除重建")
    return [
        Row(official, A.UPDATE, assignment, changes={"ends_on": [None, DAY.isoformat()]}),
        Row(official, A.TRANSITION, asset, changes={"status": ["in_service", "retired"], "retired_on": [None, DAY.isoformat()]},
            note="拆除重建"),
    ]


def asset_create_from_project(county, village, start):
    project = project_in(ProjectStatus.ACCEPTED, village=village, name="余村村道硬化", type="road", maintenance_owner="潘春林")
    start()
    asset = services.asset_create_from_project(actor=county, project=project, on_date=DAY)
    keeper = Keeper.objects.get(name="潘春林")
    return [
        Row(county, A.CREATE, asset, created=True, fields={"kind": [None, "road"], "project": [None, project.pk],
                                                           "commissioned_on": [None, DAY.isoformat()]}),
        Row(county, A.CREATE, keeper, created=True, fields={"region": [None, "330523108"]}),
        Row(county, A.CREATE, KeeperAssignment.objects.get(keeper=keeper), created=True, fields={"chief_type": [None, "road"]}),
    ]


def keeper_create(official, village):
    keeper = services.keeper_create(actor=official, region=village.township, data={"name": "潘春林", "phone": "13900000000"})
    return [Row(official, A.CREATE, keeper, created=True, fields={"name": [None, "潘春林"], "region": [None, "330523108"]})]


def keeper_update(official, keeper):
    services.keeper_update(actor=official, keeper=keeper, data={"phone": "13911111111"})
    return [Row(official, A.UPDATE, keeper, changes={"phone": ["13800000000", "13911111111"]})]


def keeper_assign(official, county, asset, keeper, start):
    first = services.keeper_assign(actor=official, asset=asset, keeper=keeper, chief_type="station",
                                   starts_on=datetime.date(2021, 1, 1))
    second_keeper = KeeperFactory(name="胡加仁", region=keeper.region)
    start()
    second = services.keeper_assign(actor=county, asset=asset, keeper=second_keeper, chief_type="station", starts_on=DAY)
    return [
        Row(county, A.UPDATE, first, changes={"ends_on": [None, DAY.isoformat()]}),
        Row(county, A.CREATE, second, created=True, fields={"keeper": [None, second_keeper.pk], "asset": [None, asset.pk],
                                                             "starts_on": [None, DAY.isoformat()]}),
    ]


def keeper_assign_village(county, village, keeper):
    assignment = services.keeper_assign_village(actor=county, village=village, keeper=keeper, chief_type="river", starts_on=DAY)
    return [Row(county, A.CREATE, assignment, created=True, fields={"village": [None, village.code]})]


def keeper_assignment_end(county, village, keeper, start):
    assignment = KeeperAssignmentFactory(asset=None, village=village, keeper=keeper, chief_type="river", starts_on=DAY)
    start()
    services.keeper_assignment_end(actor=county, assignment=assignment, on_date=DAY)
    return [Row(county, A.UPDATE, assignment, changes={"ends_on": [None, DAY.isoformat()]})]


def inspection_interval_set(county, start):
    from tests.factories import region

    interval = services.inspection_interval_set(actor=county, county=region("330523"), kind="road", days=60)
    services.inspection_interval_set(actor=county, county=region("330523"), kind="road", days=45)
    services.inspection_interval_set(actor=county, county=region("330523"), kind="road", days=45)  # unchanged: no row
    return [
        Row(county, A.CREATE, interval, created=True, fields={"kind": [None, "road"], "days": [None, 60]}),
        Row(county, A.UPDATE, interval, changes={"days": [60, 45]}),
    ]


def inspections_open_due(asset, start):
    import zoneinfo

    # Registered in the portal when it was commissioned: its first inspection is due a month after.
    Asset.objects.filter(pk=asset.pk).update(created_at=datetime.datetime(2020, 6, 1, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
    services.inspections_open_due(today=datetime.date(2020, 6, 25))  # monthly: first due 2020-07-01, within the week
    due = Inspection.objects.get(asset=asset)
    return [Row(None, A.CREATE, due, created=True, note="按巡查周期自动生成。",
                fields={"asset": [None, asset.pk], "due_on": [None, "2020-07-01"], "status": [None, "due"]})]


def inspection_record(official, asset, start):
    from tests.images import upload

    due = InspectionFactory(asset=asset, due_on=DAY)
    start()
    done = services.inspection_record(actor=official, asset=asset, done_on=DAY, condition=2,
                                      checklist={"equipment_running": False}, photos=[upload("巡查.jpg")],
                                      fault={"severity": "urgent", "description": "水泵异响"})
    extra = services.inspection_record(actor=official, asset=asset, done_on=DAY, condition=4)
    return [
        Row(official, A.TRANSITION, done, fields={"status": ["due", "done"], "condition": [None, 2],
                                                  "done_on": [None, DAY.isoformat()]}),
        Row(official, A.CREATE, InspectionPhoto.objects.get(inspection=due), created=True, note="巡查.jpg"),
        Row(official, A.CREATE, Fault.objects.get(inspection=due), created=True,
            fields={"severity": [None, "urgent"], "deadline": [None, (DAY + datetime.timedelta(days=2)).isoformat()]}),
        Row(official, A.CREATE, extra, created=True, fields={"scheduled": [None, False], "condition": [None, 4]}),
    ]


def fault_report(official, asset):
    from tests.images import upload

    fault = services.fault_report(actor=official, asset=asset, severity="minor", description="路灯不亮", reported_on=DAY,
                                  photos=[upload("故障.jpg")])
    return [
        Row(official, A.CREATE, fault, created=True, fields={"severity": [None, "minor"], "reported_on": [None, DAY.isoformat()]}),
        Row(official, A.CREATE, FaultPhoto.objects.get(fault=fault), created=True, fields={"stage": [None, "reported"]}),
    ]


def fault_start_repair(official, asset, start):
    fault = FaultFactory(asset=asset, reported_on=DAY)
    start()
    services.fault_start_repair(actor=official, fault=fault, on_date=DAY)
    return [Row(official, A.TRANSITION, fault, changes={"status": ["reported", "repairing"],
                                                        "repair_started_on": [None, DAY.isoformat()]})]


def fault_mark_repaired(official, asset, start):
    from tests.images import upload

    fault = FaultFactory(asset=asset, reported_on=DAY)
    start()
    services.fault_mark_repaired(actor=official, fault=fault, repaired_on=DAY, notes="更换水泵", photos=[upload("修复.jpg")])
    return [
        Row(official, A.TRANSITION, fault, changes={
            "status": ["reported", "repaired"], "repaired_on": [None, DAY.isoformat()], "repair_notes": ["", "更换水泵"],
            "repair_started_on": [None, DAY.isoformat()],
        }),
        Row(official, A.CREATE, FaultPhoto.objects.get(fault=fault), created=True, fields={"stage": [None, "repaired"]}),
    ]


def _repaired(asset):
    return FaultFactory(asset=asset, reported_on=DAY, status="repaired", repair_started_on=DAY, repaired_on=DAY,
                        repair_notes="更换水泵")


def fault_verify(official, asset, start):
    fault = _repaired(asset)
    start()
    services.fault_verify(actor=official, fault=fault, on_date=DAY)
    return [Row(official, A.TRANSITION, fault, changes={"status": ["repaired", "verified"], "verified_on": [None, DAY.isoformat()],
                                                        "verified_by": [None, official.pk]})]


def fault_reject_repair(official, asset, start):
    fault = _repaired(asset)
    start()
    services.fault_reject_repair(actor=official, fault=fault, reason="仍有异响")
    return [Row(official, A.TRANSITION, fault, changes={"status": ["repaired", "repairing"], "repaired_on": [DAY.isoformat(), None]},
                note="仍有异响")]


CASES = {f.__name__: f for f in (asset_register, asset_update, asset_retire, asset_create_from_project, keeper_create,
                                  keeper_update, keeper_assign, keeper_assign_village, keeper_assignment_end,
                                  inspection_interval_set, inspections_open_due, inspection_record, fault_report,
                                  fault_start_repair, fault_mark_repaired, fault_verify, fault_reject_repair)}
NO_AUDIT_ROW: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)


def test_no_asset_is_written_without_its_row(official, village):
    """A refused registration writes neither the asset nor a row."""
    from core.exceptions import InvalidInput
    from core.models import AuditEntry

    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput):
        services.asset_register(actor=official, village=village, data={"kind": "road", "name": "x", "quantity": Decimal("-1"),
                                                                       "unit": "km", "commissioned_on": DAY,
                                                                       "owner_kind": "village_collective",
                                                                       "maintenance_body": "village_collective"})
    assert (AuditEntry.objects.count(), Asset.objects.count()) == (before, 0)
