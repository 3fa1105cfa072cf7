"""/api/v1/visits/ and /api/v1/problems/: scoped reads with the register's filters, a visit and its findings (photos
as multipart), rectification, re-check (close, reopen), the error shape, refusals that write nothing, constant query
counts."""
import datetime
import io
import os

import pytest
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from core.models import AuditAction, AuditEntry, Role
from oversight.models import Problem, ProblemPhoto, Visit
from projects.models import ProjectStatus
from tests.factories import (
    ProblemFactory,
    ProblemPhotoFactory,
    VillageFactory,
    VisitFactory,
    api_token,
    project_in,
    region,
    user_with,
)
from tests.images import upload

from .conftest import DAY

TODAY = datetime.date.today()


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _state():
    """Everything a refused write must leave as it was."""
    return (
        list(Visit.objects.order_by("pk").values()),
        list(Visit.villages.through.objects.order_by("pk").values_list("visit_id", "village_id")),
        list(Problem.objects.order_by("pk").values()),
        list(ProblemPhoto.objects.order_by("pk").values_list("pk", "problem_id", "stage")),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def neighbour(db):
    return user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001"))


@pytest.fixture
def other_county(db):
    return user_with("changxing", (Role.COUNTY_STAFF, "330522"))


def test_the_register_is_read_in_the_problems_area_only(official, neighbour, other_county, county, visit, problem, rectified):
    photo = ProblemPhotoFactory(problem=problem)
    body = _client(official).get("/api/v1/problems/").json()
    assert [row["id"] for row in body["results"]] == [problem.pk, rectified.pk]  # nearest deadline first, then id
    row = _client(official).get(f"/api/v1/problems/{problem.pk}/").json()
    assert {k: row[k] for k in ("visit", "office", "village", "village_name", "township", "status", "reopened")} == {
        "visit": visit.pk, "office": "330523", "village": "330523108204", "village_name": "余村", "township": "330523108",
        "status": "open", "reopened": 0,
    }
    assert row["overdue"] is (problem.deadline < TODAY)
    assert row["photos"] == [{
        "id": photo.pk, "stage": "found", "url": "http://testserver" + reverse("oversight:problem_photo", args=[photo.pk]),
        "thumbnail_url": "http://testserver" + reverse("oversight:problem_photo_thumbnail", args=[photo.pk]),
    }]
    # The township reads its problems, not the county's visit; another township and another county see nothing.
    assert _client(official).get("/api/v1/visits/").json()["results"] == []
    assert _client(official).get(f"/api/v1/visits/{visit.pk}/").status_code == 404
    for outsider in (neighbour, other_county):
        client = _client(outsider)
        assert client.get("/api/v1/problems/").json()["results"] == [] and client.get("/api/v1/visits/").json()["results"] == []
        assert client.get(f"/api/v1/problems/{problem.pk}/").status_code == 404
        assert client.get(f"/api/v1/visits/{visit.pk}/").status_code == 404
    visit_row = _client(county).get(f"/api/v1/visits/{visit.pk}/").json()
    assert {k: visit_row[k] for k in ("region", "region_name", "kind", "villages", "projects", "problems", "open_problems")} == {
        "region": "330523", "region_name": visit.region.name, "kind": "unannounced", "villages": ["330523108204"],
        "projects": [], "problems": 2, "open_problems": 2,
    }
    assert visit_row["recorded_by"] is None


def test_the_lists_filter_like_the_pages(county, visit, village):
    other_village = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    city_visit = VisitFactory(region=region("3305"), villages=[other_village], visited_on=DAY, kind="announced")
    late = ProblemFactory(visit=visit, village=village, category="waste", severity="critical",
                          deadline=TODAY - datetime.timedelta(days=3), description="垃圾满溢")
    done = ProblemFactory(visit=city_visit, village=other_village, category="roads", status="closed", rectified_on=DAY,
                          closed_on=DAY, rectification="已修", deadline=DAY + datetime.timedelta(days=9))
    client = _client(user_with("huzhou", (Role.SUPERVISOR, "3305")))
    cases = {
        "township=330523108": [late], "office=3305": [done], f"visit={visit.pk}": [late], "category=waste": [late],
        "status=closed": [done], "overdue=true": [late], "overdue=false": [done], "q=满溢": [late],
        "ordering=-deadline": [late, done], "region=330523001": [done],
    }
    for query, expected in cases.items():
        rows = client.get(f"/api/v1/problems/?{query}").json()["results"]
        assert [row["id"] for row in rows] == [p.pk for p in expected], query
    assert {row["id"]: row["overdue"] for row in client.get("/api/v1/problems/").json()["results"]} == {late.pk: True, done.pk: False}
    assert [row["id"] for row in client.get("/api/v1/visits/?kind=announced").json()["results"]] == [city_visit.pk]
    assert [row["id"] for row in client.get("/api/v1/visits/?village=330523108204").json()["results"]] == [visit.pk]
    assert [row["id"] for row in client.get("/api/v1/visits/?region=330523").json()["results"]] == [visit.pk]
    for url, field in (("/api/v1/problems/?status=broken", "status"), ("/api/v1/problems/?visit=abc", "visit"),
                       ("/api/v1/visits/?visited_after=yesterday", "visited_after")):
        bad = client.get(url)
        assert bad.status_code == 400 and bad.json()["code"] == "invalid" and field in bad.json()["field_errors"], url


def test_county_staff_record_a_visit(county, village):
    VillageFactory(code="330523108205", name="银坑村委会")
    project = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, name="余村污水管网")
    county.first_name = "王明"
    county.save()
    client = _client(county)
    data = {"region": "330523", "kind": "unannounced", "visited_on": TODAY.isoformat(), "inspectors": " 县督查组 王明 ",
            "villages": ["330523108205", "330523108204", "330523108204"], "projects": [project.pk], "summary": "抽查两村"}
    response = client.post("/api/v1/visits/", data, format="json")
    assert response.status_code == 201, response.json()
    visit = Visit.objects.get()
    body = response.json()
    assert body["id"] == visit.pk and response["ETag"]
    assert (body["villages"], body["projects"], body["problems"], body["recorded_by"], body["inspectors"]) == (
        ["330523108204", "330523108205"], [project.pk], 0, "王明", "县督查组 王明")
    assert AuditEntry.objects.filter(content_type__model="visit", object_id=str(visit.pk), action=AuditAction.CREATE).exists()


