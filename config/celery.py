"""Celery application: `celery -A config worker` / `celery -A config beat`.

Settings come from Django's settings under the CELERY_ namespace; with no
CELERY_BROKER_URL in the environment tasks run eagerly in-process.
"""
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("qiancun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_task_logger.connect
def _task_logs_through_django_logging(logger, **kwargs):
    """A worker gives the task logger a handler of its own (Celery's text format on stderr) and stops it
    propagating; send task records to the root handler of LOGGING instead, as JSON lines like the rest."""
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True
