"""Weak passwords are refused, in Chinese, on every path that sets one (issue 15, item 10)."""
import io

import pytest
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sample.demo import DEMO_PASSWORD
from tests.factories import region

WEAK = ["aaaaaaaaaaaa", "passwordpassword", "abcdefghijkl", "qiancun-2024", "123456789012", "qwertyuiopas"]
STRONG = "correct-horse-battery-staple"
PASSWORD = "correct-horse-battery-staple"


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_in_chinese(weak):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        password_validation.validate_password(weak)
    text = " ".join(refused.value.messages)
    assert "密码" in text and "guess" not in text.lower(), text


def test_strong_passphrases_and_the_demo_password_pass(db):
    user = get_user_model()(username="wang")
    password_validation.validate_password(STRONG, user)
    password_validation.validate_password(DEMO_PASSWORD, user)


def test_the_strength_validator_is_configured(settings):
    names = [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert "django_zxcvbn_password_validator.ZxcvbnPasswordValidator" in names
    assert settings.PASSWORD_MINIMAL_STRENGTH == 3
    lengths = [v for v in settings.AUTH_PASSWORD_VALIDATORS if v["NAME"].endswith("MinimumLengthValidator")]
    assert lengths[0]["OPTIONS"]["min_length"] == 12
    with translation.override("zh-hans"):
        assert "密码" in " ".join(str(text) for text in password_validation.password_validators_help_texts())


def test_grant_role_refuses_a_weak_password(db):
    region("330523")
    with pytest.raises(CommandError):
        call_command("grant_role", "li", "county_staff", "330523", "--password", "passwordpassword", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="li").exists()
    call_command("grant_role", "li", "county_staff", "330523", "--password", STRONG, stdout=io.StringIO())
    assert get_user_model().objects.get(username="li").check_password(STRONG)


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password=PASSWORD))
    return client


def test_the_admins_add_user_form_refuses_a_weak_password(admin_client):
    response = admin_client.post(reverse("admin:core_user_add"), {
        "username": "zhao", "password1": "abcdefghijkl", "password2": "abcdefghijkl", "usable_password": "true"})
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="zhao").exists()
    assert "密码" in response.content.decode()


def test_the_admins_password_form_refuses_a_weak_password(admin_client):
    user = get_user_model().objects.create_user("zhao", password=PASSWORD)
    response = admin_client.post(reverse("admin:auth_user_password_change", args=[user.pk]), {
        "password1": "aaaaaaaaaaaa", "password2": "aaaaaaaaaaaa", "usable_password": "true"})
    assert response.status_code == 200
    assert get_user_model().objects.get(pk=user.pk).check_password(PASSWORD)


def test_the_password_page_refuses_a_weak_password_in_chinese(db):
    user = get_user_model().objects.create_user("zhao", password=PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "passwordpassword",
                                                   "new_password2": "passwordpassword"})
    assert response.status_code == 200
    assert "密码" in response.content.decode() and "too guessable" not in response.content.decode()
    assert get_user_model().objects.get(pk=user.pk).check_password(PASSWORD)
