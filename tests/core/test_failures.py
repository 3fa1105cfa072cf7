"""In-process checks of the failure paths the drills exercise on real servers: the cache fails open,
and an unreachable database answers 503 (page or JSON), never a 500 with a stack trace."""
import time

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.test import override_settings

from core.models import Role
from tests.factories import user_with

DOWN_CACHE = {"default": {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}


@override_settings(CACHES=DOWN_CACHE)
def test_an_unreachable_redis_cache_is_an_empty_cache():
    cache = caches["default"]
    started = time.monotonic()
    assert cache.get("k") is None and cache.get("k", "fallback") == "fallback"
    assert cache.set("k", 1) is None and cache.add("k", 1) is False and cache.get_many(["a", "b"]) == {}
    assert cache.delete("k") is False and cache.incr("n") == 0 and cache.has_key("k") is False
    assert time.monotonic() - started < 5


@override_settings(CACHES=DOWN_CACHE)
def test_the_api_answers_with_its_rate_limit_cache_down(client, db):
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="anji"))
    assert client.get("/api/v1/ping/").status_code == 200


@pytest.mark.parametrize("path, api", [("/villages/", False), ("/api/v1/villages/", True)])
def test_a_database_outage_is_a_503_without_a_stack_trace(client, db, monkeypatch, path, api):
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="anji"))
    client.raise_request_exception = False

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    target = "villages.api.VillageViewSet.list" if api else "villages.views.VillageListView.get"
    monkeypatch.setattr(target, down)
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Traceback" not in body and "server closed the connection" not in body
    if api:
        assert response.json()["code"] == "service_unavailable"
    else:
        assert "数据库暂时不可用" in body


def test_other_errors_stay_500(client, db, monkeypatch):
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="anji"))
    client.raise_request_exception = False
    monkeypatch.setattr("villages.api.VillageViewSet.list", lambda *a, **k: 1 / 0)
    response = client.get("/api/v1/villages/")
    assert response.status_code == 500 and response.json()["code"] == "server_error"
