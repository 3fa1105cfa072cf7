import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from core.models import AuditEntry, RoleAssignment
from tests.factories import region


@pytest.fixture
def regions(db):
    region("330523108")
    region("330523001")
    region("3305")


def _snapshot():
    return (
        list(get_user_model().objects.values_list("username", flat=True).order_by("username")),
        list(RoleAssignment.objects.values_list("user__username", "role", "region").order_by("pk")),
        AuditEntry.objects.count(),
    )


def test_grant_role_creates_the_user_and_the_grant(regions):
    call_command("grant_role", "li_ming", "township_official", "330523108", "--password", "a-long-enough-pass")
    user = get_user_model().objects.get(username="li_ming")
    assert user.check_password("a-long-enough-pass")
    assert list(user.role_assignments.values_list("role", "region")) == [("township_official", "330523108")]
    assert AuditEntry.objects.filter(action="grant").count() == 1
    # Granting again changes nothing; a second role is added.
    call_command("grant_role", "li_ming", "township_official", "330523108")
    call_command("grant_role", "li_ming", "township_official", "330523001")
    assert user.role_assignments.count() == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["u1", "mayor", "330523108"], "Unknown role"),
        (["u1", "township_official", "999999999"], "No region has the code"),
        (["u1", "township_official", "330523"], "is held for a township"),
        (["u1", "county_staff", "330523108"], "is held for a county"),
        (["u1", "supervisor", "330523"], "is held for a province/city"),
        (["u1", "township_official", "330523108", "--password", "short"], "too short"),
    ],
)
def test_bad_grants_are_refused_and_change_nothing(regions, args, message):
    before = _snapshot()
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("grant_role", *args)
    assert _snapshot() == before


def test_errors_are_in_chinese_by_default(regions):
    with pytest.raises(CommandError, match="未知角色"):
        call_command("grant_role", "u1", "mayor", "330523108")


def test_database_refuses_a_role_at_the_wrong_level(regions):
    from django.db import IntegrityError, transaction

    user = get_user_model().objects.create_user("x", password="x" * 12)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role="county_staff", region=region("3305"))
    RoleAssignment.objects.create(user=user, role="supervisor", region=region("3305"))
