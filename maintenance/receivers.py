"""Receivers of the domain signals of the layers below (projects.signals)."""
from . import services


def create_asset_on_acceptance(sender, *, project, actor, on_date, **kwargs):
    """A project was accepted: its facility becomes an asset. Runs inside the acceptance's transaction, so a
    refusal here rolls the acceptance back."""
    services.asset_create_from_project(actor=actor, project=project, on_date=on_date)
