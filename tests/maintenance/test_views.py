"""The maintenance pages and /api/v1/assets/: who sees and changes what, what the pages show, and constant query
counts for the lists."""
import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from maintenance.models import Asset, Keeper, KeeperAssignment
from projects.models import ProjectStatus
from tests.factories import (
    AssetFactory,
    KeeperAssignmentFactory,
    KeeperFactory,
    VillageFactory,
    api_token,
    project_in,
    user_with,
)

USERS = {
    "anonymous": None,
    "other_area": (Role.TOWNSHIP_OFFICIAL, "330523001"),  # 递铺街道, same county
    "same_area": (Role.TOWNSHIP_OFFICIAL, "330523108"),  # 天荒坪镇
}


@pytest.fixture
def place(db):
    village = VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    asset = AssetFactory(village=village, name="余村污水处理终端")
    keeper = KeeperFactory(name="潘文革", region=village.township)
    spare = KeeperFactory(name="胡加仁", region=village.township)
    KeeperAssignmentFactory(asset=asset, keeper=keeper, starts_on=datetime.date(2021, 1, 1))
    return {"village": village, "asset": asset, "keeper": keeper, "spare": spare}


def _login(client, who):
    if USERS[who] is not None:
        client.force_login(user_with(who, USERS[who]))


def _state():
    return (
        list(Asset.objects.order_by("pk").values()),
        list(Keeper.objects.order_by("pk").values()),
        list(KeeperAssignment.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other_area", 404), ("same_area", 200)])
def test_asset_page_shows_its_keeper_and_history_to_its_area_only(client, place, who, status):
    _login(client, who)
    response = client.get(reverse("maintenance:asset_detail", args=[place["asset"].pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "潘文革" in page and "2021-01-01" in page
        assert reverse("maintenance:asset_assign", args=[place["asset"].pk]) in page


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other_area", 404), ("same_area", 302)])
def test_handover_from_the_page(client, place, who, status):
    _login(client, who)
    before = _state()
    today = datetime.date.today().isoformat()
    response = client.post(reverse("maintenance:asset_assign", args=[place["asset"].pk]),
                           {"keeper": place["spare"].pk, "chief_type": "station", "starts_on": today})
    assert response.status_code == status
    if who == "same_area":
        current = KeeperAssignment.objects.get(asset=place["asset"], ends_on__isnull=True)
        assert current.keeper == place["spare"]
        assert KeeperAssignment.objects.get(keeper=place["keeper"]).ends_on.isoformat() == today
    else:
        assert _state() == before


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other_area", 404), ("same_area", 302)])
def test_retire_asks_first_then_retires(client, place, who, status):
    _login(client, who)
    url = reverse("maintenance:asset_retire", args=[place["asset"].pk])
    before = _state()
    first = client.post(url, {"retired_on": "2025-01-01"})
    if who == "same_area":
        assert first.status_code == 200 and "confirmed" in first.content.decode()
        assert _state() == before
        assert client.post(url, {"retired_on": "2025-01-01", "reason": "拆除", "confirmed": "yes"}).status_code == 302
        place["asset"].refresh_from_db()
        assert place["asset"].status == "retired"
    else:
        assert first.status_code == status
        assert client.post(url, {"retired_on": "2025-01-01", "confirmed": "yes"}).status_code == status
        assert _state() == before


def test_a_refused_form_shows_the_field_error(client, place):
    _login(client, "same_area")
    response = client.post(reverse("maintenance:asset_edit", args=[place["asset"].pk]), {
        "kind": "sewage_station", "name": "终端", "quantity": "0", "unit": "stations", "commissioned_on": "2020-06-01",
        "owner_kind": "village_collective", "maintenance_body": "village_collective",
    })
    assert response.status_code == 200
    assert 'data-field="quantity"' in response.content.decode()


def test_forms_name_their_blank_choice(client, place):
    _login(client, "same_area")
    for url in (reverse("maintenance:asset_create"), reverse("maintenance:asset_assign", args=[place["asset"].pk]),
                reverse("maintenance:keeper_create"), reverse("maintenance:assets")):
        page = client.get(url).content.decode()
        assert "---------" not in page, url


def test_the_no_keeper_filter(client, place):
    AssetFactory(village=place["village"], name="无人管护的公厕", kind="public_toilet")
    _login(client, "same_area")
    page = client.get(reverse("maintenance:assets") + "?no_keeper=true").content.decode()
    assert "无人管护的公厕" in page and "余村污水处理终端" not in page


def test_village_and_project_pages_list_their_assets(client, place):
    project = project_in(ProjectStatus.ACCEPTED, village=place["village"], name="余村公厕改造")
    AssetFactory(village=place["village"], project=project, name="余村公厕", kind="public_toilet")
    _login(client, "same_area")
    village_page = client.get(reverse("villages:detail", args=[place["village"].code])).content.decode()
    assert "余村污水处理终端" in village_page and "余村公厕" in village_page and "潘文革" in village_page
    project_page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "余村公厕" in project_page and "余村污水处理终端" not in project_page
    assert reverse("maintenance:asset_create") + f"?project={project.pk}" in project_page


def test_the_keeper_page_says_what_they_keep(client, place):
    _login(client, "same_area")
    page = client.get(reverse("maintenance:keeper_detail", args=[place["keeper"].pk])).content.decode()
    assert "余村污水处理终端" in page


def _grow(village, township, n):
    for i in range(n):
        asset = AssetFactory(village=village, name=f"路灯{i}", kind="street_lights", unit="units")
        KeeperAssignmentFactory(asset=asset, keeper=KeeperFactory(region=township), chief_type="road")


@pytest.mark.parametrize("url", ["maintenance:assets", "maintenance:keepers", "villages:detail"])
def test_lists_cost_the_same_for_one_row_and_many(client, place, url, django_assert_max_num_queries):
    _login(client, "same_area")
    target = reverse(url, args=[place["village"].code]) if url == "villages:detail" else reverse(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(target).status_code == 200
    _grow(place["village"], place["village"].township, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(target)


def test_api_lists_assets_with_their_current_keeper(place, django_assert_max_num_queries):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user_with('same_area', USERS['same_area']))}")
    AssetFactory(village=place["village"], name="无人管护的公厕", kind="public_toilet")
    body = api.get(reverse("api:asset-list") + "?kind=sewage_station").json()
    assert [row["name"] for row in body["results"]] == ["余村污水处理终端"]
    assert body["results"][0]["current_keeper"]["name"] == "潘文革"
    assert body["results"][0]["current_keeper"]["chief_type"] == "station"
    body = api.get(reverse("api:asset-list") + "?no_keeper=true").json()
    assert [row["name"] for row in body["results"]] == ["无人管护的公厕"]
    assert body["results"][0]["current_keeper"] is None
    with CaptureQueriesContext(connection) as few:
        api.get(reverse("api:asset-list"))
    _grow(place["village"], place["village"].township, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(reverse("api:asset-list")).json()["results"]) == 32


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("other_area", 404), ("same_area", 200)])
def test_api_asset_detail_is_scoped(place, who, status):
    api = APIClient()
    if USERS[who] is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user_with(who, USERS[who]))}")
    response = api.get(reverse("api:asset-detail", args=[place["asset"].pk]))
    assert response.status_code == status
    body = json.loads(response.content)
    assert set(body) >= ({"id", "current_keeper"} if status == 200 else {"code", "message", "field_errors"})


def test_api_refuses_a_bad_filter_in_the_error_shape(place):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user_with('same_area', USERS['same_area']))}")
    response = api.get(reverse("api:asset-list") + "?kind=castle")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "field_errors"}
