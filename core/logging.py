"""Logs as JSON lines on stdout, tagged with the request id, with secrets redacted.

Wired in ``LOGGING`` (config/settings.py): one handler, ``StdoutHandler``, with
two filters and one of two formatters.

- ``RequestContextFilter`` puts the request id on every record (``record.request_id``).
- ``RedactingFilter`` removes passwords, tokens, session ids, Authorization
  headers, cookies and CSRF tokens from the message, its arguments, the
  ``extra`` fields and the formatted traceback, before any formatter sees them.
- ``JsonFormatter`` writes one JSON object per line: time, level, logger,
  message, request_id; for records about a request (``django.request``,
  ``django.security.*``) also the method, path, status, user id and username;
  the traceback as ``exc``. It takes nothing else from the request: never
  headers, cookies, the query string or the body.
- ``LOG_FORMAT=text`` swaps the JSON formatter for a readable line (the default
  when DEBUG is on).

This module is imported by ``logging.config.dictConfig`` while Django starts,
before the apps are loaded, so it imports no models.
"""
from __future__ import annotations

import datetime
import json
import logging
import math
import re
import sys
from collections.abc import Mapping

from django.utils.functional import LazyObject, empty

from .context import current_request_id

REDACTED = "[REDACTED]"

# Keys whose values are never logged (dict keys, ``extra`` names, ``key=value`` pairs in text).
SENSITIVE = r"passw(?:or)?d|secret|token|authorization|cookie|session_?(?:id|key)|csrf|api_?key"
SENSITIVE_KEY = re.compile(SENSITIVE, re.IGNORECASE)

# Linear time on any input (a log call must never hang on a large message): a key is only tried where a word
# starts (lookbehind), is recognised by a lookahead and then taken whole without backtracking (possessive
# quantifiers, Python 3.11+), and quoted values are scanned once.
_QUOTED = r""""(?:[^"\\]|\\.)*+"|'(?:[^'\\]|\\.)*+'"""
_KEY_VALUE = re.compile(
    rf"""(?P<key>(?<![\w.-])(?=[\w.-]*?(?:{SENSITIVE}))[\w.-]++)"""
    r"""(?P<sep>["']?\s*+[:=]\s*+)"""
    r"""(?P<value>"""
    # ['one', 'two'] (a QueryDict's repr)
    rf"""(?P<list>\[\s*+(?P<list_quote>["'])(?:(?!(?P=list_quote))[^\\]|\\.)*+(?P=list_quote)(?:\s*+,\s*+(?:{_QUOTED}))*+\s*+\]?)"""
    # "quoted" or 'quoted'
    rf"""|(?P<quoted>{_QUOTED})"""
    # bare, with an optional scheme: abc123, Token abc123, Bearer eyJ...
    r"""|(?:(?:token|bearer|basic|digest)\s++)?[^\s&;"'<>]++"""
    # an unbalanced quote: everything up to the next separator
    r"""|["'][^\s&;]*+"""
    r""")""",
    re.IGNORECASE,
)
# Credentials after an authorization scheme, wherever they appear ("sent Token 9944b09...").
_SCHEME_CREDENTIALS = re.compile(r"\b(token|bearer|basic|digest)(\s++)[A-Za-z0-9._~+/-]{8,}+=*+", re.IGNORECASE)


def _redact_match(match: re.Match) -> str:
    key, sep = match.group("key", "sep")
    if match.group("list"):
        quote = match.group("list_quote")
        return f"{key}{sep}[{quote}{REDACTED}{quote}]"
    if match.group("quoted"):
        quote = match.group("quoted")[0]
        return f"{key}{sep}{quote}{REDACTED}{quote}"
    return f"{key}{sep}{REDACTED}"


def redact_text(text: str) -> str:
    """The text with the values of sensitive ``key=value`` / ``"key": "value"`` pairs and scheme credentials replaced."""
    if not text:
        return text
    text = _KEY_VALUE.sub(_redact_match, text)
    return _SCHEME_CREDENTIALS.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


