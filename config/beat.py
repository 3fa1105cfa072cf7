"""Every periodic Celery task of the project, declared in one place.

Celery beat reads CELERY_BEAT_SCHEDULE from Django settings, which imports it
from here. Later issues add the monthly reports and file expiry.
"""
CELERY_BEAT_SCHEDULE: dict = {}
