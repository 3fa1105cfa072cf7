"""The gate's small parts, each on its own: who has grants at all, reading them once per user object, the
unrestricted user, can_anywhere (buttons and menus), require's refusal, the default action, and finding an
object's division code by its path without loading the division."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission

from core import scoping
from core.exceptions import NotPermitted
from core.models import Role
from funding.models import Disbursement, FundingSource
from projects.models import Project
from tests.factories import DisbursementFactory, FundingSourceFactory, ProjectFactory, VillageFactory, region, user_with
from villages.models import Village


@pytest.mark.parametrize("nobody", [None, AnonymousUser()])
def test_nobody_has_grants_or_reach(db, nobody):
    assert scoping.grants(nobody) == ()
    assert scoping.roles_of(nobody) == set()
    assert not scoping.is_unrestricted(nobody)
    assert not scoping.can_anywhere(nobody, "view")
    VillageFactory(code="330523108201")
    assert list(scoping.restrict(Village.objects.all(), nobody)) == []


def test_an_inactive_user_keeps_no_reach(db):
    VillageFactory(code="330523108201")
    user = user_with("retired", (Role.COUNTY_STAFF, "330523"))
    user.is_active = False
    user.is_superuser = True
    user.save()
    assert scoping.grants(user) == ()
    assert not scoping.is_unrestricted(user)
    assert not scoping.can(user, "view", Village.objects.get())
    assert list(scoping.restrict(Village.objects.all(), user)) == []


def test_grants_are_read_once_per_user_object_in_region_order(db, django_assert_num_queries):
    user = user_with("both", (Role.COUNTY_STAFF, "330523"), (Role.TOWNSHIP_OFFICIAL, "330127106"), (Role.SUPERVISOR, "3305"))
    with django_assert_num_queries(1):
        first = scoping.grants(user)
        again = scoping.grants(user)
        roles = scoping.roles_of(user)
    assert first == again == (
        scoping.Grant(Role.TOWNSHIP_OFFICIAL, "330127106"), scoping.Grant(Role.SUPERVISOR, "3305"), scoping.Grant(Role.COUNTY_STAFF, "330523"))
    assert roles == {Role.COUNTY_STAFF, Role.SUPERVISOR, Role.TOWNSHIP_OFFICIAL}


def test_can_anywhere_shows_a_button_to_those_who_hold_the_action_somewhere(db):
    root = user_with("root")
    root.is_superuser = True
    root.save()
    county = user_with("county", (Role.COUNTY_STAFF, "330523"))
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    assert scoping.can_anywhere(root, "assessment.manage")
    assert scoping.can_anywhere(county, "assessment.manage")
    assert not scoping.can_anywhere(official, "assessment.manage")
    assert scoping.can_anywhere(official, "followup.record")
    assert not scoping.can_anywhere(user_with("nobody"), "view")


def test_require_names_the_refused_action(db):
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    village = VillageFactory(code="330523108201")
    scoping.require(official, "project.create", village)  # allowed: no exception
    with pytest.raises(NotPermitted) as refused:
        scoping.require(official, "village.edit", village)
    assert refused.value.action == "village.edit"
    with pytest.raises(NotPermitted) as refused:
        scoping.require(official, "project.create", VillageFactory(township_code="330523001", code="330523001202"))
    assert refused.value.action == "project.create"


def test_the_default_action_is_view(db):
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    mine = VillageFactory(code="330523108201")
    VillageFactory(township_code="330523001", code="330523001202")
    assert list(Village.objects.filter(scoping.scope_q(Village, official))) == [mine]
    assert list(scoping.restrict(Village.objects.all(), official)) == [mine]


def test_a_code_stands_for_its_region_in_can(db):
    """round_finalise asks about a county by its code: the code is its own area."""
    county = user_with("county", (Role.COUNTY_STAFF, "330523"))
    assert scoping.area_code_of("330523") == "330523"
    assert scoping.can(county, "assessment.manage", "330523")
    assert scoping.can(county, "assessment.manage", "330523108")
    assert not scoping.can(county, "assessment.manage", "330522")
    assert not scoping.can(county, "assessment.manage", "3305")


def test_the_area_code_is_read_along_the_path_without_loading_the_division(db, django_assert_num_queries):
    disbursement = DisbursementFactory(allocation__project__village=VillageFactory(code="330523108201"))
    project = Project.objects.get(pk=disbursement.allocation.project_id)
    with django_assert_num_queries(0):
        assert scoping.area_code_of(project) == "330523108201"
    fresh = Disbursement.objects.get(pk=disbursement.pk)
    with django_assert_num_queries(1):  # the allocation (which carries its village's code); not the village
        assert scoping.area_code_of(fresh) == "330523108201"


def test_an_empty_relation_on_the_path_gives_no_code(db):
    village = VillageFactory(township_code="330523108", code="330523108201")
    plain = FundingSourceFactory(region=region("33"), kind="provincial_special", name="省级专项")
    for_village = FundingSourceFactory(region=region("3305"), kind="social_donation", name="捐赠（余村）", village=village)
    plain, for_village = FundingSource.objects.get(pk=plain.pk), FundingSource.objects.get(pk=for_village.pk)
    assert scoping.area_code_of_path(plain, "village__code") is None
    assert scoping.area_code_of_path(plain, "village__township__code") is None
    assert scoping.area_code_of_path(for_village, "village__code") == "330523108201"
    assert scoping.area_code_of_path(for_village, "village__township__code") == "330523108"


def test_a_superuser_may_do_anything_anywhere(db):
    """`can` answers yes for the unrestricted user without looking for a grant: a project of a county it holds
    nothing in, any action."""
    root = get_user_model().objects.create_superuser("root-can", password="x" * 12)
    project = ProjectFactory(village=VillageFactory(township_code="320581106", code="320581106201"))
    assert all(scoping.can(root, action, project) for action in ("view", "project.edit", "project.approve"))
    someone = user_with("anji-can", (Role.COUNTY_STAFF, "330523"))
    assert not scoping.can(someone, "view", project)


def test_an_unknown_action_or_model_is_a_programming_error_that_names_itself(db):
    user = user_with("anji-unknown", (Role.COUNTY_STAFF, "330523"))
    with pytest.raises(ValueError, match=r"^unknown action 'project\.teleport'$"):
        scoping.can(user, "project.teleport", ProjectFactory(village=VillageFactory(code="330523108201")))
    with pytest.raises(LookupError, match=r"^auth\.Permission has no area path in core\.scoping\.AREA_PATHS$"):
        scoping.area_path(Permission)
