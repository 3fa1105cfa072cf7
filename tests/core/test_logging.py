"""Logs: JSON lines on stdout with the request id, and never a password, token,
session id or cookie, whatever a developer passes to a logger."""
import copy
import datetime
import decimal
import json
import logging
import logging.config
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.decorators import login_required
from django.urls import path
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.urls import urlpatterns as project_urlpatterns
from core.logging import REDACTED, JsonFormatter, RedactingFilter, RequestContextFilter, redact_data, redact_text

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Correct-Horse-Battery-9417"
logger = logging.getLogger("tests.careless")


# --- A test URLconf: the project's URLs plus two views ----------------------------------------------------

@login_required
def boom(request):
    raise RuntimeError("the view failed (password=hunter2-in-exception)")


def boom_anonymous(request):
    raise RuntimeError("the public view failed")


def careless(request):
    """Everything a developer should never log, logged."""
    from django.http import HttpResponse

    logger.warning("careless META %s", request.META)
    logger.warning("careless POST %r", request.POST)
    logger.warning("careless cookies %s", request.COOKIES)
    logger.warning("careless headers", extra={"headers": dict(request.headers), "csrftoken": request.COOKIES.get("csrftoken")})
    logger.warning("careless auth %s", request.headers.get("Authorization"))
    logger.warning(f"careless f-string password={request.POST.get('password')}")
    return HttpResponse("logged")


urlpatterns = [path("boom/", boom), path("boom-anonymous/", boom_anonymous), path("careless/", careless), *project_urlpatterns]


# --- Capturing the configured handler, switched to JSON ---------------------------------------------------

def _not_json(constant):
    raise ValueError(f"{constant} is not JSON")


def _strict_json(line: str):
    return json.loads(line, parse_constant=_not_json)  # NaN and Infinity are Python's, not JSON


@pytest.fixture
def json_logs(settings, capsys):
    """LOGGING as configured, with LOG_FORMAT=json, at DEBUG. Returns a function giving the lines written to
    stdout since the last call, each parsed (so a line that is not JSON fails the test) — and the raw text."""
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["root"]["level"] = "DEBUG"
    logging.config.dictConfig(config)
    capsys.readouterr()

    def read():
        captured = capsys.readouterr()
        lines = [_strict_json(line) for line in captured.out.splitlines() if line.strip()]
        return lines, captured.out + captured.err

    yield read
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.urls(__name__)
def test_a_failing_request_is_one_json_error_line_with_path_user_and_request_id(client, django_user_model, json_logs):
    user = django_user_model.objects.create_user("township_li", password=PASSWORD)
    client.force_login(user)
    client.raise_request_exception = False
    response = client.get("/boom/?token=abcdef0123456789")
    assert response.status_code == 500
    lines, raw = json_logs()
    errors = [line for line in lines if line["logger"] == "django.request" and line["level"] == "ERROR"]
    assert len(errors) == 1, lines
    error = errors[0]
    assert error["request_id"] == response["X-Request-ID"]
    assert error["path"] == "/boom/" and error["method"] == "GET" and error["status"] == 500
    assert error["username"] == "township_li" and error["user_id"] == user.pk
    assert "RuntimeError: the view failed" in error["exc"] and "Traceback" in error["exc"]
    datetime.datetime.fromisoformat(error["time"])
    # Never from the request: the query string, cookies, the session; never the secret in the exception text.
    for secret in ("abcdef0123456789", "hunter2-in-exception", client.cookies["sessionid"].value):
        assert secret not in raw
    assert "password=[REDACTED]" in error["exc"]


@pytest.mark.urls(__name__)
def test_the_request_id_sent_by_a_proxy_is_used(client, json_logs):
    client.raise_request_exception = False
    response = client.get("/boom-anonymous/", HTTP_X_REQUEST_ID="lb-7f3a")
    assert response["X-Request-ID"] == "lb-7f3a"
    lines, _ = json_logs()
    error = next(line for line in lines if line["logger"] == "django.request")
    assert error["request_id"] == "lb-7f3a"
    assert "username" not in error  # anonymous


