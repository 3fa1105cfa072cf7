from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SampleConfig(AppConfig):
    """Sample and scale-test data (seed_demo, generate_programme, demo_logins). It sits on top of every
    app and may import any of them; nothing imports it (only INSTALLED_APPS names it, and tests)."""

    name = "sample"
    verbose_name = _("Sample data")
