"""Signals of the core app: how a lower app tells the apps above it that something changed, without importing
them (apps import in one direction only).

``village_figures_changed(sender, village_code)``: a write changed what a village's summary figures are computed
from. Sent by core.changes.village_changed inside the write's transaction, after the outbox row is written; the
dashboard app listens (dashboard/apps.py) and queues the village's refresh once the transaction commits."""
from django.dispatch import Signal

village_figures_changed = Signal()
