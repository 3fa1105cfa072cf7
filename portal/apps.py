from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The pages and endpoints that combine several apps (home and to-do, the village page, the project page, the
    village status and region summary API). It sits above the domain apps and the dashboard, so that they never
    import one another for the sake of a page."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = _("portal")