@pytest.mark.parametrize("change, field", [
    ({"villages": ["330523108204", "330523999999"]}, "villages"),  # no such village of the office
    ({"villages": ["330522100200"]}, "villages"),  # another county's village
    ({"villages": []}, "villages"),
    ({"villages": "330523108204"}, "villages"),  # not a list
    ({"region": "330522"}, "region"),  # not the caller's office
    ({"region": "330523108"}, "region"),  # a township does not supervise
    ({"projects": [999999]}, "projects"),
    ({"visited_on": (TODAY + datetime.timedelta(days=1)).isoformat()}, "visited_on"),
    ({"visited_on": "2025-02-30"}, "visited_on"),
    ({"inspectors": "  "}, "inspectors"),
    ({"kind": "surprise"}, "kind"),
])
def test_a_refused_visit_names_the_field_and_writes_nothing(county, village, change, field):
    VillageFactory(township_code="330522100", code="330522100200")
    before = _state()
    data = {"region": "330523", "visited_on": TODAY.isoformat(), "inspectors": "县督查组", "villages": ["330523108204"]}
    response = _client(county).post("/api/v1/visits/", data | change, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"] and list(body["field_errors"]) == [field], body
    assert _state() == before


def test_township_officials_and_api_clients_record_no_visits(official, village):
    api_client = user_with("feed", (Role.API_CLIENT, "33"))
    before = _state()
    data = {"region": "330523", "visited_on": TODAY.isoformat(), "inspectors": "县督查组", "villages": ["330523108204"]}
    for user in (official, api_client):
        response = _client(user).post("/api/v1/visits/", data, format="json")
        assert response.status_code == 403 and response.json()["code"] == "not_permitted"
    assert _state() == before


def test_a_finding_with_photos_is_added_as_multipart(county, city, visit, village, client):
    project = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, name="余村污水管网")
    url = f"/api/v1/visits/{visit.pk}/findings/"
    deadline = (DAY + datetime.timedelta(days=20)).isoformat()
    response = _client(county).post(url, {
        "village": village.code, "project": str(project.pk), "category": "quality", "severity": "serious",
        "description": "检查井盖破损", "deadline": deadline, "photos": [upload("井盖.jpg"), upload("全景.jpg")],
    }, format="multipart")
    assert response.status_code == 201, response.json()
    problem = Problem.objects.get()
    body = response.json()
    assert (body["id"], body["status"], body["project"], body["found_on"], body["deadline"]) == (
        problem.pk, "open", project.pk, DAY.isoformat(), deadline)
    assert [p["stage"] for p in body["photos"]] == ["found", "found"] and problem.photos.count() == 2
    # The photo's URL is the gated view of the portal: it answers a session of the area.
    client.force_login(county)
    photo = client.get(body["photos"][0]["url"])
    assert photo.status_code == 200 and photo["Content-Type"].startswith("image/")
    # JSON without photos; a village of the office's area the visit had not gone to becomes one of its villages.
    other = VillageFactory(code="330523108206")
    response = _client(city).post(url, {"village": other.code, "category": "waste", "severity": "general",
                                        "description": "垃圾满溢", "deadline": deadline}, format="json")
    assert response.status_code == 201 and response.json()["photos"] == [] and response.json()["project"] is None
    assert sorted(visit.villages.values_list("code", flat=True)) == ["330523108204", "330523108206"]


