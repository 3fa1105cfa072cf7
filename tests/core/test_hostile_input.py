"""Hostile input never makes a 500: superscript digits where numbers go, crafted cursors, NUL bytes in paths and
query strings, JSON nested thousands of levels deep. The API answers 400 in its one error shape; the pages answer
400 with a page that says what was wrong.

The fixed cases are the ones an attack on the running portal found; the hypothesis tests throw generated values
of the same families at every list of the API and of the pages."""
import base64

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from core.models import Role
from projects.models import ProjectStatus
from tests.factories import AssessmentSchemeFactory, ProgressReportFactory, ProjectFactory, VillageFactory, user_with

API_LISTS = [
    "/api/v1/villages/", "/api/v1/regions/", "/api/v1/projects/", "/api/v1/progress-reports/", "/api/v1/funding-sources/",
    "/api/v1/allocations/", "/api/v1/disbursements/", "/api/v1/assessments/", "/api/v1/reports/",
    "/api/v1/village-status/",
]
PAGE_LISTS = ["/villages/", "/projects/", "/projects/progress/", "/funding/", "/funding/allocations/", "/funding/payments/",
              "/assessment/", "/assessment/follow-ups/", "/assessment/schemes/", "/reports/"]
HYPOTHESIS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def world(db):
    village = VillageFactory(code="330523108204", name="余村村委会")
    project = ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, actual_start="2025-03-01",
                             planned_start="2025-02-01", planned_end="2027-01-01")
    ProgressReportFactory(project=project, report_date="2025-04-01")
    scheme = AssessmentSchemeFactory()
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(county)
    pages = Client(raise_request_exception=False)
    pages.force_login(county)
    official = APIClient(raise_request_exception=False)
    official.force_login(user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")))  # a session: a logged-in body limit
    return {"api": api, "official": official, "pages": pages, "scheme": scheme, "project": project}


def _api_error(response, status=400):
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"code", "message", "field_errors"} and body["message"], body
    return body


def _cursor(querystring: str) -> str:
    return base64.b64encode(querystring.encode()).decode()


# --- the cases the attack found -----------------------------------------------------------------------------

@pytest.mark.parametrize("query, field", [
    ("?page_size=²", "page_size"), ("?page_size=٣", "page_size"), ("?page=²", "page"),
    (f"?cursor={_cursor('p=not-a-date')}", "cursor"), (f"?cursor={_cursor('p=' + chr(0))}", "cursor"),
    (f"?cursor={_cursor('o=1&p=2025-13-45T99:00:00')}", "cursor"), ("?cursor=%%%not-base64", "cursor"),
])
def test_malformed_numbers_and_cursors_are_400_in_the_error_shape(world, query, field):
    for url in ("/api/v1/projects/", "/api/v1/villages/"):
        body = _api_error(world["api"].get(url + query))
        assert field in body["field_errors"], body


def test_a_crafted_cursor_on_a_list_ordered_by_id_is_400(world):
    body = _api_error(world["api"].get(f"/api/v1/progress-reports/?cursor={_cursor('p=abc')}"))
    assert "cursor" in body["field_errors"]


@pytest.mark.parametrize("q", ["²", "١٢٣", "99999999999999999999999", "330523108204" + "9" * 30])
def test_search_terms_that_look_like_numbers_are_searched_not_parsed(world, q):
    """A search term is text: "²" or a 23-digit number finds nothing, without a 500 (int("²") raised, and an id
    beyond the database's bigint overflowed)."""
    for url in ("/api/v1/projects/", "/api/v1/villages/"):
        response = world["api"].get(url, {"q": q})
        assert response.status_code == 200 and response.json()["results"] == [], (url, q, response.content[:200])
    for url in ("/projects/", "/villages/"):
        assert world["pages"].get(url, {"q": q}).status_code == 200


def test_a_project_is_still_found_by_its_id(world):
    body = world["api"].get("/api/v1/projects/", {"q": str(world["project"].pk)}).json()
    assert [p["id"] for p in body["results"]] == [world["project"].pk]


