"""Deep pages are bounded: page numbers reach the first PAGE_NUMBER_MAX_ROWS rows of a list (an OFFSET costs every
row it skips: page 6,000 of 200 progress reports took 7.3 s at province scale); deeper, the API answers 400 and
points to ?cursor=, which every API list offers and which costs the same at any depth; the pages answer 400 and
point to the filters."""
import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.models import Role
from projects.models import ProjectStatus
from tests.factories import ProgressReportFactory, ProjectFactory, VillageFactory, user_with

API_LISTS = [
    "/api/v1/villages/", "/api/v1/regions/", "/api/v1/projects/", "/api/v1/progress-reports/", "/api/v1/funding-sources/",
    "/api/v1/allocations/", "/api/v1/disbursements/", "/api/v1/assessments/", "/api/v1/reports/",
]


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def api(county):
    client = APIClient()
    client.force_authenticate(county)
    return client


@pytest.fixture
def reports(db):
    village = VillageFactory(code="330523108204")
    project = ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, actual_start="2024-01-01",
                             planned_start="2024-01-01", planned_end="2027-01-01")
    return [ProgressReportFactory(project=project, report_date=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}") for i in range(7)]


def test_the_api_refuses_page_numbers_past_the_limit_and_points_to_the_cursor(api, reports, settings):
    settings.PAGE_NUMBER_MAX_ROWS = 10_000
    response = api.get("/api/v1/progress-reports/", {"page": 6000, "page_size": 200})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "cursor" in " ".join(body["field_errors"]["page"])
    assert api.get("/api/v1/progress-reports/", {"page": 50, "page_size": 200}).status_code == 400  # no such page here
    assert api.get("/api/v1/progress-reports/", {"page": 51, "page_size": 200}).json()["field_errors"]["page"] == body["field_errors"]["page"]
    assert api.get("/api/v1/progress-reports/", {"page": "last"}).status_code == 400
    assert api.get("/api/v1/progress-reports/", {"page": 1, "page_size": 200}).json()["count"] == 7


def test_the_limit_is_in_rows_whatever_the_page_size(api, reports, settings):
    settings.PAGE_NUMBER_MAX_ROWS = 4
    assert api.get("/api/v1/progress-reports/", {"page": 2, "page_size": 2}).status_code == 200
    assert api.get("/api/v1/progress-reports/", {"page": 3, "page_size": 2}).status_code == 400
    assert api.get("/api/v1/progress-reports/", {"page": 2, "page_size": 3}).status_code == 400


@pytest.mark.parametrize("url", API_LISTS)
def test_every_api_list_pages_by_cursor(api, reports, url):
    response = api.get(url, {"cursor": "", "page_size": 1})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert "count" not in body and set(body) >= {"next", "previous", "results"}, body


@pytest.mark.parametrize("url, key", [("/api/v1/progress-reports/", "id"), ("/api/v1/villages/", "code"),
                                      ("/api/v1/regions/", "code"), ("/api/v1/projects/", "id")])
def test_a_cursor_walk_returns_every_row_once(api, reports, url, key):
    for code in range(205, 210):
        ProjectFactory(village=VillageFactory(code=f"330523108{code}"))
    everything = [row[key] for row in api.get(url, {"page_size": 200}).json()["results"]]
    seen, link = [], f"{url}?cursor=&page_size=2"
    while link:
        body = api.get(link).json()
        seen += [row[key] for row in body["results"]]
        link = body["next"]
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen)) and len(seen) >= 2


def test_pages_refuse_page_numbers_past_the_limit_and_say_why(county, reports, settings):
    settings.PAGE_NUMBER_MAX_ROWS = 10_000
    client = Client()
    client.force_login(county)
    response = client.get("/projects/progress/", {"page": 20000})
    assert response.status_code == 400
    assert "10,000" in response.content.decode()
    assert client.get("/projects/progress/", {"page": "²"}).status_code == 400
    assert client.get("/projects/progress/", {"page": "last"}).status_code == 200  # a short list: its last page
    assert client.get("/projects/progress/", {"page": 3}).status_code == 200  # past the end of a short list: its last page


def test_the_pager_stops_offering_next_at_the_deepest_page(county, reports, settings):
    settings.PAGE_NUMBER_MAX_ROWS = 100  # 2 pages of 50
    for _ in range(110):
        ProgressReportFactory(project=reports[0].project, report_date="2024-06-01")
    client = Client()
    client.force_login(county)
    second = client.get("/projects/progress/", {"page": 2}).content.decode()
    assert "page=3" not in second and "page=1" in second
    assert client.get("/projects/progress/", {"page": 3}).status_code == 400
    assert client.get("/projects/progress/", {"page": "last"}).status_code == 400  # 3 pages, 2 reachable
