"""Scoping beyond the user's own city: the world's objects in another city (杭州市) and another province (江苏省)
are seen by that area's users and by no one else, wherever permissions turn into query filters.

tests/world.py holds one of every object with an area in 余村's township (天荒坪镇, 安吉县, 湖州市), in 枫树岭镇
(淳安县, 杭州市), in 江南镇 (桐庐县, 杭州市: the city's, not 淳安县's) and in 海虞镇 (常熟市, 苏州市, 江苏省),
funds administered above their users (core.scoping.VISIBLE_FROM_BELOW, FROM_BELOW_TARGETS), and users of every
role near and far (GRANTS). Each object's audience, below, is written out by hand: the users whose region holds
it (or, for a fund seen from below, whose line its target is on). A gate that widens a supervisor's, an API
client's or county staff's reach beyond its own region shows here: in the gate itself (restrict, can), the
HTML lists, the API lists, the dashboards and region summaries, and the ledger report (read by
core.scoping.reader_of).
"""
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from core import scoping
from core.models import RoleAssignment
from dashboard.models import AreaOutput, CountyMonth, CountyStats, TownshipMonth, TownshipStats, VillageStats, VillageStatus
from tests.world import FAR_AREAS, GRANTS, built_once

USERS = tuple(GRANTS)
HTML_USERS = tuple(u for u in USERS if not u.endswith("api_client"))  # API clients are refused every page (403)

# 余村's objects: 天荒坪镇's official, 安吉县's staff, 湖州市's supervisor and the API client of 浙江省.
HOME = {"official", "county", "supervisor", "api_client"}
# ... and the county's own rows (its budget source, its assessment scheme), seen from below by its other township.
HOME_COUNTY = HOME | {"neighbour"}
AUDIENCE = {
    "hangzhou": {"api_client", "hz_official", "hz_county", "hz_supervisor", "hz_api_client"},  # 枫树岭镇, 淳安县
    "tonglu": {"api_client", "hz_supervisor", "hz_api_client"},  # 江南镇, 桐庐县: 杭州市's, not 淳安县's
    "jiangsu": {"js_official", "js_county", "js_supervisor", "js_api_client"},  # 海虞镇, 常熟市
}
ZHEJIANG = set(USERS) - AUDIENCE["jiangsu"]
# Funds administered above their users (tests.world._funds_from_above).
FUNDS = {
    "zhejiang_fund": ZHEJIANG,  # 浙江省's, for the whole province
    "anji_earmark": HOME_COUNTY,  # 浙江省's, earmarked for 安吉县
    "chunan_earmark": AUDIENCE["hangzhou"],  # 浙江省's, earmarked for 淳安县
    "xiajiang_donation": AUDIENCE["hangzhou"],  # 杭州市's, for 下姜村
    "jiangsu_fund": AUDIENCE["jiangsu"],  # 江苏省's
}
HOME_OBJECTS = ("village", "draft", "submitted", "building", "photo", "allocation", "spare_allocation", "payment",
                "submitted_assessment", "draft_assessment", "finalised_assessment", "follow_up", "acceptance", "report")
HOME_COUNTY_OBJECTS = ("source", "scheme")

# Every region a dashboard or a region summary may be asked for, and the ones each user may open.
PROBED_REGIONS = ("33", "3305", "330523", "330523108", "3301", "330127", "330127106", "330122", "330122104",
                  "32", "3205", "320581", "320581105")
