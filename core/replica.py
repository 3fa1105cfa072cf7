"""Reads on a read replica: a PostgreSQL hot standby fed by streaming replication (README "Reads on a replica").

Routing is opt-in. Reads go to the ``replica`` alias only inside a scope marked for it:

* a GET/HEAD request to a view marked with ``replica_reads`` (dashboard pages, their JSON and exports, the
  report pages), marked by ``ReplicaReadsMiddleware.process_view`` once the user is known;
* a GET of an API view through ``core.api.ReplicaReads`` (ScopedViewSet's list and retrieve, the dashboard's
  API): marked in DRF's ``initial()``, after authentication, so a token client's own pin is seen and the
  token lookup itself stays on the primary;
* code that says so explicitly: ``with replica_reads():`` (report generation in the Celery worker).

Everything else reads the primary: every non-GET request, unmarked views, Celery tasks and management commands.
Writes always go to the primary. Within a marked scope the primary is still used:

* after the scope wrote anything (read-your-writes inside one request);
* while the primary connection is inside a transaction (reads that belong to it must see it);
* for sessions, API tokens and login records (a user who just logged in must be found);
* for a user who wrote within REPLICA_PIN_SECONDS: after a request of theirs that wrote (any non-safe method, or
  any write through the ORM), their reads stay on the primary for that long. The pin lives in the cache, keyed by
  user: it covers browser sessions and token clients alike and is shared by all web processes (Redis);
* when the replica is unusable: a check, cached in the process for REPLICA_CHECK_SECONDS, connects to it with a
  short timeout and reads its replay lag; not in recovery, lagging beyond REPLICA_MAX_LAG_SECONDS, or any error
  means primary, logged once per change of state. A read that fails on the replica within a request (it went
  down between two checks) marks it down and the view runs once more on the primary.

This module is the bottom layer (core): it imports no other app.
"""
from __future__ import annotations

import contextvars
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Read on the primary whatever the scope: who is logged in, with which token, and who failed to.
PRIMARY_ONLY_APPS = frozenset({"sessions", "knox", "axes"})
LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


@dataclass
class Scope:
    replica: bool = False  # reads may go to the replica
    wrote: bool = False  # something was written through the ORM in this scope
    sticky_writes: bool = True  # after a write, reads of this scope stay on the primary
    used_replica: bool = False  # a read was sent to the replica
    retry: tuple | None = field(default=None, repr=False)  # the view, to run again on the primary


_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("qiancun_replica_scope", default=None)


def configured() -> bool:
    return REPLICA in settings.DATABASES and getattr(settings, "REPLICA_READS", True)


def current_scope() -> Scope | None:
    return _scope.get()


@contextmanager
def request_scope():
    """The scope of one request: reads on the primary until a view marks it (``allow_for``)."""
    scope = Scope()
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def replica_reads(*, sticky_writes: bool = False):
    """Reads inside the block may go to the replica (for a Celery task's reads: report generation). Its own writes
    (progress, the final row) go to the primary; with sticky_writes, reads after a write stay there too."""
    scope = Scope(replica=True, sticky_writes=sticky_writes)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def replica_reads_view(view):
    """Marks a view (function, or the result of ``as_view()``) whose GET/HEAD reads may go to the replica."""
    view.replica_reads = True
    return view


def _pin_key(user_pk) -> str:
    return f"qiancun:replica-pin:{user_pk}"


def pin(user_pk) -> None:
    """The user's reads stay on the primary for REPLICA_PIN_SECONDS (they just wrote)."""
    seconds = settings.REPLICA_PIN_SECONDS
    cache.set(_pin_key(user_pk), time.time() + seconds, timeout=seconds)


def pinned(user_pk) -> bool:
    until = cache.get(_pin_key(user_pk))
    return until is not None and until > time.time()


def allow_for(request) -> bool:
    """Marks the current request's scope for the replica, unless the request is not a read, the scope wrote, or
    the user is pinned to the primary. ``request.user`` is resolved here, on the primary."""
    scope = _scope.get()
    if scope is None or request.method not in ("GET", "HEAD") or scope.wrote or not configured():
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and pinned(user.pk):
        return False
    scope.replica = True
    return True


# --- Is the replica usable? -------------------------------------------------------------------------

@dataclass
class _Health:
    checked_at: float = float("-inf")
    usable: bool = False
    reason: str = "not checked"
    logged: bool | None = None  # the state last logged


_health = _Health()
_health_lock = threading.Lock()


