"""The ledger over the API: the same services, the same refusals, one error shape, constant queries."""
import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import Role
from funding.models import Allocation, Disbursement, FundingSource, Mechanism
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)

D = Decimal
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def api(county):
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "anji", "password": PASSWORD}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def project(db):
    return ProjectFactory(village=VillageFactory(code="330523108204"), status=ProjectStatus.UNDER_CONSTRUCTION,
                          actual_start=datetime.date(2024, 3, 5))


def _ledger():
    return (FundingSource.objects.count(), list(Allocation.objects.values()), list(Disbursement.objects.values()))


def test_anonymous_gets_401_in_the_error_shape(db):
    response = APIClient().get("/api/v1/allocations/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "field_errors"}
    assert response.json()["code"] == "not_authenticated"


def test_create_source_allocate_pay_and_reverse(api, project):
    source = api.post("/api/v1/funding-sources/", {
        "name": "2025年县级财政", "kind": "county_budget", "mechanism": "direct_grant", "region": "330523",
        "fiscal_year": 2025, "total_amount": "1000.00",
    }, format="json")
    assert source.status_code == 201, source.json()
    assert source.json()["unallocated"] == "1000.00" and source.json()["is_government"] is True
    allocation = api.post("/api/v1/allocations/", {"source": source.json()["id"], "project": project.pk, "amount": "600"}, format="json")
    assert allocation.status_code == 201 and allocation.json()["village"] == "330523108204"
    payment = api.post("/api/v1/disbursements/", {
        "allocation": allocation.json()["id"], "amount": "250.50", "paid_on": datetime.date.today().isoformat(), "voucher_no": "AJ-1",
    }, format="json")
    assert payment.status_code == 201
    listed = api.get(f"/api/v1/funding-sources/{source.json()['id']}/").json()
    assert (listed["allocated"], listed["disbursed"], listed["unallocated"]) == ("600.00", "250.50", "400.00")
    reversal = api.post(f"/api/v1/disbursements/{payment.json()['id']}/reverse/", {"reason": "凭证错误"}, format="json")
    assert reversal.status_code == 201 and reversal.json()["amount"] == "-250.50"
    again = api.post(f"/api/v1/disbursements/{payment.json()['id']}/reverse/", {"reason": "再次"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_over_commit_answers_409_with_the_error_shape(api, project):
    source = FundingSourceFactory(total_amount=D("1000"))
    AllocationFactory(source=source, project=project, amount=D("900"))
    before = _ledger()
    response = api.post("/api/v1/allocations/", {"source": source.pk, "project": project.pk, "amount": "100.01"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "over_committed" and "100.00" in body["message"] and "amount" in body["field_errors"]
    assert _ledger() == before


def test_mechanism_refusal_is_409(api, project):
    source = FundingSourceFactory(mechanism=Mechanism.BUILD_THEN_SUBSIDIZE, region=region("3305"))
    allocation = AllocationFactory(source=source, project=project, amount=D("500"))
    before = _ledger()
    response = api.post("/api/v1/disbursements/", {
        "allocation": allocation.pk, "amount": "10", "paid_on": datetime.date.today().isoformat(), "voucher_no": "V",
    }, format="json")
    assert response.status_code == 409 and response.json()["code"] == "mechanism_condition_not_met"
    assert _ledger() == before


@pytest.mark.parametrize("body, field", [
    ({"source": "abc", "project": 1, "amount": "1"}, "source"),
    ({"source": 1, "project": 1, "amount": "1e400"}, "amount"),
    ({"source": 1, "project": 1, "amount": "12.345"}, "amount"),
    ({"source": 1, "project": 1, "amount": "-5"}, "amount"),
    ({"source": 1, "project": 1, "amount": "5", "allocated_on": "2025-02-30"}, "allocated_on"),
    ({"source": 999999, "project": 1, "amount": "5"}, "source"),
    ({"project": 1, "amount": "5"}, "source"),
])
def test_bad_input_is_400_naming_the_field(api, project, body, field):
    if field in ("source",) and body.get("source") == 999999:
        body = {**body, "project": project.pk}
    before = _ledger()
    response = api.post("/api/v1/allocations/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]
    assert _ledger() == before


def test_malformed_json_is_400(api):
    response = api.generic("POST", "/api/v1/allocations/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed_request"


def test_api_client_reads_but_cannot_write(db, project):
    user_with("platform", (Role.API_CLIENT, "33"))
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "platform", "password": PASSWORD}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    source = FundingSourceFactory()
    assert client.get("/api/v1/funding-sources/").json()["count"] == 1
    before = _ledger()
    response = client.post("/api/v1/allocations/", {"source": source.pk, "project": project.pk, "amount": "1"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_permitted"
    assert _ledger() == before


@pytest.mark.parametrize("endpoint", ["/api/v1/funding-sources/", "/api/v1/allocations/", "/api/v1/disbursements/"])
def test_lists_cost_the_same_for_1_row_and_a_full_page(api, project, endpoint, django_assert_max_num_queries):
    def add():
        source = FundingSourceFactory(total_amount=D("100000"))
        DisbursementFactory(allocation=AllocationFactory(source=source, project=project, amount=D("1000")), amount=D("10"))

    add()
    with CaptureQueriesContext(connection) as ctx:
        first = api.get(endpoint)
    assert first.json()["count"] == 1
    for _ in range(49):
        add()
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        full = api.get(endpoint)
    assert len(full.json()["results"]) == 50
    assert json.loads(full.content)["count"] == 50
