"""Offline use, the server's side (issue 23): the manifest and the service worker, the pages a phone keeps (the
user's own, through the gate), the session's token for uploads, and the copies kept without one-time messages."""
import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image

from core.models import Role
from offline import selectors
from offline.views import OFFLINE_PATH_PATTERNS, SHELL_ASSETS
from projects.models import ProjectStatus
from tests.factories import VillageFactory, project_in, user_with

pytestmark = pytest.mark.django_db

KEPT = [re.compile(pattern) for pattern in OFFLINE_PATH_PATTERNS]


@pytest.fixture
def area(db):
    """天荒坪镇 with two villages, 递铺街道 with one; projects in every status in both."""
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    other = VillageFactory(code="330523108205", name="横路村村委会")
    far = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    projects = {status: project_in(status, village=yucun) for status in ProjectStatus}
    far_building = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=far)
    return {
        "villages": (yucun, other, far), "projects": projects, "far_building": far_building,
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
    }


def test_the_manifest_makes_an_installable_app_with_its_chinese_name(client):
    response = client.get(reverse("offline:manifest"))
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["short_name"] == "千村" and manifest["lang"] == "zh-hans"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    # Each icon is a real PNG of the size it claims, and there is a 192 and a 512 of each purpose.
    seen = set()
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        with Image.open(path) as image:
            assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"]
        seen.add((icon["purpose"], icon["sizes"]))
    assert seen == {(p, s) for p in ("any", "maskable") for s in ("192x192", "512x512")}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = json.loads(client.get(reverse("offline:manifest")).content)
    assert english["short_name"] == "Qiancun"


def test_every_page_links_the_manifest(client, area):
    client.force_login(area["official"])
    page = client.get(reverse("villages:list")).content.decode()
    assert f'<link rel="manifest" href="{reverse("offline:manifest")}">' in page
    assert 'id="offline-config"' in page and "js/offline.js" in page
    login = Client().get(reverse("login")).content.decode()
    assert 'rel="manifest"' in login and 'id="offline-config"' not in login  # nothing of offline.js before login


