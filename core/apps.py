from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import (
            checks,  # noqa: F401  (registers the deploy checks)
            login_limit,  # noqa: F401  (counts failed logins per client address)
            tokens,  # noqa: F401  (a password change or deactivation revokes the user's API tokens)
        )
