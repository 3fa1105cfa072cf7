"""Moving the portal's clock in a test: ``at_day(monkeypatch, day)``.

The portal reads the time only through ``django.utils.timezone.now`` (and ``localdate``, which calls it; so do the
models' auto_now fields): replacing it moves every "today" and every "not in the future" check. The clock keeps
running, shifted by whole days, so that moments taken one after another still follow each other.
"""
from __future__ import annotations

import datetime

from django.utils import timezone


def at_day(monkeypatch, day: datetime.date) -> None:
    """Let the clock show the same time of day as now, on ``day`` (in the portal's time zone)."""
    running = timezone.now
    offset = day - timezone.localdate(running())
    monkeypatch.setattr(timezone, "now", lambda: running() + offset)
    assert timezone.localdate() == day
