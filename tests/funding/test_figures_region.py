"""The money-by-area page starts at the user's own region; nothing assumes the province is Zhejiang (33)."""
import pytest
from django.urls import reverse

from core.models import Role
from tests.factories import VillageFactory, region, user_with

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("asked", ["", "abc", "3305231", "３３"])
def test_no_or_a_malformed_region_shows_the_users_own(client, asked):
    VillageFactory(code="330523108204")
    client.force_login(user_with("anji", (Role.COUNTY_STAFF, "330523")))
    response = client.get(reverse("funding:figures"), {"region": asked} if asked else {})
    assert response.status_code == 200 and response.context["code"] == "330523"


def test_a_superuser_starts_at_the_first_province_loaded(client, django_user_model):
    VillageFactory(code="320102001001", township_code="320102001")
    region("32")
    root = django_user_model.objects.create_superuser("root", password="x-long-enough-password")
    client.force_login(root)
    assert client.get(reverse("funding:figures")).context["code"] == "32"


def test_a_user_without_any_region_is_told_so(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-long-enough-password"))
    assert client.get(reverse("funding:figures")).status_code == 404
