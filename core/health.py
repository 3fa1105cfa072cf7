"""GET /healthz: can this process serve requests and queue tasks?

Answers ``{"status": "ok"|"degraded", "checks": {"database": {...}, "broker": {...}}}``,
200 when every check passes and 503 otherwise. Each check reports ``ok``, how
long it took (``ms``) and, when it failed, the ``error`` type only; the details
go to the log (logger ``core.health``), not to an anonymous caller.

Cheap enough to poll every few seconds: one ``SELECT 1`` on the process's
database connection and one Redis PING on a client kept per process, each
bounded (the broker by 1 s timeouts without retries, the database by
``DATABASE_CONNECT_TIMEOUT`` when connecting). No session, no login, no CSRF,
no throttling: ``HealthCheckMiddleware`` answers before those middlewares run.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponseNotAllowed, JsonResponse

logger = logging.getLogger(__name__)

PATH = "/healthz"
TIMEOUT = 1.0  # seconds, for every network step of the broker check
# Brokers checked by opening a TCP connection, with their default ports.
TCP_BROKER_PORTS = {"amqp": 5672, "pyamqp": 5672, "amqps": 5671}

_client_lock = threading.Lock()
_client: tuple[str, object] | None = None  # (broker URL, redis.Redis) kept for the life of the process


def reset_broker_client() -> None:
    """Forget the cached Redis client (tests, or after the broker URL changed)."""
    global _client
    with _client_lock:
        cached, _client = _client, None
    if cached is not None:
        try:
            cached[1].close()
        except Exception:  # closing a broken client must not fail anything
            pass


def _redis_client(url: str):
    global _client
    with _client_lock:
        if _client is None or _client[0] != url:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=TIMEOUT,
                socket_timeout=TIMEOUT,
                # redis-py retries failed commands with backoff by default; a probe must answer at once.
                retry=Retry(NoBackoff(), 0),
                retry_on_timeout=False,
            )
            _client = (url, client)
        return _client[1]


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _failed(name: str, exc: BaseException, started: float) -> dict:
    logger.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
    return {"ok": False, "ms": _elapsed_ms(started), "error": type(exc).__name__}


def check_database() -> dict:
    """``SELECT 1`` on the default connection; a connection that fails is closed so the next poll reconnects."""
    connection = connections[DEFAULT_DB_ALIAS]
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # django.db.Error (OperationalError, InterfaceError) or anything the driver raises
        # Inside a transaction (never the case for this view) closing would discard the caller's work.
        if not connection.in_atomic_block:
            try:
                connection.close()
            except Exception:
                pass
        return _failed("database", exc, started)
    return {"ok": True, "ms": _elapsed_ms(started)}


def check_broker() -> dict:
    """PING the Celery broker (Redis).

    Tasks run eagerly in-process (``memory://``, or CELERY_TASK_ALWAYS_EAGER): fine in development, not ok on a
    process started with DEBUG off, where every task would run inside a web request and block its worker.
    """
    url = (settings.CELERY_BROKER_URL or "memory://").split(";")[0].strip()  # the first of failover URLs
    scheme = urlsplit(url).scheme.lower()
    started = time.perf_counter()
    eager = scheme == "memory" or getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    if eager and not getattr(settings, "DEVELOPMENT_MODE", False):
        logger.warning("health check broker failed: Celery tasks run eagerly in-process on a production server")
        return {"ok": False, "ms": 0.0, "mode": "eager", "error": "EagerTasksInProduction"}
    if scheme == "memory":
        return {"ok": True, "ms": 0.0, "mode": "eager"}
    try:
        if scheme in ("redis", "rediss", "unix"):
            _redis_client(url).ping()
        else:
            parts = urlsplit(url)
            port = parts.port or TCP_BROKER_PORTS.get(scheme)
            if not parts.hostname or not port:
                return {"ok": True, "ms": 0.0, "mode": "unchecked"}
            with socket.create_connection((parts.hostname, port), timeout=TIMEOUT):
                pass
    except Exception as exc:  # redis.ConnectionError / TimeoutError, OSError, a malformed URL
        return _failed("broker", exc, started)
    return {"ok": True, "ms": _elapsed_ms(started)}


def healthz(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(check["ok"] for check in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers /healthz itself, right after SecurityMiddleware, before everything else runs.

    Why a middleware and not only the URL route: Docker's healthcheck calls
    http://127.0.0.1:8000/healthz from inside the container, so its Host header
    is 127.0.0.1:8000, which is not in ALLOWED_HOSTS; CommonMiddleware validates
    the host of every request and would answer 400 (and log a DisallowedHost
    security event every 15 seconds). Making the healthcheck send a matching
    Host header would tie docker-compose.yml to the value of ALLOWED_HOSTS
    (a list, possibly with wildcards). Skipping host validation is safe here:
    the response never uses the host or any other part of the request. The
    request also skips sessions, CSRF, authentication, locale and axes.

    SecurityMiddleware still runs first and adds its headers; SECURE_REDIRECT_EXEMPT
    keeps it from redirecting the plain-http probe to https.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH:
            return healthz(request)
        return self.get_response(request)
