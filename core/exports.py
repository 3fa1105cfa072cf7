"""Shared rules for every file the portal exports (XLSX, CSV).

Formula injection: a spreadsheet treats a text cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula (or a DDE call) when the file is opened. Every text value written to
a CSV export goes through ``safe_cell``, which prefixes such text with an apostrophe so that it shows
as typed and is never evaluated. A workbook (core.workbook) applies the same rule with the apostrophe
hidden: such text is written as text with a quote-prefix cell format. Numbers, dates and booleans are
left as they are: they are typed cells, not text.
"""
from __future__ import annotations

import re

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters a workbook cell (XML 1.0) cannot hold: openpyxl refuses them and Excel would not open the file.
# Sheets drop them before neutralising, so that "\x1f=1" becomes "'=1", not "=1".
ILLEGAL_IN_SHEETS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def safe_cell(value):
    """The value to write to a spreadsheet or CSV cell."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def sheet_cell(value):
    """The value to write to a workbook cell: text without the characters a sheet cannot hold, neutralised."""
    if isinstance(value, str):
        return safe_cell(ILLEGAL_IN_SHEETS.sub("", value))
    return value


def sheet_row(values) -> list:
    return [sheet_cell(value) for value in values]


_DANGEROUS_FIRST = frozenset(DANGEROUS_PREFIXES)  # each prefix is one character


def safe_row(values) -> list:
    """safe_cell over a row, inlined: this runs once per cell of a province-wide CSV. Any text is neutralised,
    str subclasses too (TextChoices members, SafeString): ``isinstance`` costs no more here than a class check."""
    return [("'" + v if v[:1] in _DANGEROUS_FIRST else v) if isinstance(v, str) else v for v in values]
