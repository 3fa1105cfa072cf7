"""What every report kind shares: the progress ticker, the plan, percentages, labels, titles, merging streams."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from reports.selectors import CHUNK
from villages.selectors import sample_notice

Tick = Callable[[int], None]


class Ticker:
    """Counts the rows written and reports them to ``tick`` every CHUNK rows (and at ``flush``)."""

    def __init__(self, tick: Tick):
        self.tick, self.count, self.pending = tick, 0, 0

    def __call__(self, rows: int = 1) -> None:
        self.count += rows
        self.pending += rows
        if self.pending >= CHUNK:
            self.flush()

    def flush(self) -> None:
        self.tick(self.pending)
        self.pending = 0


@dataclass
class Plan:
    """What a run will write: the number of rows expected (for the progress percent)."""

    rows: int


class ReportUnavailable(Exception):
    """The report cannot be produced on this server (a missing library): the job fails with this message."""


def pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def title(job, region) -> str:
    period = f" {job.period}" if job.period else ""
    return f"{region.name} · {job.get_kind_display()}{period}"


def notice(job) -> str:
    """The banner of a report whose figures are, wholly or partly, invented (a region seeded with sample or
    scale-test data: villages.selectors.sample_notice), in the job's language; empty for real data."""
    return sample_notice(job.area_code)


def generated_line(now) -> str:
    return _("Generated %(when)s") % {"when": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")}


def merge(stream, keyed: Iterator, default, key=lambda row: row[0]):
    """Pairs each row of ``stream`` (ordered by ``key(row)``) with the value of ``keyed`` ((key, value) pairs in
    the same order; the first pair of a key wins) for the same key, or ``default``: a merge join of two ordered
    streams, in constant memory."""
    pending = next(keyed, None)
    for row in stream:
        key_value = key(row)
        while pending is not None and pending[0] < key_value:
            pending = next(keyed, None)
        yield row, (pending[1] if pending is not None and pending[0] == key_value else default)
