"""The API as a contract: ETag and If-Match, Idempotency-Key, pagination, throttling, errors, cost."""
import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import IdempotencyKey, Role
from projects.models import ProgressReport, Project, ProjectStatus
from tests.factories import ProgressReportFactory, ProjectFactory, VillageFactory, region, user_with

PASSWORD = "correct-horse-battery-staple"
TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _client(username, *grants):
    user = user_with(username, *grants)
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.user = user
    return client


@pytest.fixture
def official(db):
    return _client("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


@pytest.fixture
def draft(village):
    return ProjectFactory(village=village, status=ProjectStatus.DRAFT, name="村道硬化", budget=Decimal("300000"))


@pytest.fixture
def building(village):
    return ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, actual_start=TODAY - datetime.timedelta(days=40),
                          planned_start=TODAY - datetime.timedelta(days=60), planned_end=TODAY + datetime.timedelta(days=200))


# --- ETag / If-Match ----------------------------------------------------------------

def test_put_and_patch_need_the_current_etag(official, draft):
    url = f"/api/v1/projects/{draft.pk}/"
    got = official.get(url)
    etag = got["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    body = {**{k: got.json()[k] for k in ("name", "type", "budget", "planned_start", "planned_end", "responsible_person")}, "name": "村道硬化（二期）"}
    missing = official.put(url, body, format="json")
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    stale = official.put(url, body, format="json", HTTP_IF_MATCH='"0000"')
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    draft.refresh_from_db()
    assert draft.name == "村道硬化" and draft.version == 1
    done = official.put(url, body, format="json", HTTP_IF_MATCH=etag)
    assert done.status_code == 200 and done.json()["name"] == "村道硬化（二期）" and done["ETag"] != etag
    # The old ETag is now stale: a second writer holding it is refused.
    again = official.patch(url, {"budget": "1"}, format="json", HTTP_IF_MATCH=etag)
    assert again.status_code == 412
    patched = official.patch(url, {"budget": "350000.00"}, format="json", HTTP_IF_MATCH=done["ETag"])
    assert patched.status_code == 200 and patched.json()["budget"] == "350000.00"


@pytest.mark.parametrize("who, expected", [("anonymous", 401), ("neighbour", 404), ("county", 403), ("colleague", 200)])
def test_put_is_guarded_by_the_gate(db, draft, who, expected):
    official = _client("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    etag = official.get(f"/api/v1/projects/{draft.pk}/")["ETag"]
    grants = {"neighbour": (Role.TOWNSHIP_OFFICIAL, "330523001"), "county": (Role.COUNTY_STAFF, "330523"),
              "colleague": (Role.TOWNSHIP_OFFICIAL, "330523108")}
    client = APIClient() if who == "anonymous" else _client(who, grants[who])
    before = list(Project.objects.values())
    response = client.patch(f"/api/v1/projects/{draft.pk}/", {"name": "改"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == expected
    if expected != 200:
        assert list(Project.objects.values()) == before


def test_lifecycle_action_illegal_is_409(official, building):
    response = official.post(f"/api/v1/projects/{building.pk}/actions/submit/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"


# --- Idempotency-Key -------------------------------------------------------------------

def test_idempotent_progress_report(official, building):
    body = {"project": building.pk, "report_date": TODAY.isoformat(), "percent_complete": 40, "amount_spent": "100000"}
    first = official.post("/api/v1/progress-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    retry = official.post("/api/v1/progress-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 201 and retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert ProgressReport.objects.count() == 1
    other = official.post("/api/v1/progress-reports/", {**body, "percent_complete": 41}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert ProgressReport.objects.count() == 1
    # Another user's key of the same name is another key.
    colleague = _client("colleague", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    theirs = colleague.post("/api/v1/progress-reports/", {**body, "percent_complete": 45}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert theirs.status_code == 201 and ProgressReport.objects.count() == 2


def test_refused_requests_are_not_remembered_and_keys_expire(official, building, settings):
    body = {"project": building.pk, "report_date": (TODAY + datetime.timedelta(days=2)).isoformat(), "percent_complete": 40,
            "amount_spent": "1"}
    refused = official.post("/api/v1/progress-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert refused.status_code == 400 and not IdempotencyKey.objects.exists()
    body["report_date"] = TODAY.isoformat()
    assert official.post("/api/v1/progress-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    IdempotencyKey.objects.update(created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    body["percent_complete"] = 50
    assert official.post("/api/v1/progress-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert ProgressReport.objects.count() == 2


# --- pagination, filters, feed ---------------------------------------------------------

def test_page_size_is_capped_and_cursor_pages_the_feed(official, building):
    for i in range(7):
        ProgressReportFactory(project=building, report_date=TODAY - datetime.timedelta(days=i), percent_complete=10)
    too_big = official.get("/api/v1/progress-reports/?page_size=201")
    assert too_big.status_code == 400 and "page_size" in too_big.json()["field_errors"]
    largest = official.get("/api/v1/progress-reports/?page_size=200").json()
    assert largest["count"] == 7 and len(largest["results"]) == 7
    page = official.get("/api/v1/progress-reports/?page_size=3&page=2").json()
    assert len(page["results"]) == 3 and page["previous"] and page["next"]
    seen, url = [], "/api/v1/progress-reports/?cursor=&page_size=3"
    while url:
        body = official.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert seen == sorted(ProgressReport.objects.values_list("id", flat=True))


def test_updated_since_feed_of_projects(official, village):
    old = ProjectFactory(village=village)
    Project.objects.filter(pk=old.pk).update(updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    new = ProjectFactory(village=village)
    body = official.get("/api/v1/projects/?updated_since=2025-01-01T00:00:00Z&cursor=").json()
    assert [p["id"] for p in body["results"]] == [new.pk]
    assert official.get("/api/v1/projects/?region=3305&status=draft&ordering=-budget").status_code == 200


@pytest.mark.parametrize("query", ["?page=abc", "?page=999", "?updated_since=yesterday", "?updated_since=2025-01-01",
                                   "?region=abc", "?ordering=nonsense", "?project=-1e99", "?page_size=0"])
def test_bad_query_strings_never_500(official, query):
    assert official.get("/api/v1/projects/" + query).status_code in (200, 400, 404)
    assert official.get("/api/v1/progress-reports/" + query).status_code in (200, 400, 404)


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ({"project": 1, "report_date": "2025-02-30", "percent_complete": 10, "amount_spent": "1"}, "report_date"),
    ({"project": 1, "report_date": "2025-02-01", "percent_complete": 101, "amount_spent": "1"}, "percent_complete"),
    ({"project": 1, "report_date": "2025-02-01", "percent_complete": "ten", "amount_spent": "1"}, "percent_complete"),
    ({"project": 1, "report_date": "2025-02-01", "percent_complete": 10, "amount_spent": "1e99"}, "amount_spent"),
    ({"project": "x", "report_date": "2025-02-01", "percent_complete": 10, "amount_spent": "1"}, "project"),
    ({"report_date": "2025-02-01", "percent_complete": 10, "amount_spent": "1"}, "project"),
])
def test_wrong_types_and_impossible_values_are_400(official, building, body, field):
    response = official.post("/api/v1/progress-reports/", body, format="json")
    assert response.status_code == 400 and field in response.json()["field_errors"]
    assert ProgressReport.objects.count() == 0


def test_malformed_json_and_wrong_media_type(official):
    assert official.generic("POST", "/api/v1/projects/", "{", content_type="application/json").status_code == 400
    assert official.generic("POST", "/api/v1/projects/", "x", content_type="text/plain").status_code == 415


def test_throttling_answers_429_with_retry_after(official, settings):
    from rest_framework.throttling import UserRateThrottle

    original = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**original, "user": "3/min"}
    try:
        codes = [official.get("/api/v1/ping/").status_code for _ in range(5)]
    finally:
        UserRateThrottle.THROTTLE_RATES = original
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    response = official.get("/api/v1/ping/")
    assert response.status_code in (200, 429)


def test_throttled_response_shape(official):
    from rest_framework.throttling import UserRateThrottle

    original = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**original, "user": "1/min"}
    try:
        official.get("/api/v1/ping/")
        response = official.get("/api/v1/ping/")
    finally:
        UserRateThrottle.THROTTLE_RATES = original
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


# --- cost: every list endpoint, 1 row and a full page -----------------------------------------

def _grow(n):
    for i in range(n):
        village = VillageFactory(code=f"330523108{300 + i:03d}")
        project = ProjectFactory(village=village)
        ProgressReportFactory(project=project)


@pytest.mark.parametrize("endpoint", ["/api/v1/villages/", "/api/v1/regions/", "/api/v1/projects/", "/api/v1/progress-reports/",
                                      "/api/v1/projects/?cursor=", "/api/v1/progress-reports/?cursor="])
def test_list_queries_do_not_grow(db, endpoint, django_assert_max_num_queries):
    county = _client("anji", (Role.COUNTY_STAFF, "330523"))
    _grow(1)
    with CaptureQueriesContext(connection) as ctx:
        assert county.get(endpoint).status_code == 200
    _grow(60)
    for code in range(60):
        region(f"330523{code + 100:03d}")
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        body = county.get(endpoint).json()
    assert len(body["results"]) == 50


def test_old_idempotency_keys_are_purged(official, building):
    from core.tasks import purge_idempotency_keys

    body = {"project": building.pk, "report_date": TODAY.isoformat(), "percent_complete": 40, "amount_spent": "1"}
    official.post("/api/v1/progress-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    official.post("/api/v1/progress-reports/", {**body, "percent_complete": 41}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
