"""The suggested score of the 长效管护 indicator (Indicator.prefill = "maintenance"), from the village's maintenance
figures over the assessment's period (maintenance.selectors.village_maintenance).

The formula, a share of the indicator's maximum score:

    score = max_score × (0.5 × T + 0.3 × C + 0.2 × F) / (the sum of the weights of the parts that have data)

- T, inspections on time: the on-time rate of the inspections due in the period (0..1);
- C, condition: the mean condition of the inspections done in the period, 1..5 mapped to 0..1 ((c − 1) / 4);
- F, faults now: 1 − (open faults + overdue faults) / (2 × assets), at least 0: an open fault weighs half an asset,
  an overdue one (also open) a whole one.

A part without data (no inspection was due in the period, none was done) is left out and the weights of the others
count for it. A village with no asset in service gets no suggestion: the assessor scores it by hand. The result is
rounded to the cent (half up) and never above the maximum.
"""
from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from maintenance.selectors import MaintenanceFigures, village_maintenance

from .models import period_bounds

WEIGHTS = {"on_time": Decimal("0.5"), "condition": Decimal("0.3"), "faults": Decimal("0.2")}
CENT = Decimal("0.01")


def suggested_score(max_score: Decimal, figures: MaintenanceFigures) -> Decimal | None:
    """The formula of this module (None without assets)."""
    if not figures.assets:
        return None
    parts = {"faults": max(Decimal(0), 1 - Decimal(figures.open_faults + figures.overdue_faults) / (2 * figures.assets))}
    if figures.on_time_rate is not None:
        parts["on_time"] = figures.on_time_rate / 100
    if figures.mean_condition is not None:
        parts["condition"] = (figures.mean_condition - 1) / 4
    weight = sum(WEIGHTS[name] for name in parts)
    share = sum(WEIGHTS[name] * value for name, value in parts.items()) / weight
    return min(max_score, (max_score * share).quantize(CENT, ROUND_HALF_UP))


def maintenance_suggestion(village_code: str, period: str, max_score: Decimal,
                           today: datetime.date | None = None) -> tuple[Decimal | None, dict]:
    """(suggested score, the figures it came from, as kept on the score row)."""
    start, end = period_bounds(period)
    today = today or timezone.localdate()
    figures = village_maintenance(village_code, start=start, end=end, today=today)
    basis = {
        "start": start.isoformat(), "end": end.isoformat(), "on": today.isoformat(),
        "assets": figures.assets,
        "inspections_expected": figures.inspections_expected, "inspections_on_time": figures.inspections_on_time,
        "on_time_rate": None if figures.on_time_rate is None else str(figures.on_time_rate),
        "inspections_done": figures.inspections_done,
        "mean_condition": None if figures.mean_condition is None else str(figures.mean_condition),
        "open_faults": figures.open_faults, "overdue_faults": figures.overdue_faults,
    }
    return suggested_score(max_score, figures), basis