@pytest.mark.parametrize("change, field", [
    ({"deadline": (DAY - datetime.timedelta(days=1)).isoformat()}, "deadline"),  # before the visit
    ({"village": "330522100200"}, "village"),  # outside the office's area
    ({"village": "330523108999"}, "village"),  # no such village
    ({"project": "999999"}, "project"),
    ({"category": "weather"}, "category"),
    ({"description": ""}, "description"),
    ({"photos": [upload("x.jpg", data=b"not an image at all")]}, "photos"),
])
def test_a_refused_finding_names_the_field_and_writes_nothing(county, visit, village, change, field):
    VillageFactory(township_code="330522100", code="330522100200")
    before = _state()
    data = {"village": village.code, "category": "waste", "severity": "general", "description": "垃圾满溢",
            "deadline": (DAY + datetime.timedelta(days=20)).isoformat()}
    response = _client(county).post(f"/api/v1/visits/{visit.pk}/findings/", data | change, format="multipart")
    assert response.status_code == 400, response.json()
    assert list(response.json()["field_errors"]) == [field], response.json()
    assert _state() == before


def test_only_the_visits_office_adds_findings(official, visit, village):
    api_client = user_with("feed", (Role.API_CLIENT, "33"))
    before = _state()
    data = {"village": village.code, "category": "waste", "severity": "general", "description": "垃圾满溢",
            "deadline": (DAY + datetime.timedelta(days=20)).isoformat()}
    assert _client(official).post(f"/api/v1/visits/{visit.pk}/findings/", data, format="json").status_code == 404
    refused = _client(api_client).post(f"/api/v1/visits/{visit.pk}/findings/", data, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    assert _state() == before


def test_rectify_close_and_reopen_through_the_api(official, county, city, problem):
    township, office = _client(official), _client(county)
    base = f"/api/v1/problems/{problem.pk}"
    # Rectification needs a photo of the result: JSON carries none.
    before = _state()
    refused = township.post(f"{base}/rectify/", {"rectified_on": TODAY.isoformat(), "rectification": "已清运"}, format="json")
    assert refused.status_code == 400 and list(refused.json()["field_errors"]) == ["photos"]
    # The office re-checks, it does not rectify for a township (the city's supervisor); nor may the township close.
    assert _client(city).post(f"{base}/rectify/", {"rectified_on": TODAY.isoformat(), "rectification": "x",
                                                     "photos": [upload()]}, format="multipart").status_code == 403
    assert township.post(f"{base}/close/", {}, format="json").status_code == 403
    assert _state() == before
    response = township.post(f"{base}/rectify/", {"rectified_on": TODAY.isoformat(), "rectification": "已清运",
                                                   "photos": [upload("整改.jpg")]}, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["rectified_on"], body["rectification"], body["overdue"]) == ("rectified", TODAY.isoformat(), "已清运", False)
    assert [p["stage"] for p in body["photos"]] == ["rectified"] and response["ETag"]
    # Rectified twice: the lifecycle refuses (409), in the one error shape.
    again = township.post(f"{base}/rectify/", {"rectified_on": TODAY.isoformat(), "rectification": "x",
                                                "photos": [upload()]}, format="multipart")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    response = office.post(f"{base}/close/", {"note": "复查合格"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed" and response.json()["closed_on"] == TODAY.isoformat()
    assert office.post(f"{base}/close/", {}, format="json").status_code == 409
    # Reopened by the city's supervisor (the office's area) with a reason and a new deadline.
    missing = office.post(f"{base}/reopen/", {"reason": " "}, format="json")
    assert missing.status_code == 400 and list(missing.json()["field_errors"]) == ["reason"]
    past = office.post(f"{base}/reopen/", {"reason": "仍有垃圾", "deadline": "2020-01-01"}, format="json")
    assert past.status_code == 400 and list(past.json()["field_errors"]) == ["deadline"]
    new_deadline = (TODAY + datetime.timedelta(days=10)).isoformat()
    response = _client(city).post(f"{base}/reopen/", {"reason": "仍有垃圾", "deadline": new_deadline}, format="json")
    body = response.json()
    assert response.status_code == 200 and (body["status"], body["reopened"], body["deadline"], body["rectified_on"], body["closed_on"]) == (
        "open", 1, new_deadline, None, None)
    assert office.post(f"{base}/reopen/", {"reason": "x"}, format="json").status_code == 409
    assert AuditEntry.objects.filter(content_type__model="problem", object_id=str(problem.pk), action=AuditAction.TRANSITION).count() == 3


def test_lists_cost_the_same_queries_for_one_and_many(county, visit, village, django_assert_max_num_queries):
    ProblemPhotoFactory(problem=ProblemFactory(visit=visit, village=village))
    visit.projects.add(project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village))
    client = _client(county)
    few = {}
    for url in ("/api/v1/problems/", "/api/v1/visits/", "/api/v1/problems/?cursor=", "/api/v1/visits/?cursor="):
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url).status_code == 200
        few[url] = len(captured.captured_queries)
    for i in range(12):
        other = VillageFactory(code=f"330523108{220 + i}")
        extra = VisitFactory(region=region("330523"), villages=[other, village], visited_on=DAY)
        extra.projects.add(project_in(ProjectStatus.UNDER_CONSTRUCTION, village=other))
        for stage in ("found", "rectified"):
            ProblemPhotoFactory(problem=ProblemFactory(visit=extra, village=other), stage=stage)
    for url, count in few.items():
        with django_assert_max_num_queries(count):
            body = client.get(url).json()
        assert len(body["results"]) == (25 if "problems" in url else 13), url


def test_a_token_client_sends_photos_within_the_api_body_limit(county, visit, village, settings):
    """With a token the body may reach BODY_LIMIT_AUTHENTICATED (core.body_limits): a real photo passes, a larger body is
    refused (413, in the error shape) before anything reads it."""
    noise = io.BytesIO()
    Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(noise, "PNG")
    assert settings.BODY_LIMIT_ANONYMOUS < len(noise.getvalue()) < settings.BODY_LIMIT_AUTHENTICATED
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(county)}")
    data = {"village": village.code, "category": "waste", "severity": "general", "description": "垃圾满溢",
            "deadline": (DAY + datetime.timedelta(days=20)).isoformat()}
    url = f"/api/v1/visits/{visit.pk}/findings/"
    response = client.post(url, data | {"photos": [upload("现场.png", data=noise.getvalue(), content_type="image/png")]}, format="multipart")
    assert response.status_code == 201 and len(response.json()["photos"]) == 1
    before = _state()
    big = upload("大.jpg", data=b"\xff" * (settings.BODY_LIMIT_AUTHENTICATED + 1))
    refused = client.post(url, data | {"photos": [big]}, format="multipart")
    assert refused.status_code == 413 and refused.json()["code"] == "payload_too_large"
    assert _state() == before
