"""The OpenAPI schema and Swagger UI (issue 15, item 20): public only when API_DOCS_PUBLIC is on (the default only
with DEBUG); otherwise for logged-in users and token clients. The setting is read per request."""
import json

import pytest
from django.urls import reverse

from core.models import Role
from tests.factories import api_token, user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.API_DOCS_PUBLIC = False


def test_anonymous_schema_is_refused_in_the_error_shape(client, production):
    response = client.get(reverse("schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    body = json.loads(response.content)
    assert body["code"] == "not_authenticated" and set(body) == {"code", "message", "field_errors"}
    assert "paths" not in response.content.decode()


def test_anonymous_docs_page_is_refused_without_the_ui(client, production):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 401
    text = response.content.decode()
    assert "swagger" not in text.lower() and "Traceback" not in text


def test_logged_in_users_and_token_clients_see_them(client, production):
    user = user_with("reader", (Role.COUNTY_STAFF, "330523"))
    client.force_login(user)
    assert client.get(reverse("schema")).status_code == 200
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200 and "swagger" in docs.content.decode().lower()
    client.logout()
    token = api_token(user_with("machine", (Role.API_CLIENT, "33")))
    response = client.get(reverse("schema"), HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and "/api/v1/villages/" in json.loads(response.content)["paths"]


def test_public_when_the_setting_says_so(client, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get(reverse("schema")).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200
    settings.API_DOCS_PUBLIC = False  # read per request: the same process refuses at once
    assert client.get(reverse("schema")).status_code == 401
