from django.apps import AppConfig


class SampleConfig(AppConfig):
    """Sample and scale-test data (seed_demo, generate_programme, demo_logins). It sits on top of every app and
    may import any of them; nothing imports it (only INSTALLED_APPS names it, and tests). It has no models and
    no pages, so no name to show."""

    name = "sample"
