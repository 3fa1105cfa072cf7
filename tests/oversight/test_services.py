"""Supervision's rules: who records a visit and its findings, who rectifies, who re-checks; what is refused and
that a refusal changes nothing."""
import datetime

import pytest
from django.utils import timezone

from core.exceptions import IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from oversight import services
from oversight.filters import ProblemFilterSet
from oversight.models import Problem, ProblemPhoto, ProblemStatus, Visit
from oversight.selectors import problem_list
from projects.models import ProjectStatus
from tests.factories import ProblemFactory, VillageFactory, project_in, region, user_with
from tests.images import upload

from .conftest import DAY

LATER = DAY + datetime.timedelta(days=5)


def _state():
    return (AuditEntry.objects.count(), list(Visit.objects.values()), list(Problem.objects.values()), ProblemPhoto.objects.count())


def _visit(actor, village, **overrides):
    kwargs = dict(actor=actor, region=region("330523"), kind="unannounced", visited_on=DAY, inspectors="县督查组",
                  villages=[village])
    return services.visit_record(**(kwargs | overrides))


def test_county_and_city_staff_record_visits_of_their_area(county, city, village):
    assert _visit(county, village).region_id == "330523"
    assert _visit(city, village, region=region("3305")).villages.get() == village


@pytest.mark.parametrize("who", ["official", "other_county", "other_city"])
def test_others_cannot_record_a_visit_and_nothing_changes(who, village, official):
    actor = {
        "official": official,
        "other_county": user_with("changxing", (Role.COUNTY_STAFF, "330522")),
        "other_city": user_with("hangzhou", (Role.SUPERVISOR, "3301")),
    }[who]
    before = _state()
    with pytest.raises(NotPermitted):
        _visit(actor, village)
    assert _state() == before


@pytest.mark.parametrize("overrides, field", [
    ({"region": "330523108"}, "region"),
    ({"kind": "secret"}, "kind"),
    ({"visited_on": "tomorrow"}, "visited_on"),
    ({"inspectors": "  "}, "inspectors"),
    ({"villages": []}, "villages"),
    ({"villages": "outside"}, "villages"),
    ({"projects": "elsewhere"}, "projects"),
])
def test_a_bad_visit_is_refused_on_its_field(county, village, overrides, field):
    if overrides.get("region"):
        overrides["region"] = region(overrides["region"])
    if overrides.get("visited_on") == "tomorrow":
        overrides["visited_on"] = timezone.localdate() + datetime.timedelta(days=1)
    if overrides.get("villages") == "outside":
        overrides["villages"] = [village, VillageFactory(township_code="330522001", code="330522001201")]
    if overrides.get("projects") == "elsewhere":
        overrides["projects"] = [project_in(ProjectStatus.UNDER_CONSTRUCTION, village=VillageFactory(code="330523108209"))]
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        _visit(county, village, **overrides)
    assert field in refused.value.field_errors
    assert _state() == before


def test_villages_are_named_by_code_or_name_within_the_office(village):
    VillageFactory(code="330523108205", name="银坑村委会")
    VillageFactory(township_code="330523001", code="330523001211", name="银坑村委会")  # the same name elsewhere in the county
    VillageFactory(township_code="330522001", code="330522001201", name="新川村委会")  # another county
    found, unknown = services.villages_named(region("330523"), f"{village.code}，余村 银坑村 新川、330522001201 无此村")
    assert [v.code for v in found] == [village.code]
    assert unknown == ["银坑村", "新川", "330522001201", "无此村"]  # ambiguous, outside, outside, unknown
    found, unknown = services.villages_named(region("330523108"), "银坑")
    assert [v.code for v in found] == ["330523108205"] and unknown == []


def test_a_finding_is_a_problem_for_the_township_with_its_photos(county, visit, village):
    project = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village)
    problem = services.finding_add(actor=county, visit=visit, village=village, project=project, category="quality",
                                   severity="critical", description="检查井盖破损", deadline=DAY + datetime.timedelta(days=7),
                                   photos=[upload("a.jpg"), upload("b.jpg")])
    assert (problem.status, problem.township_id, problem.found_on, problem.found_by) == ("open", "330523108", DAY, county)
    assert problem.photos.filter(stage="found").count() == 2
    assert list(visit.projects.all()) == [project]


@pytest.mark.parametrize("change, field", [
    ({"deadline": DAY - datetime.timedelta(days=1)}, "deadline"),
    ({"description": " "}, "description"),
    ({"category": "gossip"}, "category"),
    ({"severity": "mild"}, "severity"),
    ({"village": "outside"}, "village"),
    ({"project": "elsewhere"}, "project"),
])
def test_a_bad_finding_is_refused_on_its_field(county, visit, village, change, field):
    if change.get("village") == "outside":
        change["village"] = VillageFactory(township_code="330522001", code="330522001201")
    if change.get("project") == "elsewhere":
        change["project"] = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=VillageFactory(code="330523108209"))
    kwargs = dict(actor=county, visit=visit, village=village, category="waste", severity="general", description="垃圾满溢",
                  deadline=DAY + datetime.timedelta(days=7), photos=[upload("a.jpg")])
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.finding_add(**(kwargs | change))
    assert field in refused.value.field_errors
    assert _state() == before


