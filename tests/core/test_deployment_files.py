"""docker-compose.yml cannot run here (no Docker engine): check it against the settings."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services():
    assert set(_compose()["services"]) == {"web", "worker", "beat", "postgres", "redis"}


def test_app_services_use_the_settings_variables_and_commands():
    services = _compose()["services"]
    settings_source = (ROOT / "config" / "settings.py").read_text()
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        for variable in env:
            assert f'"{variable}"' in settings_source, f"{name} sets {variable}, which settings.py never reads"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "gunicorn config.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")
    db = services["postgres"]["environment"]
    url = services["web"]["environment"]["DATABASE_URL"]
    assert url == f"postgres://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@postgres:5432/{db['POSTGRES_DB']}"


def test_env_example_names_only_variables_settings_reads():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.lstrip("# ").strip()
        if "=" in line and line.split("=", 1)[0].isupper():
            assert f'"{line.split("=", 1)[0]}"' in settings_source, line


def test_web_healthcheck_calls_healthz_over_plain_http():
    web = _compose()["services"]["web"]
    probe = " ".join(web["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in probe, probe
    # Plain http from inside the container: /healthz must be exempt from the https redirect,
    # and answered before ALLOWED_HOSTS is checked (core.health.HealthCheckMiddleware).
    from django.conf import settings

    assert any(re.search(pattern, "healthz") for pattern in settings.SECURE_REDIRECT_EXEMPT)
    middleware = settings.MIDDLEWARE
    assert middleware.index("core.health.HealthCheckMiddleware") < middleware.index("django.middleware.common.CommonMiddleware")


def test_media_volume_is_mounted_at_media_root_for_web_and_worker():
    compose = _compose()
    assert "media" in compose["volumes"] and "pgdata" in compose["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    for name in ("web", "worker"):
        service = compose["services"][name]
        media_root = service["environment"]["MEDIA_ROOT"]
        assert f"media:{media_root}" in service["volumes"], (name, service["volumes"])


def test_dockerfile_build_steps_import_the_production_settings():
    """The image's build runs manage.py (collectstatic, compilemessages) with DEBUG=0: the values it exports must be
    enough for the settings to load, with nothing borrowed from the machine that builds it."""
    import shlex
    import subprocess
    import sys

    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    steps = [line for line in text.splitlines() if line.startswith("RUN ") and "manage.py" in line]
    assert steps, "no build step runs manage.py"
    for step in steps:
        words = shlex.split(step[len("RUN "):])
        if words[0] == "export":  # `export A=1 B=2 && cmd && cmd`: for every command of the step
            words = words[1:]
        else:  # `A=1 B=2 cmd && cmd`: for the first command only (the step must not rely on more)
            assert step.count("manage.py") == 1, step
        exported = dict(word.split("=", 1) for word in words[:next(i for i, w in enumerate(words) if "=" not in w)])
        assert exported["DEBUG"] == "0", step
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DJANGO_SETTINGS_MODULE": "config.settings", **exported}
        result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
