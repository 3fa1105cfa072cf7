from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = _("dashboards")

    def ready(self):
        from core.signals import village_figures_changed

        from .stats import village_changed

        def refresh(sender, village_code, **kwargs):
            village_changed(village_code)

        village_figures_changed.connect(refresh, dispatch_uid="dashboard.refresh_on_village_figures_changed", weak=False)