OPEN_REGIONS = {
    "official": {"330523108"},
    "neighbour": set(),  # 递铺街道 itself is not probed
    "county": {"330523", "330523108"},
    "other_county": set(),
    "supervisor": {"3305", "330523", "330523108"},
    "api_client": {"33", "3305", "330523", "330523108", "3301", "330127", "330127106", "330122", "330122104"},
    "hz_official": {"330127106"},
    "hz_county": {"330127", "330127106"},
    "hz_supervisor": {"3301", "330127", "330127106", "330122", "330122104"},
    "hz_api_client": {"3301", "330127", "330127106", "330122", "330122104"},
    "js_official": {"320581105"},
    "js_county": {"320581", "320581105"},
    "js_supervisor": {"3205", "320581", "320581105"},
    "js_api_client": {"32", "3205", "320581", "320581105"},
}
assert set(OPEN_REGIONS) == set(USERS)
# The villages each user's widest region holds (its dashboard's count).
VILLAGES = {
    "official": 1, "neighbour": 1, "county": 2, "other_county": 0, "supervisor": 2, "api_client": 4,
    "hz_official": 1, "hz_county": 1, "hz_supervisor": 2, "hz_api_client": 2,
    "js_official": 1, "js_county": 1, "js_supervisor": 1, "js_api_client": 1,
}


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world with its dashboards' summary rows, built once for the module (tests.world.built_once)."""
    from dashboard.stats import rebuild

    yield from built_once(django_db_blocker, tmp_path_factory.mktemp("far-media"), then=lambda world: rebuild(""))


@pytest.fixture
def world(shared_world, db, settings):
    world, media = shared_world
    settings.MEDIA_ROOT = media
    return world


def _user(kind):
    return get_user_model().objects.get(username=kind)


def _catalogue(world):
    """(name, object, audience) for every object of the world with an area, near and far."""
    rows = [(key, world[key], HOME) for key in HOME_OBJECTS]
    rows += [(key, world[key], HOME_COUNTY) for key in HOME_COUNTY_OBJECTS]
    rows += [(key, world[key], audience) for key, audience in FUNDS.items()]
    for area, audience in AUDIENCE.items():
        far = world["far"][area]
        # A supervision visit is its office's (the county's): the township's official reads its problems, not it.
        county_only = {"visit", "publication", "import"}  # ... a county's choice to open its village pages, an import for the county
        rows += [(f"{area}.{key}", obj, audience - {user for user in audience if user.endswith("_official")}
                  if key in county_only else audience) for key, obj in far.items()]
        township = far["township"]
        above_township = {user for user in audience if not user.endswith("_official")}
        rows += [
            (f"{area}.village_stats", VillageStats.objects.get(village=far["village"]), audience),
            (f"{area}.village_status", VillageStatus.objects.get(village=far["village"]), audience),
            (f"{area}.township_stats", TownshipStats.objects.get(township=township), audience),
            *[(f"{area}.township_month", month, audience) for month in TownshipMonth.objects.filter(township=township)],
            # The county's own sums: not a township official's (their township's are).
            (f"{area}.county_stats", CountyStats.objects.get(county=township.parent_id), above_township),
            *[(f"{area}.county_month", month, above_township) for month in CountyMonth.objects.filter(county=township.parent_id)],
            *[(f"{area}.township_output", output, audience) for output in AreaOutput.objects.filter(region=township)],
            *[(f"{area}.grant", grant, audience) for grant in RoleAssignment.objects.filter(region=township)],
        ]
    return rows


def test_every_model_with_an_area_has_far_objects_in_both_places(world):
    """The far areas hold a row of every model the gate places, so that every filter is tried on them."""
    for area in ("hangzhou", "jiangsu"):
        labels = {obj._meta.label_lower for name, obj, _a in _catalogue(world) if name.startswith(f"{area}.")}
        assert set(scoping.AREA_PATHS) - labels == set(), area


@pytest.mark.parametrize("kind", USERS)
def test_the_gate_shows_each_object_to_its_audience_only(world, kind):
    """restrict() and can() for reading: every object of the world, near and far, against every user."""
    user = _user(kind)
    for name, obj, audience in _catalogue(world):
        model = type(obj)
        seen = scoping.restrict(model.objects.filter(pk=obj.pk), user).exists()
        assert seen == (kind in audience), (name, kind, "restrict")
        assert scoping.can(user, "view", obj) == (kind in audience), (name, kind, "can")


