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