@pytest.mark.urls(__name__)
def test_login_and_token_calls_never_log_password_token_or_session(client, django_user_model, json_logs):
    from core.models import Role, RoleAssignment
    from tests.factories import api_token, region

    user = django_user_model.objects.create_user("api_li", password=PASSWORD)
    RoleAssignment.objects.create(user=user, role=Role.API_CLIENT, region=region("33"))
    key = api_token(user)
    assert client.post("/accounts/login/", {"username": "api_li", "password": PASSWORD + "-wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "api_li", "password": PASSWORD}).status_code == 302
    session = client.cookies["sessionid"].value
    assert client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Token {key[::-1]}").status_code == 401  # logged: 401
    client.cookies["csrftoken"] = csrf = "Zx9" * 11
    response = client.post(
        "/careless/", {"username": "api_li", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 200
    lines, raw = json_logs()
    assert any(line["message"].startswith("careless META") for line in lines)  # the careless view did log
    unauthorized = [line for line in lines if line.get("status") == 401]
    assert unauthorized and all(line["request_id"] and line["path"] == "/api/v1/ping/" for line in unauthorized)
    assert REDACTED in raw
    for secret in (PASSWORD, key, key[::-1], session, csrf):
        assert secret not in raw, secret
    headers = next(line for line in lines if line["message"] == "careless headers")
    assert headers["csrftoken"] == REDACTED and headers["headers"]["Authorization"] == REDACTED
    assert headers["headers"]["Cookie"] == REDACTED


def test_every_line_is_one_valid_json_object(json_logs):
    class Opaque:
        def __repr__(self):
            return "<Opaque sessionid=abcdef123456>"

    log = logging.getLogger("tests.lines")
    log.info("第一行\nsecond line with \"quotes\" and \\ backslash", extra={"amount": decimal.Decimal("1.50"), "obj": Opaque()})
    log.warning("%s and %d%%", "args", 100,
                extra={"at": datetime.datetime(2025, 1, 2, 3, 4, 5), "nested": {"token": "x"}, "ratio": float("nan")})
    try:
        raise ValueError("multi\nline")
    except ValueError:
        log.exception("failed")
    log.debug("bytes %s", b"\xff\xfe password=zz")
    log.info({"a dict": "as the message", "secret": "s3"})
    all_lines, raw = json_logs()
    assert len(all_lines) == len(raw.strip().splitlines())
    lines = [line for line in all_lines if line["logger"] == "tests.lines"]
    assert len(lines) == 5
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
        assert datetime.datetime.fromisoformat(line["time"]).tzinfo is not None
    assert lines[0]["message"].startswith("第一行\nsecond") and lines[0]["amount"] == "1.50"
    assert lines[0]["obj"] == "<Opaque sessionid=[REDACTED]>"
    assert lines[1]["message"] == "args and 100%" and lines[1]["nested"] == {"token": REDACTED}
    assert lines[1]["ratio"] == "nan" and lines[1]["at"] == "2025-01-02 03:04:05"
    assert lines[2]["level"] == "ERROR" and "ValueError: multi\nline" in lines[2]["exc"]
    assert "zz" not in lines[3]["message"] and "s3" not in lines[4]["message"]


def test_request_id_comes_from_the_request_context():
    from core.context import request_context

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "inside", (), None)
    with request_context(ip="10.0.0.1", request_id="req-123"):
        RequestContextFilter().filter(record)
        inside = json.loads(JsonFormatter().format(record))
    outside = json.loads(JsonFormatter().format(logging.LogRecord("x", logging.INFO, __file__, 1, "outside", (), None)))
    assert record.request_id == "req-123" and inside["request_id"] == "req-123"
    assert outside["request_id"] is None


def test_a_log_call_never_looks_the_user_up():
    """The formatter reads the user only if the request already did: no session or database query from a log
    call (the database may be what failed)."""
    from django.test import RequestFactory
    from django.utils.functional import SimpleLazyObject

    def lookup():
        raise AssertionError("the formatter looked the user up")

    request = RequestFactory().get("/projects/?token=abcdefgh12345678")
    request.user = SimpleLazyObject(lookup)
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/projects/",), None)
    record.request, record.status_code = request, 500
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/projects/" and line["status"] == 500 and "username" not in line
    assert "abcdefgh12345678" not in json.dumps(line)


# --- The redaction filter, property-based --------------------------------------------------------------

SENSITIVE_KEYS = ["password", "passwd", "new_password1", "secret", "client_secret", "token", "access_token",
                  "Authorization", "HTTP_AUTHORIZATION", "cookie", "HTTP_COOKIE", "Set-Cookie", "sessionid",
                  "session_key", "csrftoken", "csrfmiddlewaretoken", "X-CSRFToken", "api_key", "SECRET_KEY"]
keys = st.sampled_from(SENSITIVE_KEYS).flatmap(lambda k: st.sampled_from([k, k.upper(), k.lower()]))
# Values as they travel unquoted (query strings, cookies, key=value text): no separators in them.
bare_secrets = st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"], include_characters="-_.~+/=!@#$%^*()[]{}:,"),
                       min_size=6, max_size=40)
any_secrets = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=6, max_size=40)
SURROUNDINGS = ["", "POST /accounts/login/ ", "user=li ", "登录失败 "]


def _absent(secret: str, text: str) -> bool:
    return secret not in text and json.dumps(secret, ensure_ascii=False)[1:-1] not in text


PLACEHOLDER = "\x07"  # stands for the secret in a baseline output


def _leaks(build, secret: str) -> bool:
    """Whether ``build(secret)`` shows the secret, for a secret that does not already occur in the output's
    own text (field names, the key, "[REDACTED]"...): that is the output built around a placeholder."""
    assume(secret.strip() and _absent(secret, build(PLACEHOLDER)))
    return not _absent(secret, build(secret))


@hypothesis_settings(max_examples=300, deadline=None)
@given(key=keys, secret=bare_secrets, separator=st.sampled_from(["=", ": ", "=", ":"]),
       before=st.sampled_from(SURROUNDINGS), after=st.sampled_from(["", "&next=/", "; path=/", " done"]))
def test_key_value_text_never_keeps_the_value(key, secret, separator, before, after):
    def build(value):
        return redact_text(f"{before}{key}{separator}{value}{after}")

    assert not _leaks(build, secret), build(secret)
    assert redact_text(build(secret)) == build(secret)  # idempotent: a second pass changes nothing


@hypothesis_settings(max_examples=300, deadline=None)
@given(key=keys, secret=any_secrets, style=st.sampled_from(["json", "repr", "querydict", "header"]))
def test_quoted_values_in_text_never_survive(key, secret, style):
    from django.http import QueryDict

    def build(value):
        if style == "json":
            text = json.dumps({"user": "li", key: value}, ensure_ascii=False)
        elif style == "repr":
            text = repr({"user": "li", key: value})
        elif style == "querydict":
            data = QueryDict(mutable=True)
            data.setlist(key, [value, value + "2"])
            text = repr(data)
        else:
            text = f"{key}: {json.dumps(value, ensure_ascii=False)}"
        return redact_text(text)

    assert not _leaks(build, secret), build(secret)


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=keys, secret=any_secrets, where=st.sampled_from(["args", "extra", "nested", "list"]))
def test_records_never_carry_a_secret_to_the_output(key, secret, where):
    def build(value):
        args, extra, msg = (), {}, "event"
        if where == "args":
            msg, args = "data %s", ({key: value},)
        elif where == "extra":
            extra = {key.replace("-", "_"): value}
        elif where == "nested":
            extra = {"context": {"request": {"headers": {key: value}}}}
        else:
            msg, args = "items %s", ([{"name": "x", key: value}],)
        record = logging.LogRecord("tests.redact", logging.WARNING, __file__, 1, msg, args, None)
        record.created = 0.0  # the same time in every output
        record.__dict__.update(extra)
        RedactingFilter().filter(record)
        output = JsonFormatter().format(record)
        _strict_json(output)
        return output + "\n" + logging.Formatter("%(message)s").format(record)

    assert not _leaks(build, secret), build(secret)


