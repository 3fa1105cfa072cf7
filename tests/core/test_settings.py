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
    "'secure_cookie': s.SESSION_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS}))"
)
CLEAN_KEYS = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CELERY_TASK_ALWAYS_EAGER")


def _settings(**env):
    base = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    base.update(env)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)
    return result


def test_development_defaults_sqlite_and_eager_celery():
    result = _settings()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True and values["debug"] is True
    assert values["tz"] == "Asia/Shanghai"
    assert values["lang"] == "zh-hans" and values["languages"] == ["zh-hans", "en"]


def test_production_values_come_from_the_environment():
    result = _settings(
        DEBUG="0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="qiancun.example.gov.cn",
        DATABASE_URL="postgres://u:p@db.internal:5432/qiancun",
        CELERY_BROKER_URL="redis://redis.internal:6379/0",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["eager"] is False and values["broker"] == "redis://redis.internal:6379/0"
    assert values["hosts"] == ["qiancun.example.gov.cn"]
    assert values["secure_cookie"] is True and values["hsts"] >= 31536000


def test_secret_key_is_required_when_debug_is_off():
    result = _settings(DEBUG="0", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_celery_worker_starts_from_config_and_answers_ping(tmp_path):
    """`celery -A config worker` loads the app and consumes from Redis."""
    need_service("Redis", port_open(6379), "no Redis on 127.0.0.1:6379")
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS}
    env.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/13", DJANGO_SETTINGS_MODULE="config.settings")
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
