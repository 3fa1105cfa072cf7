"""The context of the current request: client IP and request id.

Set by ``core.middleware.RequestContextMiddleware`` and read by the audit trail
(``core.audit``) and the log formatter (``core.logging``). This module imports
nothing from Django, so the logging configuration can use it before the apps
are loaded.
"""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

_request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("qiancun_request_ip", default=None)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("qiancun_request_id", default=None)


@contextmanager
def request_context(*, ip: str | None, request_id: str | None = None):
    ip_token = _request_ip.set(ip)
    id_token = _request_id.set(request_id or uuid.uuid4().hex)
    try:
        yield
    finally:
        _request_ip.reset(ip_token)
        _request_id.reset(id_token)


def current_ip() -> str | None:
    return _request_ip.get()


def current_request_id() -> str | None:
    return _request_id.get()