@hypothesis_settings(max_examples=200, deadline=None)
@given(scheme=st.sampled_from(["Token", "Bearer", "Basic", "token", "bearer"]),
       credential=st.text(alphabet="abcdef0123456789ABCDEFXYZ._-+/", min_size=8, max_size=60),
       before=st.sampled_from(["sent ", "retry with ", "header was: ", ""]))
def test_scheme_credentials_anywhere_in_text(scheme, credential, before):
    redacted = redact_text(f"{before}{scheme} {credential} to the API")
    assert credential not in redacted and f"{scheme} {REDACTED}" in redacted


@pytest.mark.parametrize("text", [
    "a" * 300_000,  # one long word: a key pattern that backtracks is quadratic here (10,000 characters took 7 s)
    "token" * 60_000,
    "password " * 30_000,
    'password="' + "x" * 300_000,
    "password: ['" + "x" * 300_000,
    "Bearer " + "A" * 300_000,
    ".-" * 150_000,
])
def test_redaction_takes_linear_time_on_hostile_input(text):
    started = time.perf_counter()
    redact_text(text)
    assert time.perf_counter() - started < 1.0


def test_redact_data_keeps_what_is_not_secret():
    data = {"username": "li", "count": 3, "items": [{"token": "t"}, "plain"], "Authorization": "Token x"}
    assert redact_data(data) == {"username": "li", "count": 3, "items": [{"token": REDACTED}, "plain"], "Authorization": REDACTED}


