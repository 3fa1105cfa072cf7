"""/api/v1/assessments/ and /api/v1/villages/{code}/status/: grade, rank, follow-ups; constant queries."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from assessment import services
from core.models import Role
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    AssessmentSchemeFactory,
    IndicatorFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)

D = Decimal


@pytest.fixture
def world(db):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    scheme = AssessmentSchemeFactory(name="2025年度考核", year=2025, region=region("330523"), bottom_min=1)
    indicator = IndicatorFactory(scheme=scheme, name="综合", max_score=D("100"))
    villages = [VillageFactory(code=f"330523108{200 + i:03d}", joined_year=2005) for i in range(4)]
    for village, score in zip(villages, ("90", "75", "75", "40")):
        a = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
        services.assessment_score(actor=county, assessment=a, scores={indicator.pk: (score, "")}, submit=True)
    services.round_finalise(actor=county, scheme=scheme, period="2025", county_code="330523")
    project = ProjectFactory(village=villages[3], status=ProjectStatus.UNDER_CONSTRUCTION, actual_start=datetime.date(2025, 3, 1),
                             budget=D("200000"), percent_complete=40)
    ProjectFactory(village=villages[3], status=ProjectStatus.ACCEPTED, actual_start=datetime.date(2024, 3, 1),
                   actual_end=datetime.date(2024, 9, 1), budget=D("100000"), percent_complete=100,
                   maintenance_body="village_collective", maintenance_owner="村委会")
    AllocationFactory(project=project, amount=D("150000"))
    platform = user_with("platform", (Role.API_CLIENT, "33"))
    client = APIClient()
    client.force_authenticate(platform)
    return {"client": client, "villages": villages}


def test_village_status_gives_grade_rank_follow_ups_projects_and_money(world):
    body = world["client"].get("/api/v1/villages/330523108203/status/").json()
    assert body["category"] == "renovation" and body["phase"] == "demonstration_led"
    assert body["latest_assessment"]["grade"] == "fail" and body["rank"] == 4 == body["latest_assessment"]["rank"]
    assert body["latest_assessment"]["ranked_among"] == 4
    assert [f["status"] for f in body["open_follow_ups"]] == ["open"]
    assert body["projects"]["total"] == 2 and body["projects"]["by_status"]["under_construction"] == 1
    assert body["projects"]["completed"] == 1 and body["projects"]["completion"] == 70.0
    assert body["money"]["budget"] == "300000.00" and body["money"]["allocated"] == "150000.00"
    tied = world["client"].get("/api/v1/villages/330523108201/status/").json()
    assert tied["rank"] == 2 and world["client"].get("/api/v1/villages/330523108202/status/").json()["rank"] == 2


def test_assessments_list_with_region_filter_and_ranks(world):
    body = world["client"].get("/api/v1/assessments/?region=330523108").json()
    assert body["count"] == 4
    assert sorted((r["village"], r["rank"]) for r in body["results"]) == [
        ("330523108200", 1), ("330523108201", 2), ("330523108202", 2), ("330523108203", 4),
    ]
    assert world["client"].get("/api/v1/assessments/?region=330522").json()["count"] == 0


def test_status_of_a_village_outside_the_scope_is_404(world, db):
    VillageFactory(township_code="330522001", code="330522001201")
    official = user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    client = APIClient()
    client.force_authenticate(official)
    assert client.get("/api/v1/villages/330522001201/status/").status_code == 404
    assert client.get("/api/v1/villages/330523108203/status/").status_code == 200


def test_assessment_list_queries_do_not_grow_with_the_page(world, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as ctx:
        world["client"].get("/api/v1/assessments/")
    county = user_with("anji2", (Role.COUNTY_STAFF, "330523"))
    scheme = AssessmentSchemeFactory(name="2025年度考核二", year=2025, region=region("330523"))
    indicator = IndicatorFactory(scheme=scheme, name="综合", max_score=D("100"))
    for i in range(46):
        v = VillageFactory(code=f"330523108{300 + i:03d}")
        a = services.assessment_start(actor=county, scheme=scheme, village=v, period="2025")
        services.assessment_score(actor=county, assessment=a, scores={indicator.pk: (str(i), "")}, submit=True)
    services.round_finalise(actor=county, scheme=scheme, period="2025", county_code="330523")
    with django_assert_max_num_queries(len(ctx.captured_queries) + 1):  # one more round on the page: one rank query
        body = world["client"].get("/api/v1/assessments/").json()
    assert len(body["results"]) == 50
