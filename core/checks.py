"""System checks of our own, run by `manage.py check --deploy`."""
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


@register(Tags.caches)
def check_cache_is_shared_on_a_server(app_configs, **kwargs):
    """Login-failure limits and API rate limits count in the cache: per process unless it is Redis."""
    if settings.DEBUG or getattr(settings, "SHARED_CACHE", True):
        return []
    return [
        Warning(
            "CACHE_URL is not set: login-failure limits and API rate limits are counted in each web process's "
            "memory, so every gunicorn worker allows the full limit again.",
            hint="Set CACHE_URL=redis://<host>:6379/<db> (docker-compose.yml uses redis://redis:6379/1).",
            id="core.W002",
        )
    ]
