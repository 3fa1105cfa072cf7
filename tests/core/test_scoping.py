"""The gate: which rows each role sees and may act on, for every model it knows."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from core import scoping
from core.models import Role, RoleAssignment
from funding.models import Allocation, FundingSource
from projects.models import Project
from tests.factories import (
    AllocationFactory,
    AssessmentFactory,
    FundingSourceFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    region,
)
from villages.models import Village


def _user(name, *grants):
    user = get_user_model().objects.create_user(name, password="x" * 12)
    for role, code in grants:
        RoleAssignment.objects.create(user=user, role=role, region=region(code))
    return user


@pytest.fixture
def two_townships(db):
    """Two townships of 安吉县, one of 长兴县, and far from them one of 杭州市 and one of 江苏省."""
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    lujia = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    other = VillageFactory(township_code="330522001", code="330522001201", name="外县村委会")
    xiajiang = VillageFactory(township_code="330127106", code="330127106201", name="下姜村委会")
    fushan = VillageFactory(township_code="320581105", code="320581105201", name="福山村委会")
    return {v.code: ProjectFactory(village=v) for v in (yucun, lujia, other, xiajiang, fushan)}


def test_every_model_with_an_area_is_registered():
    """A new domain model must say how the gate places it (or be listed as area-less)."""
    # Per user, not per area: idempotency keys are looked up by their owner only.
    arealess = {"core.user", "core.auditentry", "assessment.indicator", "core.idempotencykey"}
    ours = ("core", "villages", "projects", "funding", "assessment", "maintenance", "dashboard")
    labels = {model._meta.label_lower for model in apps.get_models() if model._meta.app_label in ours}
    assert labels - arealess - set(scoping.AREA_PATHS) == set()


@pytest.mark.parametrize(
    "grants, visible",
    [
        ([(Role.TOWNSHIP_OFFICIAL, "330523108")], {"330523108204"}),
        ([(Role.TOWNSHIP_OFFICIAL, "330523108"), (Role.TOWNSHIP_OFFICIAL, "330523001")], {"330523108204", "330523001211"}),
        ([(Role.COUNTY_STAFF, "330523")], {"330523108204", "330523001211"}),
        ([(Role.SUPERVISOR, "3305")], {"330523108204", "330523001211", "330522001201"}),
        ([(Role.API_CLIENT, "330522")], {"330522001201"}),
        ([(Role.API_CLIENT, "33")], {"330523108204", "330523001211", "330522001201", "330127106201"}),
        ([(Role.SUPERVISOR, "3301")], {"330127106201"}),
        ([(Role.COUNTY_STAFF, "320581")], {"320581105201"}),
        ([(Role.API_CLIENT, "32")], {"320581105201"}),
        ([(Role.SUPERVISOR, "3305"), (Role.TOWNSHIP_OFFICIAL, "320581105")],
         {"330523108204", "330523001211", "330522001201", "320581105201"}),
        ([], set()),
    ],
)
def test_view_scope_is_everything_below_the_granted_regions(two_townships, grants, visible):
    user = _user("u", *grants)
    assert {p.village_id for p in scoping.restrict(Project.objects.all(), user)} == visible
    assert set(scoping.restrict(Village.objects.all(), user).values_list("code", flat=True)) == visible
    for project in two_townships.values():
        assert scoping.can(user, "view", project) == (project.village_id in visible)


def test_superuser_sees_everything_and_anonymous_nothing(two_townships):
    from django.contrib.auth.models import AnonymousUser

    admin = get_user_model().objects.create_superuser("root", password="x" * 12)
    assert scoping.restrict(Project.objects.all(), admin).count() == 5
    assert scoping.restrict(Project.objects.all(), AnonymousUser()).count() == 0
    assert not scoping.can(AnonymousUser(), "view", two_townships["330523108204"])


def test_inactive_user_has_no_scope(two_townships):
    user = _user("gone", (Role.COUNTY_STAFF, "330523"))
    user.is_active = False
    assert scoping.restrict(Project.objects.all(), user).count() == 0


def test_actions_follow_the_role(two_townships):
    project = two_townships["330523108204"]
    official = _user("o", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    county = _user("c", (Role.COUNTY_STAFF, "330523"))
    supervisor = _user("s", (Role.SUPERVISOR, "3305"))
    api = _user("a", (Role.API_CLIENT, "33"))
    assert scoping.can(official, "project.edit", project) and not scoping.can(official, "project.approve", project)
    assert scoping.can(county, "project.approve", project) and not scoping.can(county, "project.edit", project)
    assert not scoping.can(supervisor, "project.approve", project) and scoping.can(supervisor, "view", project)
    assert not any(scoping.can(api, action, project) for action in scoping.PERMISSIONS if action != "view")
    with pytest.raises(ValueError):
        scoping.can(official, "project.teleport", project)


def test_related_rows_follow_their_project(two_townships):
    official = _user("o", (Role.TOWNSHIP_OFFICIAL, "330523001"))
    ProgressReportFactory(project=ProjectFactory(village=two_townships["330523108204"].village, status="under_construction"))
    ProgressReportFactory(project=ProjectFactory(village=two_townships["330523001211"].village, status="under_construction"))
    AssessmentFactory(village=two_townships["330523108204"].village)
    mine = AssessmentFactory(village=two_townships["330523001211"].village, scheme__name="另一方案")
    from assessment.models import Assessment
    from projects.models import ProgressReport

    assert [r.project.village_id for r in scoping.restrict(ProgressReport.objects.all(), official)] == ["330523001211"]
    assert list(scoping.restrict(Assessment.objects.all(), official)) == [mine]


def test_sources_above_are_visible_but_only_own_level_is_managed(db):
    provincial = FundingSourceFactory(region=region("33"), kind="provincial_special", name="省级专项")
    city = FundingSourceFactory(region=region("3305"), kind="city_matching", name="市级配套")
    county = FundingSourceFactory(region=region("330523"), name="安吉县财政")
    neighbour = FundingSourceFactory(region=region("330522"), name="长兴县财政")
    # Far from 湖州市: a provincial fund earmarked for 淳安县 (杭州市), and 江苏省's own.
    chunan = FundingSourceFactory(region=region("33"), kind="provincial_special", name="省级专项（淳安县）",
                                  beneficiary_region=region("330127"))
    jiangsu = FundingSourceFactory(region=region("32"), kind="provincial_special", name="江苏省级专项")
    county_staff = _user("c", (Role.COUNTY_STAFF, "330523"))
    supervisor = _user("s", (Role.SUPERVISOR, "3305"))
    assert set(scoping.restrict(FundingSource.objects.all(), county_staff)) == {provincial, city, county}
    assert set(scoping.restrict(FundingSource.objects.all(), supervisor)) == {provincial, city, county, neighbour}
    assert set(scoping.restrict(FundingSource.objects.all(), _user("h", (Role.SUPERVISOR, "3301")))) == {provincial, chunan}
    assert set(scoping.restrict(FundingSource.objects.all(), _user("j", (Role.COUNTY_STAFF, "320581")))) == {jiangsu}
    assert set(scoping.restrict(FundingSource.objects.all(), county_staff, "funding_source.manage")) == {county}
    assert set(scoping.restrict(FundingSource.objects.all(), supervisor, "funding_source.manage")) == {city}
    assert scoping.can(county_staff, "view", provincial) and not scoping.can(county_staff, "view", neighbour)


def test_allocations_are_scoped_by_project_not_by_source(db):
    provincial = FundingSourceFactory(region=region("33"), kind="provincial_special", name="省级专项")
    here = AllocationFactory(source=provincial, project__village=VillageFactory(code="330523108204"))
    AllocationFactory(source=provincial, project__village=VillageFactory(township_code="330522001", code="330522001201"))
    county_staff = _user("c", (Role.COUNTY_STAFF, "330523"))
    assert list(scoping.restrict(Allocation.objects.all(), county_staff)) == [here]


def test_scope_filter_uses_the_code_prefix_without_joins(two_townships):
    user = _user("o", (Role.COUNTY_STAFF, "330523"))
    sql = str(scoping.restrict(Project.objects.all(), user).query)
    assert "JOIN" not in sql.upper() and "village_id" in sql
