"""Overdue problems are on the to-do lists (督查): the township's problems to rectify, the county's overdue problems
and rectifications to re-check, a supervisor's counts per area."""
import datetime

from django.urls import reverse
from django.utils import timezone

from core.models import Role
from portal.selectors import supervision_for, todo_for
from tests.factories import ProblemFactory, VisitFactory, region, user_with

TODAY = timezone.localdate()


def _sections(user):
    return {section.key: section for section in todo_for(user=user)}


def test_each_person_sees_the_problems_that_wait_for_them(client, official, county, city, visit, village):
    late = ProblemFactory(visit=visit, village=village, deadline=TODAY - datetime.timedelta(days=2), description="井盖破损")
    ProblemFactory(visit=visit, village=village, deadline=TODAY + datetime.timedelta(days=9), description="垃圾满溢")
    waiting = ProblemFactory(visit=visit, village=village, status="rectified", rectified_on=TODAY, rectification="已清理")
    city_visit = VisitFactory(region=region("3305"), villages=[village])
    city_waiting = ProblemFactory(visit=city_visit, village=village, status="rectified", rectified_on=TODAY, rectification="已修")
    ProblemFactory(visit=visit, village=village, status="closed", rectified_on=TODAY, closed_on=TODAY, rectification="x",
                   deadline=TODAY - datetime.timedelta(days=5))  # closed: nobody's to-do

    mine = _sections(official)
    assert [p.description for p in mine["problems_to_rectify"].items] == ["井盖破损", "垃圾满溢"]  # the oldest deadline first
    assert "problems_overdue" not in mine and "problems_to_recheck" not in mine
    client.force_login(official)
    html = client.get(reverse("home")).content.decode()
    assert 'data-todo="problems_to_rectify"' in html and "flag-overdue" in html

    theirs = _sections(county)
    assert theirs["problems_overdue"].items == [late] and theirs["problems_overdue"].count == 1
    assert theirs["problems_to_recheck"].items == [waiting]  # not the city's visit: the city re-checks its own
    assert theirs["problems_to_recheck"].url.endswith("status=rectified")

    [at_glance] = supervision_for(user=city)
    assert (at_glance.overdue_problems, at_glance.to_recheck) == (1, 1)
    assert [a.overdue_problems for a in at_glance.areas if a.code == "330523"] == [1]
    assert city_waiting.status == "rectified"
    client.force_login(city)
    assert "office=3305&amp;status=rectified" in client.get(reverse("home")).content.decode()


def test_another_township_has_none_of_them(visit, village):
    ProblemFactory(visit=visit, village=village, deadline=TODAY - datetime.timedelta(days=2))
    neighbour = user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001"))
    assert not any(key.startswith("problems") for key in _sections(neighbour))


def test_the_dashboard_counts_open_and_overdue_problems_of_its_area(client, county, visit, village):
    ProblemFactory(visit=visit, village=village, deadline=TODAY - datetime.timedelta(days=2))
    ProblemFactory(visit=visit, village=village, deadline=TODAY + datetime.timedelta(days=2))
    ProblemFactory(visit=visit, village=village, status="rectified", rectified_on=TODAY, rectification="已清理",
                   deadline=TODAY - datetime.timedelta(days=2))  # waiting for the re-check: open, not overdue
    client.force_login(county)
    board = client.get(reverse("dashboard:region", args=["330523"])).context["board"]
    assert (board.open_problems, board.overdue_problems) == (3, 1)
    other = user_with("changxing", (Role.COUNTY_STAFF, "330522"))
    client.force_login(other)
    board = client.get(reverse("dashboard:region", args=["330522"])).context["board"]
    assert (board.open_problems, board.overdue_problems) == (0, 0)