# --- Format switch and Celery workers (fresh processes) ---------------------------------------------------

CLEAN_PREFIXES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "LOG_")


def _run(code: str, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN_PREFIXES)}
    base.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789", "ALLOWED_HOSTS": "example.org",
              "DATABASE_URL": "postgres://qiancun_app@127.0.0.1:5432/qiancun", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
LOG_ONE = "import django, logging; django.setup(); logging.getLogger('drill').warning('hello password=%s', 'hunter2')"


def test_json_by_default_in_production_text_when_debugging():
    production = _run(LOG_ONE, **PRODUCTION)
    assert production.returncode == 0, production.stderr
    line = json.loads(production.stdout)
    assert line["message"] == "hello password=[REDACTED]" and line["level"] == "WARNING" and line["logger"] == "drill"
    assert production.stderr == ""
    development = _run(LOG_ONE, DEBUG="1")
    assert development.returncode == 0 and "WARNING drill [-] hello password=[REDACTED]" in development.stdout
    forced = _run(LOG_ONE, **PRODUCTION, LOG_FORMAT="text")
    assert "WARNING drill [-] hello password=[REDACTED]" in forced.stdout
    wrong = _run(LOG_ONE, **PRODUCTION, LOG_FORMAT="xml")
    assert wrong.returncode != 0 and "LOG_FORMAT must be" in wrong.stderr


CELERY_WORKER_LOGGING = """
import logging, django
django.setup()
from celery.utils.log import get_task_logger
from config.celery import app
# What `celery -A config worker --loglevel INFO` does to logging when it starts.
app.log.setup(loglevel="INFO", hostname="drill@localhost")
app.log.redirect_stdouts(app.conf.worker_redirect_stdouts_level)
logging.getLogger("celery.worker").info("worker ready")
get_task_logger("core.tasks").info("task says token=%s", "abc123secret")
print("printed by a task")
"""


def test_celery_workers_write_the_same_json_lines():
    result = _run(CELERY_WORKER_LOGGING, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("celery.worker", "worker ready"),
        ("core.tasks", "task says token=[REDACTED]"),
        ("celery.redirected", "printed by a task"),
    ]
    assert "abc123secret" not in result.stdout + result.stderr
