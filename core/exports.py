"""Shared rules for every file the portal exports (XLSX, CSV).

Formula injection: a spreadsheet treats a text cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula (or a DDE call) when the file is opened. Every text value written to
an export goes through ``safe_cell``, which prefixes such text with an apostrophe so that it shows
as typed and is never evaluated. Numbers, dates and booleans are left as they are: they are typed
cells, not text.
"""
from __future__ import annotations

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value to write to a spreadsheet or CSV cell."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


_DANGEROUS_FIRST = frozenset(DANGEROUS_PREFIXES)  # each prefix is one character


def safe_row(values) -> list:
    """safe_cell over a row, inlined: this runs once per cell of a province-wide CSV."""
    return [("'" + v if v[:1] in _DANGEROUS_FIRST else v) if v.__class__ is str else v for v in values]
