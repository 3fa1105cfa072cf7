"""How a write says that a village's summary figures changed, without knowing who summarises them.

``village_changed(code)`` is called inside the write's transaction (every service that changes what a village's
figures are computed from). It records a VillageChange row in that transaction (the outbox: committed with the
change or not at all) and sends core.signals.village_figures_changed, on which the dashboard queues its refresh
once the transaction commits. If the queueing fails (broker down), the row stays and the dashboard's sweeper
rebuilds the village on its next round (config/beat.py), so freshness does not depend on the broker at commit
time."""
from __future__ import annotations

from django.db import transaction

from .models import VillageChange
from .signals import village_figures_changed


def village_changed(village_code: str) -> None:
    """Record that the village's figures changed, in the current transaction, and tell the listeners."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("village_changed() belongs inside the write's transaction")
    VillageChange.objects.create(village_code=village_code)
    village_figures_changed.send(sender=VillageChange, village_code=village_code)