def test_the_service_worker_is_served_at_the_root_and_keeps_files_that_exist(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript") and response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    settings_json = json.loads(re.search(r"var SETTINGS = (\{.*?\n\});", body, re.S).group(1))
    urls = [entry["url"] for entry in settings_json["shell"]]
    assert urls[-1] == reverse("offline:fallback")
    for asset in SHELL_ASSETS:
        assert finders.find(asset), asset
    assert len(urls) == len(SHELL_ASSETS) + 1
    for module in ("core", "routing", "strategies", "precaching"):
        assert f"workbox-{module}.prod.js" in body and finders.find(f"vendor/workbox-7.4.1/workbox-{module}.prod.js")
    assert settings_json["keptPaths"] == list(OFFLINE_PATH_PATTERNS)


def test_the_fallback_page_names_nobody(client, area):
    client.force_login(area["official"])
    page = client.get(reverse("offline:fallback")).content.decode()
    assert "无网络" in page or "No network" in page
    assert "tianhuangping" not in page and "offline-config" not in page and "天荒坪镇" not in page


def test_an_official_keeps_the_own_townships_villages_and_the_projects_that_take_reports(client, area):
    client.force_login(area["official"])
    response = client.get(reverse("offline:pages"))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["user"] == area["official"].pk
    pages = set(body["pages"])
    yucun, other, far = area["villages"]
    assert {reverse("villages:detail", args=[v.code]) for v in (yucun, other)} <= pages
    assert reverse("villages:detail", args=[far.code]) not in pages
    reportable = {ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.SUSPENDED, ProjectStatus.COMPLETED}
    for status, project in area["projects"].items():
        kept = {reverse("projects:detail", args=[project.pk]), reverse("projects:progress_create", args=[project.pk])}
        assert (kept <= pages) == (status in reportable), status
        assert not (kept & pages) or status in reportable, status
    far_project = area["far_building"]
    assert reverse("projects:detail", args=[far_project.pk]) not in pages
    assert {reverse("home"), reverse("villages:list"), reverse("offline:queue")} <= pages
    # The service worker answers every kept page from the phone: each matches one of its patterns.
    assert all(any(p.match(path) for p in KEPT) for path in pages), pages
    # ... and each is a page this user opens (200), so the phone keeps what the user would see online.
    for path in pages:
        assert client.get(path).status_code == 200, path


def test_the_neighbour_keeps_nothing_of_another_township(client, area):
    client.force_login(area["neighbour"])
    pages = set(json.loads(client.get(reverse("offline:pages")).content)["pages"])
    assert reverse("projects:detail", args=[area["far_building"].pk]) in pages
    assert not any(reverse("projects:detail", args=[p.pk]) in pages for p in area["projects"].values())
    assert not any(reverse("villages:detail", args=[v.code]) in pages for v in area["villages"][:2])


@pytest.mark.parametrize("who", ["county", "superuser"])
def test_roles_that_do_not_report_progress_keep_nothing(client, area, who, django_user_model):
    user = area["county"] if who == "county" else django_user_model.objects.create_superuser("root", password="x")
    assert selectors.offline_pages(user=user) == []
    client.force_login(user)
    assert json.loads(client.get(reverse("offline:pages")).content)["pages"] == []


def test_a_large_area_keeps_only_the_villages_of_its_projects(area, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_AREA_VILLAGES", 1)
    pages = selectors.offline_pages(user=area["official"])
    yucun, other, _far = area["villages"]
    assert reverse("villages:detail", args=[yucun.code]) in pages
    assert reverse("villages:detail", args=[other.code]) not in pages  # no project there


def test_the_list_costs_the_same_queries_at_one_project_and_at_fifty(client, area, django_assert_max_num_queries):
    client.force_login(area["official"])
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("offline:pages"))
    for _ in range(50):
        project_in(ProjectStatus.UNDER_CONSTRUCTION, village=area["villages"][1])
    with django_assert_max_num_queries(len(one.captured_queries)):
        pages = json.loads(client.get(reverse("offline:pages")).content)["pages"]
    assert len([p for p in pages if p.endswith("/progress/new/")]) == 50 + 4


def test_the_list_is_capped(area, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_PROJECTS", 2)
    pages = selectors.offline_pages(user=area["official"])
    assert len([p for p in pages if p.endswith("/progress/new/")]) == 2


@pytest.mark.parametrize("name", ["offline:pages", "offline:session"])
def test_the_json_answers_401_without_login_and_403_to_an_api_only_account(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 401 and json.loads(response.content)["code"] == "not_authenticated"
    client.force_login(user_with("robot", (Role.API_CLIENT, "33")))
    assert client.get(reverse(name)).status_code == 403


def test_the_session_gives_a_token_the_api_accepts(area):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(area["official"])
    session = json.loads(browser.get(reverse("offline:session")).content)
    assert session["user"] == area["official"].pk
    project = area["projects"][ProjectStatus.UNDER_CONSTRUCTION]
    body = {"project": project.pk, "report_date": "2024-06-01", "percent_complete": 30, "amount_spent": "1000.00"}
    refused = browser.post(reverse("api:progressreport-list"), body, content_type="application/json")
    assert refused.status_code == 403 and not project.progress_reports.exists()
    accepted = browser.post(reverse("api:progressreport-list"), body, content_type="application/json",
                            HTTP_X_CSRFTOKEN=session["csrf_token"])
    assert accepted.status_code == 201, accepted.content
    assert project.progress_reports.count() == 1


def test_a_copy_kept_for_the_phone_leaves_the_one_time_message_for_the_next_page(client, area):
    client.force_login(area["official"])
    # A message waiting for the next page (as after a form), then the phone keeps a page meanwhile.
    project = area["projects"][ProjectStatus.UNDER_CONSTRUCTION]
    response = client.post(reverse("projects:progress_create", args=[project.pk]), {
        "report_date": "2024-06-01", "percent_complete": "30", "amount_spent": "1000"})
    assert response.status_code == 302
    kept = client.get(reverse("villages:list"), HTTP_X_QIANCUN_OFFLINE_COPY="1").content.decode()
    assert 'class="messages"' not in kept
    shown = client.get(reverse("villages:list")).content.decode()
    assert 'class="messages"' in shown and "进度已填报。" in shown


def test_the_queue_page_needs_a_login(client, area):
    assert client.get(reverse("offline:queue")).status_code == 302
    client.force_login(area["official"])
    page = client.get(reverse("offline:queue")).content.decode()
    assert "data-queue-list" in page and "data-sync-now" in page
