# The Celery app is loaded when Django starts so that @shared_task uses it,
# and `celery -A config worker` finds it as `config.celery_app`.
from .celery import app as celery_app

__all__ = ("celery_app",)
