"""The portal never links outside the user's scope, and 403/404/500 are the portal's Chinese pages in every mode
(DEBUG on, as after `make run`, and off)."""
import pytest
from django.test import RequestFactory

from core.models import Role
from core.views import server_error
from tests.factories import FundingSourceFactory, VillageFactory, region, user_with

NOT_FOUND = "页面不存在"


@pytest.fixture
def county_staff(db):
    VillageFactory(township_code="330523108", code="330523108200")
    region("3301")
    return user_with("county_anji", (Role.COUNTY_STAFF, "330523"))


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", ["/dashboard/3305/", "/dashboard/3301/", "/villages/330127106200/", "/no-such-page/"])
def test_404_is_the_portals_chinese_page_in_every_mode(client, settings, county_staff, debug, path):
    settings.DEBUG = debug
    client.force_login(county_staff)
    response = client.get(path)
    assert response.status_code == 404
    text = response.content.decode()
    assert NOT_FOUND in text and 'class="site-header"' in text
    assert "Django" not in text and "URLconf" not in text


@pytest.mark.parametrize("debug", [True, False])
def test_api_404_keeps_the_api_error_shape(client, settings, county_staff, debug):
    settings.DEBUG = debug
    client.force_login(county_staff)
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("debug", [True, False])
def test_403_is_the_portals_chinese_page_in_every_mode(client, settings, db, debug):
    settings.DEBUG = debug
    region("330523")
    client.force_login(user_with("api_only", (Role.API_CLIENT, "330523")))
    response = client.get("/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "无权" in text and 'class="site-header"' in text


def test_500_is_the_portals_chinese_page(db):
    request = RequestFactory().get("/dashboard/330523/")
    response = server_error(request)
    assert response.status_code == 500
    text = response.content.decode()
    assert "出错" in text and 'class="site-header"' in text


def test_breadcrumbs_link_only_within_the_users_scope(client, county_staff):
    client.force_login(county_staff)
    text = client.get("/dashboard/330523/").content.decode()
    assert "湖州市" in text and "浙江省" in text  # named ...
    assert 'href="/dashboard/3305/"' not in text and 'href="/dashboard/33/"' not in text  # ... not linked
    supervisor = user_with("city_huzhou", (Role.SUPERVISOR, "3305"))
    client.force_login(supervisor)
    text = client.get("/dashboard/330523/").content.decode()
    assert 'href="/dashboard/3305/"' in text and 'href="/dashboard/33/"' not in text


def test_money_figures_link_up_only_within_the_users_scope(client, county_staff):
    FundingSourceFactory(region=region("330523"))
    client.force_login(county_staff)
    text = client.get("/funding/figures/?region=330523").content.decode()
    assert 'href="?region=3305"' not in text
    text = client.get("/funding/figures/?region=330523108").content.decode()
    assert 'href="?region=330523"' in text
