from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = _("Long-term maintenance")

    def ready(self):
        # Accepting a project creates its asset (projects.signals.project_accepted, sent inside the acceptance's
        # transaction): projects sits below maintenance and never imports it.
        from projects.signals import project_accepted

        from .receivers import create_asset_on_acceptance

        project_accepted.connect(create_asset_on_acceptance, dispatch_uid="maintenance.create_asset_on_acceptance")

        # A keeper with a portal account sees (and records inspections in) the villages of their current assets.
        from core.scoping import DERIVED_GRANTS, DERIVED_HOLDERS, KEEPER

        from .selectors import keeper_grants, keeper_holders

        if keeper_grants not in DERIVED_GRANTS:
            DERIVED_GRANTS.append(keeper_grants)
        # ... and who the keepers of some villages are (core.scoping.holders: the reminders of inspections due).
        DERIVED_HOLDERS[KEEPER] = keeper_holders
