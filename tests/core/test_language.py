from django.urls import reverse


def test_chinese_is_the_default_even_for_an_english_browser(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-hans"' in page.content.decode() and "登录" in page.content.decode()
    assert page["Content-Language"] == "zh-hans"


def test_the_switch_turns_the_interface_to_english(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in page and "Log in" in page and "登录" not in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "登录" in client.get(reverse("login")).content.decode()
