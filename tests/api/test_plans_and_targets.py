"""/api/v1/plans/, /api/v1/targets/ and the `plan` block of /api/v1/villages/{code}/status/: output, scope,
constant queries, the schema."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import Role
from dashboard.stats import rebuild
from planning.models import ExceptionStatus, PlanCitation, PlanKind
from projects.models import ProjectStatus as S
from tests.factories import (
    CreationListEntryFactory,
    PlanFactory,
    PlanItemFactory,
    ProjectFactory,
    TargetFactory,
    VillageFactory,
    project_in,
    region,
    user_with,
)

D = Decimal


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def place(db):
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    lujia = VillageFactory(township_code="330523001", code="330523001211")
    plan = PlanFactory(village=yucun)
    road = PlanItemFactory(plan=plan, kind="road", quantity=D("3.20"), planned_year=2025)
    sewage = PlanItemFactory(plan=plan, kind="sewage", quantity=D("1"), planned_year=2025)
    layout = PlanFactory(kind=PlanKind.LAYOUT, village=None, region=region("330523"), area_code="330523", title="安吉县村庄布局规划")
    PlanItemFactory(plan=layout, village=yucun, kind="greening")
    PlanFactory(village=lujia)
    done = project_in(S.ACCEPTED, village=yucun, type="road", actual_output=D("2.5"), accepted_on=datetime.date(2025, 5, 1),
                      plan_citation=None)
    PlanCitation.objects.create(project=done, item=road)
    exception = ProjectFactory(village=yucun, status=S.SUBMITTED, plan_citation=None)
    PlanCitation.objects.create(project=exception, out_of_plan_reason="山洪", exception_status=ExceptionStatus.PENDING)
    TargetFactory(region=region("330523108"), year=2025, kind="road", quantity=D("5"))
    TargetFactory(region=region("330523"), year=2025, kind="road", quantity=D("10"))
    CreationListEntryFactory(village=yucun, year=2025, category="boutique")
    rebuild("")  # the summary rows the figures read (written by the services' refreshes in the portal)
    return {"yucun": yucun, "lujia": lujia, "plan": plan, "road": road, "sewage": sewage, "layout": layout,
            "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
            "neighbour": user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001")),
            "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
            "other": user_with("changxing", (Role.COUNTY_STAFF, "330522"))}


def test_plans_list_and_detail_with_items_and_units(place):
    client = _client(place["official"])
    body = client.get("/api/v1/plans/").json()
    # The township reads its villages' plans and its county's layout plan, not the neighbour's village's.
    assert {p["area_code"] for p in body["results"]} == {"330523108204", "330523"}
    detail = client.get(f"/api/v1/plans/{place['plan'].pk}/").json()
    assert detail["kind"] == "construction" and detail["version"] == 1 and detail["has_document"] is False
    assert [(i["kind"], i["quantity"], i["unit"]) for i in detail["items"]] == [("road", "3.20", "km"), ("sewage", "1.00", "km")]
    assert client.get(f"/api/v1/plans/{place['plan'].pk}/")["ETag"]
    village = client.get("/api/v1/plans/?village=330523108204").json()["results"]
    assert {p["id"] for p in village} == {place["plan"].pk, place["layout"].pk}
    assert [p["id"] for p in client.get("/api/v1/plans/?kind=layout").json()["results"]] == [place["layout"].pk]
    assert client.get("/api/v1/plans/?status=superseded").json()["count"] == 0
    assert client.get("/api/v1/plans/?village=abc").json()["count"] == 0
    assert _client(place["county"]).get("/api/v1/plans/?area=330523001").json()["count"] == 1


@pytest.mark.parametrize("who", ["neighbour", "other"])
def test_plans_of_another_area_are_hidden(place, who):
    client = _client(place[who])
    assert client.get(f"/api/v1/plans/{place['plan'].pk}/").status_code == 404
    assert place["plan"].pk not in [p["id"] for p in client.get("/api/v1/plans/").json()["results"]]


def test_plan_list_queries_do_not_grow(place):
    client = _client(place["county"])
    client.get("/api/v1/plans/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/plans/")
    for i in range(12):
        plan = PlanFactory(village=VillageFactory(code=f"330523108{300 + i:03d}"))
        PlanItemFactory(plan=plan)
        PlanItemFactory(plan=plan, kind="road")
    with CaptureQueriesContext(connection) as again:
        assert client.get("/api/v1/plans/").json()["count"] == 15
    assert len(again.captured_queries) == len(ctx.captured_queries)


def test_targets_give_target_actual_rate_and_children(place):
    body = _client(place["county"]).get("/api/v1/targets/?region=330523&year=2025").json()
    assert body["region"] == "330523" and body["year"] == 2025
    assert body["kinds"] == [{"kind": "road", "unit": "km", "target": "10.00", "actual": "2.50", "rate": "0.2500"}]
    assert [(c["code"], c["rate"]) for c in body["children"]] == [("330523108", "0.5000")]
    assert body["children"][0]["kinds"][0]["target"] == "5.00"
    assert body["plan_share"] == {"projects": 2, "in_plan": 1, "out_of_plan": 1, "share": "0.5000"}
    empty = _client(place["county"]).get("/api/v1/targets/?region=330523&year=2024").json()
    assert empty["kinds"] == [] and empty["children"] == []


@pytest.mark.parametrize("query, status", [("", 400), ("?region=abc", 400), ("?region=330523&year=1990", 400),
                                           ("?region=330523&year=x", 400), ("?region=330522", 404), ("?region=330523", 200)])
def test_targets_query_is_checked(place, query, status):
    assert _client(place["county"]).get("/api/v1/targets/" + query).status_code == status


@pytest.mark.parametrize("who", ["neighbour", "other"])
def test_targets_of_another_area_are_404(place, who):
    assert _client(place[who]).get("/api/v1/targets/?region=330523108&year=2025").status_code == 404


def test_village_status_carries_its_plan(place):
    body = _client(place["official"]).get("/api/v1/villages/330523108204/status/").json()["plan"]
    current = body["current"]
    assert (current["id"], current["version"], current["items"], current["items_done"], current["completion"]) == (
        place["plan"].pk, 1, 2, 1, "0.5000")
    assert current["approved_on"] == "2023-06-01" and current["valid_until"] == "2027-12-31"
    assert body["share"] == {"projects": 2, "in_plan": 1, "out_of_plan": 1, "share": "0.5000"}
    assert body["creation_list"] == [{"year": 2025, "category": "boutique"}]
    lujia = _client(place["county"]).get("/api/v1/villages/330523001211/status/").json()["plan"]
    assert lujia["current"]["items"] == 0 and lujia["current"]["completion"] is None and lujia["creation_list"] == []


def test_village_status_queries_do_not_grow_with_the_plan(place):
    client = _client(place["official"])
    url = "/api/v1/villages/330523108204/status/"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    for i in range(6):
        item = PlanItemFactory(plan=place["plan"], kind="road")
        project = project_in(S.ACCEPTED, village=place["yucun"], type="road", actual_output=D("1"),
                             accepted_on=datetime.date(2025, 6, 1), plan_citation=None)
        PlanCitation.objects.create(project=project, item=item)
        CreationListEntryFactory(village=place["yucun"], year=2010 + i)
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).json()["plan"]["current"]["items_done"] == 7
    assert len(again.captured_queries) == len(ctx.captured_queries)


def test_the_schema_documents_plans_and_targets(tmp_path):
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    assert {"/api/v1/plans/", "/api/v1/plans/{id}/", "/api/v1/targets/"} <= set(paths)
    assert {p["name"] for p in paths["/api/v1/targets/"]["get"]["parameters"]} >= {"region", "year"}