def reset() -> None:
    """Forget the last check (tests; and a failed read marks the replica down through ``mark_down``)."""
    global _health
    with _health_lock:
        _health = _Health(logged=_health.logged)


def probe() -> tuple[bool, str, float | None]:
    """Connects to the replica on a connection of its own (short timeout) and reads its replay lag."""
    wrapper = connections[REPLICA]
    params = wrapper.get_connection_params()
    params["connect_timeout"] = max(1, int(settings.REPLICA_CHECK_TIMEOUT))
    try:
        raw = wrapper.Database.connect(**params)
    except Exception as error:  # noqa: BLE001 - any failure to connect means "use the primary"
        return False, f"unreachable: {str(error).strip()}", None
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except Exception as error:  # noqa: BLE001
        return False, f"check failed: {str(error).strip()}", None
    finally:
        raw.close()
    if not in_recovery:
        return False, "not in recovery (not a standby: promoted, or misconfigured)", None
    if lag is None:
        return False, "replay lag unknown (nothing replayed yet)", None
    lag = float(lag)
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return False, f"lagging {lag:.1f} s (bound {settings.REPLICA_MAX_LAG_SECONDS} s)", lag
    return True, f"lag {lag:.1f} s", lag


def _record(usable: bool, reason: str) -> None:
    """Called with _health_lock held."""
    _health.checked_at, _health.usable, _health.reason = time.monotonic(), usable, reason
    if _health.logged is not usable:
        if usable:
            logger.info("replica: reads go to the replica again (%s)", reason)
        else:
            logger.warning("replica: reads go to the primary: %s", reason)
        _health.logged = usable


def usable() -> bool:
    if not configured():
        return False
    with _health_lock:
        if time.monotonic() - _health.checked_at < settings.REPLICA_CHECK_SECONDS:
            return _health.usable
        ok, reason, _lag = probe()
        _record(ok, reason)
        return ok


def mark_down(reason: str) -> None:
    with _health_lock:
        _record(False, reason)


# --- The router -----------------------------------------------------------------------------------

def _primary_in_transaction() -> bool:
    """True inside an atomic block on the primary; the test case's own wrapping blocks do not count."""
    primary = connections[PRIMARY]
    return primary.in_atomic_block and not all(getattr(block, "_from_testcase", False) for block in primary.atomic_blocks)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        scope = _scope.get()
        if scope is None or not scope.replica or (scope.wrote and scope.sticky_writes):
            return PRIMARY
        if model._meta.app_label in PRIMARY_ONLY_APPS or _primary_in_transaction() or not usable():
            return PRIMARY
        scope.used_replica = True
        return REPLICA

    def db_for_write(self, model, **hints):
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


# --- The middleware -------------------------------------------------------------------------------

def _marked(view_func) -> bool:
    return bool(getattr(view_func, "replica_reads", False) or getattr(getattr(view_func, "view_class", None), "replica_reads", False))


class ReplicaReadsMiddleware:
    """One scope per request. Marked views (``replica_reads_view``) read from the replica on GET/HEAD; after a
    request that wrote (a non-safe method by a logged-in user, or any ORM write), the user is pinned."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope() as scope:
            response = self.get_response(request)
            scope.replica = False  # what follows (the user, below) reads the primary
            if scope.wrote or request.method not in SAFE_METHODS:
                user = getattr(request, "user", None)  # DRF sets the token client's user on the HttpRequest too
                if user is not None and user.is_authenticated:
                    pin(user.pk)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        scope = _scope.get()
        if scope is None:
            return None
        scope.retry = (view_func, view_args, view_kwargs)
        if _marked(view_func):
            allow_for(request)
        return None

    def process_exception(self, request, exception):
        """A read on the replica failed (it went down after the last check): mark it down and run the view once
        more on the primary; a GET is safe to repeat."""
        scope = _scope.get()
        if (scope is None or not scope.used_replica or scope.retry is None or request.method not in ("GET", "HEAD")
                or not isinstance(exception, (OperationalError, InterfaceError))):
            return None
        mark_down(f"a read failed: {exception}".strip())
        try:
            connections[REPLICA].close()
        except Exception:  # noqa: BLE001 - the connection is broken anyway
            pass
        view_func, view_args, view_kwargs = scope.retry
        scope.replica, scope.used_replica, scope.retry = False, False, None
        response = view_func(request, *view_args, **view_kwargs)
        if hasattr(response, "render") and callable(response.render) and not getattr(response, "is_rendered", True):
            response = response.render()
        return response
