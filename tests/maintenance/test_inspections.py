"""Inspections: the schedule opens due inspections once, the keeper or the township records them, on time or late."""
import datetime

import pytest

from core.exceptions import IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from maintenance import services
from maintenance.models import Inspection, InspectionStatus
from tests.clock import at_day
from tests.factories import (
    AssetFactory,
    DoneInspectionFactory,
    InspectionFactory,
    KeeperAssignmentFactory,
    KeeperFactory,
    UserFactory,
    VillageFactory,
    region,
    user_with,
)

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def today(monkeypatch):
    at_day(monkeypatch, TODAY)
    return TODAY


@pytest.fixture
def yucun(db):
    return VillageFactory(code="330523108204", name="余村村委会")


def _asset(village, **kwargs):
    return AssetFactory(village=village, **{"commissioned_on": datetime.date(2020, 1, 1), **kwargs})


@pytest.mark.django_db
def test_the_schedule_opens_each_due_inspection_once(today, yucun):
    recent = _asset(yucun, commissioned_on=datetime.date(2026, 6, 1))  # sewage station, monthly: due 2026-07-01
    inspected = _asset(yucun)
    DoneInspectionFactory(asset=inspected, due_on=datetime.date(2026, 5, 20))  # due again 2026-06-19, within the week
    road = _asset(yucun, kind="road", unit="km")
    DoneInspectionFactory(asset=road, due_on=datetime.date(2026, 5, 20))  # quarterly: not yet
    assert services.inspections_open_due(today=today) == 1
    due = Inspection.objects.get(asset=inspected, status=InspectionStatus.DUE)
    assert due.due_on == datetime.date(2026, 6, 19)
    assert not Inspection.objects.filter(asset__in=[recent, road], status=InspectionStatus.DUE).exists()
    assert AuditEntry.objects.filter(object_id=str(due.pk), action="create").count() == 1
    assert services.inspections_open_due(today=today) == 0  # idempotent
    assert Inspection.objects.filter(asset=inspected, status=InspectionStatus.DUE).count() == 1


@pytest.mark.django_db
def test_a_county_interval_replaces_the_default(today, yucun):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    road = _asset(yucun, kind="road", unit="km")
    DoneInspectionFactory(asset=road, due_on=datetime.date(2026, 5, 20))
    services.inspection_interval_set(actor=county, county=region("330523"), kind="road", days=30)
    assert services.inspections_open_due(today=today) == 1
    assert Inspection.objects.get(asset=road, status="due").due_on == datetime.date(2026, 6, 19)
    with pytest.raises(InvalidInput) as refused:
        services.inspection_interval_set(actor=county, county=region("330523"), kind="road", days=0)
    assert "days" in refused.value.field_errors
    official = user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    with pytest.raises(NotPermitted):
        services.inspection_interval_set(actor=official, county=region("330523"), kind="road", days=10)


@pytest.mark.django_db
def test_a_keeper_records_the_due_inspection_and_its_fault(today, yucun):
    user = UserFactory()
    asset = _asset(yucun)
    KeeperAssignmentFactory(asset=asset, keeper=KeeperFactory(user=user, region=asset.village.township))
    due = InspectionFactory(asset=asset, due_on=datetime.date(2026, 6, 20))
    done = services.inspection_record(
        actor=user, asset=asset, done_on=today, condition=2, checklist={"equipment_running": False},
        notes="水泵异响", fault={"severity": "urgent", "description": "进水泵异响"},
    )
    assert done.pk == due.pk and done.status == "done" and done.scheduled and done.inspector == user
    assert done.checklist == {"equipment_running": False, "effluent_clear": False, "records_kept": False, "site_clean": False}
    fault = done.faults.get()
    assert fault.deadline == today + datetime.timedelta(days=2) and fault.status == "reported"
    # With nothing due, an inspection is recorded as an extra one.
    extra = services.inspection_record(actor=user, asset=asset, done_on=today, condition=4)
    assert not extra.scheduled and extra.due_on == today


@pytest.mark.django_db
@pytest.mark.parametrize("field, kwargs", [
    ("done_on", {"done_on": TODAY + datetime.timedelta(days=1)}),
    ("condition", {"condition": 6}),
    ("checklist", {"checklist": {"potholes": True}}),
    ("longitude", {"latitude": 30, "longitude": None}),
])
def test_a_bad_inspection_names_its_field_and_writes_nothing(today, yucun, field, kwargs):
    user = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    asset = _asset(yucun)
    InspectionFactory(asset=asset, due_on=datetime.date(2026, 6, 20))
    args = {"done_on": today, "condition": 3, **kwargs}
    with pytest.raises(InvalidInput) as refused:
        services.inspection_record(actor=user, asset=asset, **args)
    assert field in refused.value.field_errors
    assert Inspection.objects.get(asset=asset).status == "due"


@pytest.mark.django_db
def test_someone_of_another_township_cannot_record(today, yucun):
    user = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523102"))
    asset = _asset(yucun)
    with pytest.raises(NotPermitted):
        services.inspection_record(actor=user, asset=asset, done_on=today, condition=3)
    assert not Inspection.objects.exists()


@pytest.mark.django_db
def test_a_retired_asset_loses_its_due_inspection(today, yucun):
    user = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    asset = _asset(yucun)
    InspectionFactory(asset=asset, due_on=datetime.date(2026, 6, 20))
    services.asset_retire(actor=user, asset=asset)
    assert not Inspection.objects.filter(asset=asset).exists()
    with pytest.raises(IllegalTransition):
        services.inspection_record(actor=user, asset=asset, done_on=today, condition=3)