def test_nul_bytes_in_paths_are_400(world):
    scheme = world["scheme"]
    for path in ("/dashboard/330523%00/", "/villages/330523108204%00/", "/dashboard/330523%00/export.xlsx",
                 f"/assessment/rounds/{scheme.pk}/2025%00/330523/", f"/assessment/rounds/{scheme.pk}/2025/330523%00/",
                 "/villages/%01/"):
        response = world["pages"].get(path)
        assert response.status_code == 400, (path, response.status_code)
        assert "控制字符" in response.content.decode(), path
    _api_error(world["api"].get("/api/v1/villages/330523108204%00/"))
    _api_error(world["api"].get("/api/v1/villages/330523108204%00/status/"))


def test_nul_bytes_in_query_strings_are_400(world):
    assert world["pages"].get("/villages/?q=%00").status_code == 400
    assert world["pages"].get("/projects/?region=33%00").status_code == 400
    _api_error(world["api"].get("/api/v1/villages/?q=a%00b"))


@pytest.mark.parametrize("depth", [1_500, 5_000, 100_000])
def test_json_nested_thousands_of_levels_is_400(world, depth):
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = world["official"].generic("POST", "/api/v1/projects/", body, content_type="application/json")
        assert _api_error(response)["code"] == "malformed_request"
        response = world["official"].generic("POST", "/api/v1/progress-reports/", body, content_type="application/json",
                                             HTTP_IDEMPOTENCY_KEY="deep")
        assert _api_error(response)["code"] == "malformed_request"


# --- generated input over every list ------------------------------------------------------------------------

UNICODE_DIGITS = st.text(st.characters(categories=["Nd", "No", "Nl"], exclude_characters="0123456789"), min_size=1, max_size=4)
NASTY_TEXT = st.one_of(
    UNICODE_DIGITS,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.from_regex(r"\A[0-9]{15,40}\Z"),
    st.sampled_from(["-1", "0", "1e99", "NaN", "last", " 1", "1 ", "0x10", "９", "\x00", "%00", "'", "\\"]),
)
CURSORS = st.one_of(
    st.text(max_size=40),
    st.builds(lambda p, o, r: _cursor(f"p={p}&o={o}&r={r}"), st.text(st.characters(codec="ascii"), max_size=30),
              st.text(st.characters(codec="ascii"), max_size=6), st.text(st.characters(codec="ascii"), max_size=3)),
)
PARAMS = st.sampled_from(["page", "page_size", "q", "region", "village", "project", "status", "ordering", "updated_since",
                          "date_after", "planned_end_before", "overdue", "fiscal_year", "kind", "source", "allocation"])


@HYPOTHESIS
@given(url=st.sampled_from(API_LISTS), param=PARAMS, value=NASTY_TEXT)
def test_api_lists_never_500_on_generated_query_values(world, url, param, value):
    response = world["api"].get(url, {param: value})
    assert response.status_code in (200, 400), (url, param, value, response.status_code)
    if response.status_code == 400:
        _api_error(response)


@HYPOTHESIS
@given(url=st.sampled_from(API_LISTS), cursor=CURSORS)
def test_api_lists_never_500_on_generated_cursors(world, url, cursor):
    response = world["api"].get(url, {"cursor": cursor})
    assert response.status_code in (200, 400), (url, cursor, response.status_code)
    if response.status_code == 400:
        _api_error(response)


@HYPOTHESIS
@given(url=st.sampled_from(PAGE_LISTS), param=PARAMS, value=NASTY_TEXT)
def test_page_lists_never_500_on_generated_query_values(world, url, param, value):
    response = world["pages"].get(url, {param: value})
    assert response.status_code in (200, 400), (url, param, value, response.status_code)


def _routes_with_text_parameters(resolver=None, prefix=""):
    """Every route whose path takes a str parameter (division codes, periods), as a format string."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes_with_text_parameters(pattern, route)
        elif isinstance(pattern, URLPattern) and "<str:" in route and not route.startswith("admin/"):
            yield route


@HYPOTHESIS
@given(segment=st.one_of(NASTY_TEXT, st.just("330523\x00"), st.just("33\x1f")))
def test_text_path_parameters_never_500(world, segment):
    import re
    from urllib.parse import quote

    routes = sorted(set(_routes_with_text_parameters()))
    assert len(routes) >= 5, routes
    for route in routes:
        path = "/" + re.sub(r"<str:\w+>", quote(segment, safe="") or "x", route)
        path = re.sub(r"<int:\w+>", str(world["scheme"].pk), path).replace("^", "").replace("$", "")
        client = world["api"] if path.startswith("/api/") else world["pages"]
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
