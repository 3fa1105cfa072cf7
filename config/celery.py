"""Celery application: `celery -A config worker` / `celery -A config beat`.

Settings come from Django's settings under the CELERY_ namespace; with no
CELERY_BROKER_URL in the environment tasks run eagerly in-process.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("qiancun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
