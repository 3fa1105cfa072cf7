"""docker-compose.yml cannot run here (no Docker engine): check it against the settings."""
import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_its_services():
    services = _compose()["services"]
    assert set(services) == {"nginx", "migrate", "web", "worker", "beat", "postgres", "redis", "postgres-replica"}
    # The read replica is optional: it starts only with `--profile replica` (README "Reads on a replica").
    assert services["postgres-replica"]["profiles"] == ["replica"]
    assert all("profiles" not in service for name, service in services.items() if name != "postgres-replica")


def _url_user(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0]


def test_app_services_use_the_settings_variables_and_commands():
    services = _compose()["services"]
    settings_source = (ROOT / "config" / "settings.py").read_text()
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/qiancun" in env["DATABASE_URL"]
        assert ":" not in _url_user(env["DATABASE_URL"]), "passwords come from secret files, not the URL"
        secret = env["DATABASE_PASSWORD_FILE"].removeprefix("/run/secrets/")
        assert services[name]["secrets"] == [secret], name  # this container's password, and no other
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        for variable in env:
            assert f'"{variable}"' in settings_source, f"{name} sets {variable}, which settings.py never reads"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["CACHE_URL"].startswith("redis://redis:6379/")
    assert services["web"]["command"] == "gunicorn -c deploy/gunicorn.conf.py config.wsgi:application"
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")
    assert services["migrate"]["restart"] == "no"


def test_the_portal_connects_as_the_least_privileged_role_and_migrates_as_the_owner():
    services = _compose()["services"]
    initdb = (ROOT / "deploy" / "postgres" / "initdb.sh").read_text()
    owner = re.search(r"\\set owner (\w+)", initdb).group(1)
    app = re.search(r"\\set app (\w+)", initdb).group(1)
    assert owner != app
    assert _url_user(services["migrate"]["environment"]["DATABASE_URL"]) == owner
    for name in ("web", "worker", "beat"):
        assert _url_user(services[name]["environment"]["DATABASE_URL"]) == app, name
    command = services["migrate"]["command"]
    assert command.index("migrate --noinput") < command.index(f"grant_app_role {app}") < command.index("collectstatic")
    postgres = services["postgres"]
    assert "./deploy/postgres/initdb.sh:/docker-entrypoint-initdb.d/10-qiancun-roles.sh:ro" in postgres["volumes"]
    assert "./deploy/postgres/roles.sql:/qiancun/roles.sql:ro" in postgres["volumes"]
    assert "\\i /qiancun/roles.sql" in initdb
    assert set(postgres["secrets"]) == {"postgres_password", "db_owner_password", "db_app_password"}
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "POSTGRES_PASSWORD" not in postgres["environment"]
    assert os.access(ROOT / "deploy" / "postgres" / "initdb.sh", os.X_OK)


def test_only_nginx_is_published_and_gunicorn_uses_the_repository_config():
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}
    assert services["nginx"]["ports"] == ["80:80", "443:443"]
    assert "./deploy/nginx/qiancun.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]' in dockerfile


def test_gunicorn_config_loads_the_portal():
    """`gunicorn --check-config -c deploy/gunicorn.conf.py config.wsgi:application` (the compose web command)."""
    import subprocess
    import sys

    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_"))}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([str(gunicorn), "--check-config", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    config = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), config)
    assert config["bind"] == "0.0.0.0:8000" and config["worker_class"] == "sync" and config["timeout"] == 60


def test_env_example_names_only_variables_settings_reads():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.lstrip("# ").strip()
        if "=" in line and line.split("=", 1)[0].isupper():
            assert f'"{line.split("=", 1)[0]}"' in settings_source, line
    # .env is every app container's env_file: no database password may sit there (each comes from its secret).
    assert "DATABASE_URL=postgres" not in (ROOT / ".env.example").read_text().replace("# DATABASE_URL=postgres", "")


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
    # Static files: collected by migrate into the volume web reads its manifest from and nginx serves.
    for name in ("web", "migrate"):
        service = compose["services"][name]
        assert f"static:{service['environment']['STATIC_ROOT']}" in service["volumes"], name


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


def test_systemd_units_run_what_compose_runs():
    """Without Docker (README): the same commands, gunicorn on loopback where the README points nginx."""
    import configparser

    units = {}
    for name in ("web", "worker", "beat"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        assert parser.read(ROOT / "deploy" / "systemd" / f"qiancun-{name}.service"), name
        units[name] = parser["Service"]
        assert units[name]["User"] == "qiancun" and units[name]["EnvironmentFile"] == "/etc/qiancun/qiancun.env"
    compose = _compose()["services"]
    web = units["web"]["ExecStart"]
    assert web.startswith("/srv/qiancun/app/.venv/bin/gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:8000")
    assert web.endswith("config.wsgi:application")
    assert compose["worker"]["command"] in units["worker"]["ExecStart"]
    assert compose["beat"]["command"].split(" --schedule")[0] in units["beat"]["ExecStart"]
    readme = (ROOT / "README.md").read_text()
    assert "sed 's/server web:8000;/server 127.0.0.1:8000;/' deploy/nginx/qiancun.conf" in readme
    assert "server web:8000;" in (ROOT / "deploy" / "nginx" / "qiancun.conf").read_text()