def redact_data(value, _depth: int = 0):
    """A copy of ``value`` with the values of sensitive keys replaced, at any depth (mappings, lists, strings)."""
    if _depth > 8:
        return REDACTED  # too deep to check: drop it rather than risk it
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and SENSITIVE_KEY.search(key) else redact_data(item, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [redact_data(item, _depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, (bytes, bytearray)):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    return value


# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# Extras that are handled on their own (the request object is never serialised).
_OWN_FIELDS = {"request", "request_id", "status_code", "server_time"}


def _extras(record: logging.LogRecord) -> dict:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _RECORD_ATTRIBUTES and key not in _OWN_FIELDS and not key.startswith("_")
    }


class RedactingFilter(logging.Filter):
    """Scrubs a record before it is formatted (on the handler, so it also sees records of child loggers).

    The message is rendered with redacted arguments and then redacted as text; the arguments are dropped.
    Sensitive ``extra`` fields are replaced, the others redacted like arguments. The traceback is rendered
    and redacted into ``exc_text``, which every formatter uses instead of rendering it again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_qiancun_redacted", False):
            return True
        try:
            if record.args:
                record.args = redact_data(record.args) if isinstance(record.args, Mapping) else tuple(
                    redact_data(arg) for arg in record.args
                )
            record.msg = redact_text(record.getMessage())
            record.args = ()
        except Exception:  # a malformed format string: the handler reports it, without the secrets
            if isinstance(record.msg, str):
                record.msg = redact_text(record.msg)
        for key, value in _extras(record).items():
            setattr(record, key, REDACTED if SENSITIVE_KEY.search(key) else redact_data(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        record._qiancun_redacted = True
        return True


def _request_of(record: logging.LogRecord):
    """The Django request a record is about (django.request, django.security.*), or None."""
    from django.http import HttpRequest

    request = getattr(record, "request", None)
    return request if isinstance(request, HttpRequest) else None


class RequestContextFilter(logging.Filter):
    """Sets ``record.request_id``: the id of the request being served (RequestContextMiddleware), else '-'.

    Django logs a 4xx response after the middleware has left the request context; the request on the
    record still carries its id then.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            request = _request_of(record)
            record.request_id = current_request_id() or getattr(request, "id", None) or "-"
        return True


def _user_fields(request) -> dict:
    """The id and username of the request's user, if the request already knows it.

    A user that was never looked up (AuthenticationMiddleware's lazy object, unevaluated) stays unknown: a log
    call does no I/O, and the database may be the very thing that failed. Every portal view and every API call
    looks the user up before it can fail, so request errors name their user.
    """
    user = getattr(request, "user", None)
    if isinstance(user, LazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"user_id": user.pk, "username": user.get_username()}


def _current_task() -> dict:
    try:
        from celery._state import get_current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return {}
    task = get_current_task()
    if task is None or task.request.id is None:
        return {}
    return {"task": task.name, "task_id": task.request.id}


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Use with RedactingFilter on the handler; the message, extras and
    traceback are redacted here once more, so a record that skipped the filter leaks nothing either."""

    def format(self, record: logging.LogRecord) -> str:
        request = _request_of(record)
        request_id = getattr(record, "request_id", None)
        if request_id in (None, "-"):
            request_id = current_request_id() or getattr(request, "id", None)
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_text(record.getMessage()),
            "request_id": request_id,
        }
        if request is not None:
            entry["method"] = request.method
            entry["path"] = request.path  # the path only: a query string may carry a token
            entry.update(_user_fields(request))
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            entry["status"] = status
        entry.update(_current_task())
        for key, value in _extras(record).items():
            if key not in entry:
                entry[key] = REDACTED if SENSITIVE_KEY.search(key) else _jsonable(redact_data(value))
        if record.exc_info or record.exc_text:
            entry["exc"] = redact_text(record.exc_text or self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact_text(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=lambda value: redact_text(str(value)))


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and Infinity are not JSON
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return redact_text(str(value))[:2000]


def _is_logging_proxy(stream) -> bool:
    cls = type(stream)
    return cls.__name__ == "LoggingProxy" and cls.__module__.startswith("celery")


class StdoutHandler(logging.StreamHandler):
    """A StreamHandler on whatever ``sys.stdout`` is when a record is emitted, not when logging was configured
    (so output replaced later, as by pytest's capsys, is followed).

    A Celery worker replaces sys.stdout with a proxy that turns writes into log records
    (``worker_redirect_stdouts``); writing log lines there would loop back into logging, and Celery drops
    such writes. Then the process's real stdout is used.
    """

    def __init__(self):
        super().__init__(stream=sys.stdout)

    @property
    def stream(self):
        stream = sys.stdout
        if stream is None or _is_logging_proxy(stream):
            stream = sys.__stdout__ or sys.__stderr__
        return stream

    @stream.setter
    def stream(self, value):
        """Ignored: the stream is always the current stdout."""