@pytest.mark.parametrize("kind", USERS)
def test_no_action_reaches_beyond_the_users_area(world, kind):
    """No action of PERMISSIONS (editing, approving, allocating, assessing, reporting) on an object of another area."""
    user = _user(kind)
    outside = [(name, obj) for name, obj, audience in _catalogue(world) if kind not in audience]
    assert outside
    for action in scoping.PERMISSIONS:
        for name, obj in outside:
            assert not scoping.can(user, action, obj), (name, kind, action)
        by_model = {}
        for _name, obj in outside:
            by_model.setdefault(type(obj), []).append(obj.pk)
        for model, pks in by_model.items():
            assert not scoping.restrict(model.objects.filter(pk__in=pks), user, action).exists(), (model, kind, action)


def test_far_users_act_in_their_own_area(world):
    """The far users are real users of their area, not users who see nothing (which would pass the tests above)."""
    hz, js = world["far"]["hangzhou"], world["far"]["jiangsu"]
    assert scoping.can(_user("hz_official"), "project.edit", hz["draft"])
    assert scoping.can(_user("hz_county"), "project.approve", hz["submitted"])
    assert scoping.can(_user("js_county"), "allocation.create", js["building"])
    assert scoping.can(_user("js_official"), "followup.record", js["follow_up"])
    assert scoping.can(_user("hz_supervisor"), "funding_source.manage", "3301")
    assert not scoping.can(_user("hz_supervisor"), "funding_source.manage", hz["source"].region)  # 淳安县's own level
    assert scoping.can(_user("js_supervisor"), "report.request", "320581")
    assert not scoping.can(_user("js_api_client"), "project.approve", js["submitted"])


def _markers(world):
    """(text, audience, the list page that must show it or None) for the objects of the world: a link to an
    object's page, or the text a list shows of it. No page may show a marker of an area its user does not see."""
    def marks(objects, audience, source_audience):
        projects = [key for key in ("draft", "submitted", "approved", "building") if key in objects]
        rows = [
            (reverse("villages:detail", args=[objects["village"].code]), audience, "villages:list"),
            *[(reverse("projects:detail", args=[objects[key].pk]), audience, "projects:list") for key in projects],
            (reverse("projects:detail", args=[objects["building"].pk]), audience, "projects:progress_list"),
            (reverse("funding:source_detail", args=[objects["source"].pk]), source_audience, "funding:sources"),
            (reverse("funding:allocation_detail", args=[objects["allocation"].pk]), audience, "funding:allocations"),
            (objects["payment"].voucher_no, audience, "funding:disbursements"),
            (reverse("assessment:detail", args=[objects["acceptance"].pk]), audience, "assessment:list"),
            (reverse("assessment:follow_up", args=[objects["follow_up"].pk]), audience, "assessment:follow_ups"),
            (reverse("reports:detail", args=[objects["report"].pk]), audience, "reports:list"),
            (f'value="{objects["village"].code}"', audience, None),  # a choice of a form (projects:create)
        ]
        return rows

    markers = marks(world, HOME, HOME_COUNTY) + [("余村", HOME, None)]
    for area, audience in AUDIENCE.items():
        markers += marks(world["far"][area], audience, audience) + [(FAR_AREAS[area][2], audience, None)]
    for key, audience in FUNDS.items():
        markers += [(reverse("funding:source_detail", args=[world[key].pk]), audience, "funding:sources"),
                    (world[key].name, audience, None)]
    return markers


LIST_PAGES = ("home", "villages:list", "projects:list", "projects:progress_list", "funding:sources", "funding:allocations",
              "funding:disbursements", "funding:figures", "assessment:list", "assessment:follow_ups", "reports:list")
# Forms whose choices come through the gate (villages, projects, sources, regions), for the users they open to.
FORM_PAGES = ("projects:create", "funding:source_create", "funding:allocation_create", "reports:request")


@pytest.mark.parametrize("kind", HTML_USERS)
def test_html_lists_show_the_users_area_and_nothing_beyond(client, world, kind):
    client.force_login(_user(kind))
    markers = _markers(world)
    pages = {}
    for name in LIST_PAGES + FORM_PAGES:
        response = client.get(reverse(name))
        assert response.status_code in ((200,) if name in LIST_PAGES else (200, 403)), (name, kind)
        pages[name] = response.content.decode()
    for text, audience, shown_on in markers:
        for name, page in pages.items():
            if kind not in audience:
                assert text not in page, (kind, name, text)
            elif name == shown_on:
                assert text in page, (kind, name, text)