def test_only_the_visits_office_adds_findings(official, visit, village):
    other = user_with("changxing", (Role.COUNTY_STAFF, "330522"))
    before = _state()
    for actor in (official, other):
        with pytest.raises(NotPermitted):
            services.finding_add(actor=actor, visit=visit, village=village, category="waste", severity="general",
                                 description="x", deadline=DAY)
    assert _state() == before


def test_the_township_rectifies_with_a_photo(official, problem):
    with pytest.raises(InvalidInput) as refused:
        services.problem_rectify(actor=official, problem=problem, rectified_on=LATER, rectification="已清理")
    assert "photos" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        services.problem_rectify(actor=official, problem=problem, rectified_on=DAY - datetime.timedelta(days=1),
                                 rectification="已清理", photos=[upload("a.jpg")])
    assert "rectified_on" in refused.value.field_errors
    assert Problem.objects.get(pk=problem.pk).status == "open" and not ProblemPhoto.objects.exists()
    services.problem_rectify(actor=official, problem=problem, rectified_on=LATER, rectification="已清理", photos=[upload("a.jpg")])
    problem.refresh_from_db()
    assert (problem.status, problem.rectified_on, problem.rectified_by) == ("rectified", LATER, official)
    with pytest.raises(IllegalTransition):
        services.problem_rectify(actor=official, problem=problem, rectified_on=LATER, rectification="again", photos=[upload("b.jpg")])


def test_another_township_cannot_rectify(problem):
    neighbour = user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001"))
    before = _state()
    with pytest.raises(NotPermitted):
        services.problem_rectify(actor=neighbour, problem=problem, rectified_on=LATER, rectification="x", photos=[upload("a.jpg")])
    assert _state() == before


def test_the_office_closes_or_reopens_after_its_recheck(county, city, official, rectified):
    before = _state()
    with pytest.raises(NotPermitted):  # the township rectifies; it does not re-check its own work
        services.problem_close(actor=official, problem=rectified)
    assert _state() == before
    with pytest.raises(InvalidInput) as refused:
        services.problem_reopen(actor=city, problem=rectified, reason=" ")
    assert "reason" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        services.problem_reopen(actor=city, problem=rectified, reason="仍有", deadline=timezone.localdate() - datetime.timedelta(days=1))
    assert "deadline" in refused.value.field_errors
    assert _state() == before
    new_deadline = timezone.localdate() + datetime.timedelta(days=10)
    services.problem_reopen(actor=city, problem=rectified, reason="仍有垃圾", deadline=new_deadline)
    rectified.refresh_from_db()
    assert (rectified.status, rectified.reopened, rectified.deadline, rectified.rectified_on) == ("open", 1, new_deadline, None)
    with pytest.raises(IllegalTransition):
        services.problem_close(actor=county, problem=rectified)  # to be rectified again first
    services.problem_rectify(actor=official, problem=rectified, rectified_on=timezone.localdate(), rectification="再次清理",
                             photos=[upload("a.jpg")])
    services.problem_close(actor=county, problem=rectified)
    rectified.refresh_from_db()
    assert (rectified.status, rectified.closed_by, rectified.closed_on) == ("closed", county, timezone.localdate())
    # A closed problem that comes back is reopened too; the visit's office only.
    other = user_with("changxing", (Role.COUNTY_STAFF, "330522"))
    with pytest.raises(NotPermitted):
        services.problem_reopen(actor=other, problem=rectified, reason="复发")
    services.problem_reopen(actor=county, problem=rectified, reason="复发")
    assert Problem.objects.get(pk=rectified.pk).reopened == 2


def test_a_problem_found_by_the_province_is_rechecked_by_the_province_not_the_county(village):
    province = user_with("zhejiang", (Role.SUPERVISOR, "33"))
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    from tests.factories import VisitFactory

    visit = VisitFactory(region=region("33"), villages=[village], visited_on=DAY)
    problem = ProblemFactory(visit=visit, village=village, status="rectified", rectified_on=LATER, rectification="已清理")
    with pytest.raises(NotPermitted):
        services.problem_close(actor=county, problem=problem)
    services.problem_close(actor=province, problem=problem)
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.CLOSED


def test_overdue_is_open_and_past_its_deadline(county, visit, village):
    today = timezone.localdate()
    late = ProblemFactory(visit=visit, village=village, deadline=today - datetime.timedelta(days=1))
    ProblemFactory(visit=visit, village=village, deadline=today)  # due today: not overdue yet
    ProblemFactory(visit=visit, village=village, deadline=today - datetime.timedelta(days=1), status="rectified",
                   rectified_on=today, rectification="已整改")  # waiting for its re-check: not the township's delay
    rows = ProblemFilterSet({"overdue": "true"}, queryset=problem_list(user=county)).qs
    assert list(rows) == [late]
    assert ProblemFilterSet({"overdue": "false"}, queryset=problem_list(user=county)).qs.count() == 2
