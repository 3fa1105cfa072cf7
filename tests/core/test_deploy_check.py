"""`manage.py check --deploy --fail-level WARNING` passes with production values,
and fails when they are unsafe (so this test can fail)."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# Every variable settings.py reads for security, so the developer's or CI's environment cannot leak in.
CLEAN_PREFIXES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_", "SECURE_", "SESSION_",
                  "BEHIND_HTTPS_PROXY", "USE_X_FORWARDED_FOR", "TRUSTED_PROXY_COUNT", "LOG_", "CACHE_URL",
                  "LOGIN_FAILURE", "API_TOKEN", "PASSWORD_MINIMAL_STRENGTH", "API_DOCS_PUBLIC",
                  "DJANGO_ALLOW_ASYNC_UNSAFE")  # set in-process by the browser tests; never in production
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),  # 86 characters
    "ALLOWED_HOSTS": "qiancun.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://qiancun.example.gov.cn",
    "BEHIND_HTTPS_PROXY": "1",
    "DATABASE_URL": "postgres://qiancun:qiancun@postgres:5432/qiancun",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    # Login-failure limits and API rate limits are shared by all web processes through Redis (core.W004 without it).
    "CACHE_URL": "redis://redis:6379/1",
}


def _check_deploy(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN_PREFIXES)}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=base, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_production_values():
    result = _check_deploy(**PRODUCTION)
    output = result.stdout + result.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "check-deploy.txt").write_text(
        "$ DEBUG=0 SECRET_KEY=<86 random characters> ALLOWED_HOSTS=qiancun.example.gov.cn BEHIND_HTTPS_PROXY=1 ... "
        f"python manage.py check --deploy --fail-level WARNING\n{output}exit code {result.returncode}\n"
    )
    assert result.returncode == 0, output
    assert "no issues" in output, output


def test_check_deploy_fails_with_a_weak_secret_key():
    result = _check_deploy(**{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_fails_with_the_placeholder_key_of_env_example():
    placeholder = next(
        line.split("=", 1)[1] for line in (ROOT / ".env.example").read_text().splitlines() if line.startswith("SECRET_KEY=")
    )
    assert len(placeholder) >= 50  # long enough to pass Django's own check: only ours catches it
    result = _check_deploy(**{**PRODUCTION, "SECRET_KEY": placeholder})
    assert result.returncode != 0
    assert "core.W001" in result.stderr and "security.W009" not in result.stderr


def test_check_deploy_fails_without_https_hardening():
    result = _check_deploy(**PRODUCTION, SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    for check in ("security.W008", "security.W012", "security.W004"):
        assert check in result.stderr, result.stderr


# --- Development fallbacks that must not reach production (issue 15, items 18 and 20) -------------------------

def test_check_deploy_fails_on_sqlite(tmp_path):
    result = _check_deploy(**{**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert result.returncode != 0
    assert "core.W002" in result.stderr and "SQLite" in result.stderr, result.stderr


def test_check_deploy_fails_when_tasks_run_eagerly():
    result = _check_deploy(**PRODUCTION, CELERY_TASK_ALWAYS_EAGER="1")
    assert result.returncode != 0
    assert "core.W003" in result.stderr, result.stderr


def test_check_deploy_fails_without_a_shared_cache():
    result = _check_deploy(**{k: v for k, v in PRODUCTION.items() if k != "CACHE_URL"})
    assert result.returncode != 0
    assert "core.W004" in result.stderr and "CACHE_URL" in result.stderr, result.stderr
    # django-ratelimit's own E003 (an error, which would also stop `migrate`) is replaced by that warning.
    assert "django_ratelimit.E003" not in result.stderr


def test_check_deploy_fails_when_the_api_docs_are_public():
    result = _check_deploy(**PRODUCTION, API_DOCS_PUBLIC="1")
    assert result.returncode != 0
    assert "core.W005" in result.stderr and "API_DOCS_PUBLIC" in result.stderr, result.stderr
