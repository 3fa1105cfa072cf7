"""A Redis cache that fails open: when Redis is unreachable the portal keeps answering.

The cache holds only short-lived, rebuildable state (API rate-limit counters, cached figures). When
Redis is down, Django's own RedisCache raises on every read and write, which would turn every API
request into a 500 (throttling reads the cache first). This backend treats an unreachable Redis as an
empty cache: reads miss, writes are dropped, and one warning per minute is logged. Rate limits are not
enforced while Redis is away; everything else works.
"""
from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_last_warning = 0.0


def _warn(operation: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        logger.warning("cache: Redis unreachable (%s: %s); serving without the cache", operation, error)


class FailOpenRedisCache(RedisCache):
    def _guard(name, default=None):  # noqa: N805 - a decorator factory used in the class body
        def wrap(method):
            def guarded(self, *args, **kwargs):
                try:
                    return method(self, *args, **kwargs)
                except UNREACHABLE as error:
                    _warn(name, error)
                    if name == "get":
                        return kwargs.get("default", args[1] if len(args) > 1 else None)
                    return default
            guarded.__name__ = method.__name__
            return guarded
        return wrap

    get = _guard("get")(RedisCache.get)
    get_many = _guard("get_many", {})(RedisCache.get_many)
    set = _guard("set")(RedisCache.set)
    set_many = _guard("set_many", [])(RedisCache.set_many)
    add = _guard("add", False)(RedisCache.add)
    touch = _guard("touch", False)(RedisCache.touch)
    delete = _guard("delete", False)(RedisCache.delete)
    delete_many = _guard("delete_many")(RedisCache.delete_many)
    has_key = _guard("has_key", False)(RedisCache.has_key)
    incr = _guard("incr", 0)(RedisCache.incr)
    clear = _guard("clear", False)(RedisCache.clear)
    del _guard
