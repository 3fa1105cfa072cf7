"""System checks of our own, run by `manage.py check --deploy`: what must not reach a production server."""
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Secret keys that are public: the placeholder of .env.example and the Dockerfile's build-time key.
PLACEHOLDER_MARKERS = ("change-me", "build-only")


@register(Tags.security, deploy=True)
def check_secret_key_is_not_a_placeholder(app_configs, **kwargs):
    key = str(getattr(settings, "SECRET_KEY", "") or "").lower()
    if any(marker in key for marker in PLACEHOLDER_MARKERS):
        return [
            Warning(
                "SECRET_KEY is a published placeholder (from .env.example or the Dockerfile).",
                hint='Generate one: python -c "import secrets; print(secrets.token_urlsafe(64))"',
                id="core.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_database_is_not_sqlite(app_configs, **kwargs):
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        return [
            Warning(
                "The database is SQLite: the portal's row locks, append-only audit trigger and reports need PostgreSQL.",
                hint="Set DATABASE_URL=postgres://qiancun_app:...@host:5432/qiancun.",
                id="core.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_tasks_do_not_run_eagerly(app_configs, **kwargs):
    broker = (settings.CELERY_BROKER_URL or "memory://").split(";")[0].strip()
    if settings.CELERY_TASK_ALWAYS_EAGER or urlsplit(broker).scheme.lower() == "memory":
        return [
            Warning(
                "Celery tasks run eagerly inside web requests (CELERY_TASK_ALWAYS_EAGER or no broker): reports and "
                "dashboard refreshes would block the web workers, and /healthz answers 503.",
                hint="Set CELERY_BROKER_URL=redis://... and leave CELERY_TASK_ALWAYS_EAGER unset.",
                id="core.W003",
            )
        ]
    return []


@register(Tags.caches)
def check_cache_is_shared(app_configs, **kwargs):
    """Login-failure limits and API rate limits count in the cache: per process unless it is Redis."""
    if getattr(settings, "DEVELOPMENT_MODE", settings.DEBUG) or getattr(settings, "SHARED_CACHE", True):
        return []
    return [
        Warning(
            "CACHE_URL is not set: login-failure limits and API rate limits are counted in each web process's "
            "memory, so every gunicorn worker allows the full limit again.",
            hint="Set CACHE_URL=redis://<host>:6379/<db> (docker-compose.yml uses redis://redis:6379/1).",
            id="core.W004",
        )
    ]


@register(Tags.security, deploy=True)
def check_api_docs_are_not_public(app_configs, **kwargs):
    if getattr(settings, "API_DOCS_PUBLIC", False):
        return [
            Warning(
                "API_DOCS_PUBLIC is on: the OpenAPI schema and Swagger UI (/api/schema/, /api/docs/) are served to "
                "anonymous visitors.",
                hint="Leave API_DOCS_PUBLIC unset in production: logged-in users and API clients still see them.",
                id="core.W005",
            )
        ]
    return []
