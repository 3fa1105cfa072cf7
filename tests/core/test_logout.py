"""Logging out clears what the portal kept on the device (issue 23: the phone's offline queue of progress reports,
its caches): `Clear-Site-Data: "cache", "storage"` on the logout's answer, which stays Django's (POST only, then
LOGOUT_REDIRECT_URL)."""
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse

from core.account_views import LogoutView
from core.models import Role
from tests.factories import user_with


def test_logout_clears_the_site_data_and_the_session(db):
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    client = Client()
    client.force_login(official)
    assert client.get(reverse("tokens")).status_code == 200
    session_key = client.session.session_key

    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse(settings.LOGOUT_REDIRECT_URL)
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "_auth_user_id" not in client.session
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    again = client.get(reverse("tokens"))
    assert again.status_code == 302 and again["Location"].startswith(reverse("login"))


def test_logout_is_post_only_and_checks_csrf(db):
    assert resolve(reverse("logout")).func.view_class is LogoutView
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(official)
    refused = client.get(reverse("logout"))
    assert refused.status_code == 405 and "Clear-Site-Data" not in refused
    forged = client.post(reverse("logout"))
    assert forged.status_code == 403 and "Clear-Site-Data" not in forged
    assert "_auth_user_id" in client.session


def test_an_anonymous_logout_still_redirects(db):
    response = Client().post(reverse("logout"))
    assert response.status_code == 302 and response["Clear-Site-Data"] == '"cache", "storage"'