API_LISTS = {  # route → the field that names a row
    "api:village-list": "code", "api:region-list": "code", "api:project-list": "id", "api:progressreport-list": "id",
    "api:fundingsource-list": "id", "api:allocation-list": "id", "api:disbursement-list": "id",
    "api:assessment-list": "id", "api:report-list": "id",
}
API_MODELS = {
    "api:village-list": "villages.village", "api:region-list": "villages.region", "api:project-list": "projects.project",
    "api:progressreport-list": "projects.progressreport", "api:fundingsource-list": "funding.fundingsource",
    "api:allocation-list": "funding.allocation", "api:disbursement-list": "funding.disbursement",
    "api:assessment-list": "assessment.assessment", "api:report-list": "reports.reportjob",
}


@pytest.mark.parametrize("kind", USERS)
def test_api_lists_show_the_users_area_and_nothing_beyond(client, world, kind):
    client.force_login(_user(kind))
    catalogue = _catalogue(world)
    for route, field in API_LISTS.items():
        response = client.get(reverse(route), {"page_size": 200})
        assert response.status_code == 200, (route, kind)
        listed = {row[field] for row in response.json()["results"]}
        rows = [(name, obj, audience) for name, obj, audience in catalogue if obj._meta.label_lower == API_MODELS[route]]
        assert rows, route
        for name, obj, audience in rows:
            assert (obj.pk in listed) == (kind in audience), (route, kind, name)


@pytest.mark.parametrize("kind", USERS)
def test_dashboards_and_region_summaries_open_within_the_users_area_only(client, world, kind):
    client.force_login(_user(kind))
    html = kind in HTML_USERS
    for code in PROBED_REGIONS:
        inside = code in OPEN_REGIONS[kind]
        summary = client.get(reverse("api:region-summary", args=[code]))
        assert summary.status_code == (200 if inside else 404), (kind, code, "summary")
        assert client.get(reverse("api:region-detail", args=[code])).status_code == (200 if inside else 404), (kind, code)
        for route in ("dashboard:region", "dashboard:map", "dashboard:export"):
            status = client.get(reverse(route, args=[code])).status_code
            assert status == ((200 if inside else 404) if html else 403), (kind, code, route)
    home = GRANTS[kind][1]
    summary = client.get(reverse("api:region-summary", args=[home])).json()
    assert summary["totals"]["villages"] == VILLAGES[kind], (kind, summary["totals"])
    if html:
        assert client.get(reverse("dashboard:home"))["Location"] == reverse("dashboard:region", args=[home])
        board = client.get(reverse("dashboard:region", args=[home])).content.decode()
        for text, audience, _page in _markers(world):
            if kind not in audience:
                assert text not in board, (kind, text)


@pytest.mark.parametrize("kind", USERS)
def test_the_ledger_report_of_a_users_region_holds_what_that_user_sees(world, kind, tmp_path):
    """The ledger report reads as the region's own users (core.scoping.reader_of): sources, allocations and
    payments of the region, and funds from above on its line, nothing of other areas."""
    from reports.kinds import ledger
    from reports.models import ReportJob

    job = ReportJob(kind="ledger", format="xlsx", region_id=GRANTS[kind][1], params={})
    ledger.build_xlsx(job, tmp_path / "ledger.xlsx", lambda n: None)
    book = load_workbook(io.BytesIO((tmp_path / "ledger.xlsx").read_bytes()), read_only=True)
    text = "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if cell)
    # The ledger of a region is what its users of the region's level see; the API client of 浙江省 and of
    # 杭州市 read as 浙江省's and 杭州市's supervisors would, which is what the API clients see.
    names = [(world[key].name, audience) for key, audience in FUNDS.items()]
    names.append((world["source"].name, HOME_COUNTY))
    for area, audience in AUDIENCE.items():
        far = world["far"][area]
        names += [(far["source"].name, audience), (far["payment"].voucher_no, audience), (far["building"].name, audience)]
    names.append((world["payment"].voucher_no, HOME))
    for name, audience in names:
        assert (name in text) == (kind in audience), (kind, name)
