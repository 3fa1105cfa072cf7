"""Settings come from the environment: defaults for development, errors for
an unsafe production configuration, and a Celery app that a worker can load."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import need_service
from tests.stack import port_open

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'debug': s.DEBUG, 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, "
    "'languages': [c for c, _ in s.LANGUAGES], 'hosts': s.ALLOWED_HOSTS, 'broker': s.CELERY_BROKER_URL, "
    "'secure_cookie': s.SESSION_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS, 'development': getattr(s, 'DEVELOPMENT_MODE', None), "
    "'db_user': s.DATABASES['default'].get('USER'), 'db_password': s.DATABASES['default'].get('PASSWORD')}))"
)
CLEAN_KEYS = ("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CELERY_TASK_ALWAYS_EAGER",
              "DATABASE_PASSWORD_FILE", "API_DOCS_PUBLIC", "CACHE_URL")
# What a production server sets: with these, DEBUG=0 starts.
PRODUCTION = {
    "DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "qiancun.example.gov.cn",
    "DATABASE_URL": "postgres://u:p@db.internal:5432/qiancun", "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
}


def _settings(**env):
    base = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    base.update(env)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)
    return result


def test_development_defaults_sqlite_and_eager_celery():
    result = _settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True and values["debug"] is True and values["development"] is True
    assert values["tz"] == "Asia/Shanghai"
    assert values["lang"] == "zh-hans" and values["languages"] == ["zh-hans", "en"]


def test_production_values_come_from_the_environment():
    result = _settings(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["eager"] is False and values["broker"] == "redis://redis.internal:6379/0"
    assert values["hosts"] == ["qiancun.example.gov.cn"]
    assert values["secure_cookie"] is True and values["hsts"] >= 31536000
    assert values["debug"] is False and values["development"] is False


def test_debug_is_off_when_not_set():
    """No DEBUG at all is production: no debug pages, no published development key, no fallbacks."""
    without_debug = {k: v for k, v in PRODUCTION.items() if k != "DEBUG"}
    result = _settings(**without_debug)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False and values["development"] is False and values["secure_cookie"] is True
    # Nothing set at all: refused, naming what is missing (not the development key).
    bare = _settings()
    assert bare.returncode != 0
    assert "SECRET_KEY must be set" in bare.stderr


def test_secret_key_is_required_when_debug_is_off():
    result = _settings(DEBUG="0", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_is_required_when_debug_is_off():
    """Production never falls back to the SQLite file."""
    result = _settings(**{k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DATABASE_URL must be set" in result.stderr


def test_broker_url_is_required_when_debug_is_off():
    """Production never runs tasks eagerly inside web requests for want of a broker."""
    result = _settings(**{k: v for k, v in PRODUCTION.items() if k != "CELERY_BROKER_URL"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "CELERY_BROKER_URL must be set" in result.stderr
    # Asking for eager tasks does not replace the broker either.
    eager = _settings(**{k: v for k, v in PRODUCTION.items() if k != "CELERY_BROKER_URL"}, CELERY_TASK_ALWAYS_EAGER="1")
    assert eager.returncode != 0 and "CELERY_BROKER_URL must be set" in eager.stderr


def test_pytest_runs_with_nothing_set():
    """`python -m pytest` straight from a shell (no make, no DEBUG, no DATABASE_URL) runs on development settings:
    pytest-env sets DEBUG=1 before pytest-django imports the settings."""
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS and not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core/test_settings.py::test_celery_app_is_importable_as_config"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


def test_make_sets_debug_for_development_targets(tmp_path):
    """`make check` (like run, test, data, migrate, bench) works with nothing set: the Makefile turns DEBUG on for them."""
    make = shutil.which("make")
    need_service("make", make is not None)
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS and not k.startswith(("PYTEST_", "MAKE"))}
    result = subprocess.run(
        [make, "-s", "-o", ".venv/.installed", "check", f"PY={sys.executable}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "System check identified no issues" in result.stdout


def test_celery_worker_starts_from_config_and_answers_ping(tmp_path):
    """`celery -A config worker` loads the app and consumes from Redis."""
    need_service("Redis", port_open(6379), "no Redis on 127.0.0.1:6379")
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS}
    env.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/13", DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1")
    hostname = f"ci-{os.getpid()}@localhost"
    worker = subprocess.Popen(
        [celery, "-A", "config", "worker", "--pool", "solo", "--hostname", hostname, "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=open(tmp_path / "worker.log", "w"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 45
        answered = False
        while time.monotonic() < deadline and not answered:
            probe = subprocess.run(
                [celery, "-A", "config", "inspect", "ping", "--destination", hostname, "--timeout", "2", "--json"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
            )
            answered = probe.returncode == 0 and hostname in probe.stdout and "pong" in probe.stdout
        assert answered, (tmp_path / "worker.log").read_text()[-2000:]
        registered = subprocess.run(
            [celery, "-A", "config", "inspect", "registered", "--destination", hostname, "--timeout", "5"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
        )
        assert "core.ping" in registered.stdout
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_celery_app_is_importable_as_config():
    from config import celery_app

    assert celery_app.main == "qiancun"
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert "core.ping" in celery_app.tasks


def test_database_password_can_come_from_a_file(tmp_path):
    """Docker secrets: the URL names the role, the password is read from DATABASE_PASSWORD_FILE (only the containers
    that mount the secret know it; it never sits in an environment that every process can read)."""
    secret = tmp_path / "db_app_password"
    secret.write_text("s3cret:with@odd/chars\n")
    result = _settings(**{**PRODUCTION, "DATABASE_URL": "postgres://qiancun_app@postgres:5432/qiancun"},
                       DATABASE_PASSWORD_FILE=str(secret))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["db_user"] == "qiancun_app" and values["db_password"] == "s3cret:with@odd/chars"
    missing = _settings(**PRODUCTION, DATABASE_PASSWORD_FILE=str(tmp_path / "nope"))
    assert missing.returncode != 0 and "DATABASE_PASSWORD_FILE" in missing.stderr
    both = _settings(**PRODUCTION, DATABASE_PASSWORD_FILE=str(secret))  # PRODUCTION's URL has a password too
    assert both.returncode != 0 and "DATABASE_PASSWORD_FILE" in both.stderr
