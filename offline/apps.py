from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineConfig(AppConfig):
    """The portal as an installable web app that works without signal (issue 23): the manifest, the service worker,
    the list of the user's own pages a phone keeps for offline use, and the page of progress reports waiting to be
    upload (待上传). What is kept is decided here, through the gate; the reports themselves are sent to the API
    (POST /api/v1/progress-reports/ with an Idempotency-Key) by static/js/offline.js."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "offline"
    verbose_name = _("offline use")
