"""/api/v1/inspections/, /api/v1/faults/ and the `maintenance` block of /api/v1/villages/{code}/status/."""
import datetime

import pytest
from rest_framework.test import APIClient

from core.models import Role
from tests.clock import at_day
from tests.factories import (
    AssetFactory,
    DoneInspectionFactory,
    FaultFactory,
    InspectionFactory,
    KeeperAssignmentFactory,
    VillageFactory,
    user_with,
)

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def place(db, monkeypatch):
    at_day(monkeypatch, TODAY)
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    elsewhere = VillageFactory(township_code="330523102", code="330523102201")
    station = AssetFactory(village=yucun, commissioned_on=datetime.date(2020, 1, 1))
    road = AssetFactory(village=yucun, kind="road", unit="km", commissioned_on=datetime.date(2020, 1, 1))
    KeeperAssignmentFactory(asset=station)
    return {
        "yucun": yucun, "station": station, "road": road,
        "on_time": DoneInspectionFactory(asset=station, due_on=datetime.date(2026, 5, 1), done_on=datetime.date(2026, 4, 30), condition=4),
        "late": DoneInspectionFactory(asset=road, due_on=datetime.date(2026, 3, 1), done_on=datetime.date(2026, 3, 9), condition=2),
        "overdue": InspectionFactory(asset=station, due_on=datetime.date(2026, 6, 1)),
        "fault": FaultFactory(asset=station, severity="urgent", reported_on=datetime.date(2026, 6, 10), deadline=datetime.date(2026, 6, 12)),
        "open_fault": FaultFactory(asset=road, reported_on=datetime.date(2026, 6, 14), deadline=datetime.date(2026, 7, 14)),
        "far_fault": FaultFactory(asset=AssetFactory(village=elsewhere)),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
    }


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_inspections_filter_by_overdue_and_status(place):
    client = _client(place["official"])
    body = client.get("/api/v1/inspections/").json()
    assert {row["id"] for row in body["results"]} == {place["on_time"].pk, place["late"].pk, place["overdue"].pk}
    by_id = {row["id"]: row for row in body["results"]}
    assert by_id[place["overdue"].pk]["overdue"] is True and by_id[place["overdue"].pk]["condition"] is None
    assert by_id[place["on_time"].pk]["on_time"] is True and by_id[place["late"].pk]["on_time"] is False
    assert [row["id"] for row in client.get("/api/v1/inspections/?overdue=true").json()["results"]] == [place["overdue"].pk]
    assert [row["id"] for row in client.get("/api/v1/inspections/?status=done&kind=road").json()["results"]] == [place["late"].pk]
    bad = client.get("/api/v1/inspections/?status=broken")
    assert bad.status_code == 400 and "status" in str(bad.json())


def test_faults_are_scoped_and_flag_overdue_repairs(place):
    client = _client(place["official"])
    rows = client.get("/api/v1/faults/").json()["results"]
    assert {row["id"] for row in rows} == {place["fault"].pk, place["open_fault"].pk}  # not the other township's
    assert [row["id"] for row in client.get("/api/v1/faults/?overdue=true").json()["results"]] == [place["fault"].pk]
    assert client.get(f"/api/v1/faults/{place['far_fault'].pk}/").status_code == 404


def test_the_village_status_has_a_maintenance_block(place):
    body = _client(place["official"]).get("/api/v1/villages/330523108204/status/").json()["maintenance"]
    assert body["assets"] == 2 and body["assets_by_kind"] == {"sewage_station": 1, "road": 1}
    assert body["assets_without_keeper"] == 1
    assert body["inspections"]["due"] == 3 and body["inspections"]["on_time"] == 1 and body["inspections"]["overdue"] == 1
    assert body["inspections"]["on_time_rate"] == "33.3" and body["inspections"]["mean_condition"] == "3.00"
    assert body["inspections"]["last_done_on"] == "2026-04-30"
    assert body["faults"] == {"reported_this_year": 2, "open": 2, "overdue": 1}


def test_the_village_status_shows_upkeep_money_apart_from_construction(place):
    from decimal import Decimal

    from funding import services as funding_services
    from tests.factories import FundingSourceFactory, region

    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    source = FundingSourceFactory(region=region("330523"), total_amount=Decimal("100000"), fiscal_year=TODAY.year)
    funding_services.upkeep_allocation_create(actor=county, source=source, asset=place["station"], amount=Decimal("12000"))
    money = _client(place["official"]).get("/api/v1/villages/330523108204/status/").json()["money"]
    assert money["upkeep_allocated"] == "12000.00" and money["allocated"] == "0.00"


def test_inspection_list_costs_the_same_queries_for_one_and_many(place, django_assert_max_num_queries):
    client = _client(place["official"])
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/inspections/")
    for day in range(20):
        DoneInspectionFactory(asset=place["road"], due_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/inspections/").json()["count"] == 23
