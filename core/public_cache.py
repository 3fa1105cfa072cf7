"""The cache of the public pages (disclosure.views): a generation number kept in the cache is part of every cached
public page's key. A write that changes what the public may read (a bulletin published, an exemplary case published,
edited or withdrawn, a county opening or closing its village pages) calls ``changed()``; once its transaction
commits the number moves on, and no cached page outlives what it showed. Other figures on the public pages (a
project's progress) are at most ``PUBLIC_CACHE_SECONDS`` old."""
from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "public-pages:generation"


def _fresh() -> int:
    # After the cache was emptied a new number never repeats one a cached page may still carry.
    return int(time.time() * 1000)


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, _fresh(), timeout=None)
        value = cache.get(GENERATION_KEY) or 0  # 0: the cache is down (core.cache fails open)
    return int(value)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set (never read, or evicted)
        cache.set(GENERATION_KEY, _fresh(), timeout=None)


def changed() -> None:
    """What the public may read changes with the current transaction: new pages once it commits."""
    transaction.on_commit(_bump)
