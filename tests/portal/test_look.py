"""A finished portal's first day (issue 18): the header names the programme and the user's region and role, a
footer and a favicon; the supervisor's home shows their area and what needs attention below it; list filters
are Chinese on a zh-hans page with the search box first; words with two meanings keep them apart."""
import datetime

import pytest
from django.utils import translation

from assessment.models import FollowUp
from core.models import Role
from projects.models import MaintenanceBody, ProjectStatus
from tests.factories import AssessmentFactory, VillageFactory, project_in, user_with

pytestmark = pytest.mark.django_db
S = ProjectStatus


@pytest.fixture
def city():
    """湖州市 with two counties: 安吉县 (one overdue and silent project, one overdue follow-up) and 长兴县 (nothing)."""
    anji = VillageFactory(township_code="330523108", code="330523108200")
    VillageFactory(township_code="330522001", code="330522001200")
    project_in(S.UNDER_CONSTRUCTION, village=anji, planned_end=datetime.date(2024, 12, 31))
    project_in(S.APPROVED, village=anji, planned_end=datetime.date.today() + datetime.timedelta(days=90))
    FollowUp.objects.create(assessment=AssessmentFactory(village=anji), village=anji, rank=9, ranked_among=9,
                            due_date=datetime.date.today() - datetime.timedelta(days=3))
    return user_with("city_huzhou", (Role.SUPERVISOR, "3305"))


def test_header_names_the_programme_and_the_users_region_and_role(client, city):
    client.force_login(city)
    text = client.get("/").content.decode()
    assert "千村示范、万村整治" in text
    assert "湖州市 · 督导人员" in text
    assert 'rel="icon"' in text and "img/favicon.svg" in text
    assert 'class="site-footer"' in text
    assert '<details class="menu phone-only">' in text  # the phone's menu: no script needed


def test_the_favicon_is_served(client, city):
    from django.contrib.staticfiles import finders

    assert finders.find("img/favicon.svg") and finders.find("img/favicon-32.png")


def test_supervisor_home_shows_the_area_and_what_needs_attention_below(client, city):
    client.force_login(city)
    response = client.get("/")
    text = response.content.decode()
    assert "暂无待办事项" not in text
    assert "湖州市概况" in text
    (supervision,) = response.context["supervision"]
    assert (supervision.projects, supervision.open_projects, supervision.villages) == (2, 2, 2)
    assert (supervision.overdue, supervision.stale, supervision.overdue_follow_ups) == (1, 1, 1)
    assert [(a.code, a.name, a.overdue, a.stale, a.overdue_follow_ups) for a in supervision.areas] == [
        ("330523", "安吉县", 1, 1, 1)
    ]
    # Each count links to the list it counts.
    assert 'href="/projects/?region=330523&amp;overdue=true"' in text
    assert 'href="/projects/?region=330523&amp;stale=true"' in text
    assert 'href="/assessment/follow-ups/?region=330523&amp;overdue=true"' in text


def test_the_linked_lists_hold_what_the_home_counted(client, city):
    client.force_login(city)
    assert len(client.get("/projects/?region=330523&stale=true").context["object_list"]) == 1
    assert len(client.get("/projects/?region=330523&overdue=true").context["object_list"]) == 1
    assert len(client.get("/assessment/follow-ups/?region=330523&overdue=true").context["object_list"]) == 1
    assert len(client.get("/projects/?region=330523&stale=false").context["object_list"]) == 1


def test_officials_and_county_staff_keep_their_to_do_list(client, city):
    client.force_login(user_with("anji", (Role.COUNTY_STAFF, "330523")))
    response = client.get("/")
    assert response.context["supervision"] == []
    assert "安吉县 · 县级工作人员" in response.content.decode()


@pytest.mark.parametrize("path", ["/villages/", "/projects/", "/projects/progress/", "/funding/sources/", "/reports/",
                                  "/assessment/", "/assessment/follow-ups/"])
def test_filter_forms_are_chinese_on_a_zh_hans_page(client, city, path):
    client.force_login(city)
    text = client.get(path).content.decode()
    assert "---------" not in text
    assert "descending" not in text
    for english in (">Code<", ">Name<", ">Updated<", ">Planned end<", ">Budget<", ">Progress<", ">Date<", ">Id<"):
        assert english not in text, english


def test_ordering_labels_are_translated(client, city):
    client.force_login(city)
    text = client.get("/villages/").content.decode()
    assert "代码（降序）" in text and ">全部<" in text


def test_search_comes_first_and_the_other_filters_fold_away(client, city):
    client.force_login(city)
    text = client.get("/projects/").content.decode()
    assert text.index('type="search"') < text.index('<details class="filters"')
    assert '<details class="filters">' in text  # closed: no filter set
    text = client.get("/projects/?q=污水&status=approved").content.decode()
    assert '<details class="filters" open>' in text and "(1)" in text  # the search box does not count


def test_maintenance_body_and_funding_kind_keep_their_own_chinese():
    from funding.models import SourceKind

    with translation.override("zh-hans"):
        assert str(MaintenanceBody.VILLAGE_COLLECTIVE.label) == "村集体"
        assert str(SourceKind.VILLAGE_COLLECTIVE.label) == "村集体投入"


def test_accepted_project_shows_the_maintenance_body_as_a_body(client, city):
    project = project_in(S.ACCEPTED, village_id="330523108200")
    client.force_login(city)
    text = client.get(f"/projects/{project.pk}/").content.decode()
    assert "村集体" in text and "村集体投入" not in text


def test_yes_no_filters_say_all_yes_no(client, city):
    client.force_login(city)
    text = client.get("/projects/").content.decode()
    assert '<option value="" selected>全部</option>' in text and ">是<" in text and ">否<" in text
    assert "未知" not in text and "Unknown" not in text
