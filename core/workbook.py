"""The one workbook writer of the portal: XlsxWriter, behind the few calls the exports need.

Reports (background jobs, whole provinces) and the dashboard's export write their workbooks here. A sheet is
a list of typed columns (number format and width known up front), optional title lines, a bold header row
(frozen, with an auto-filter), rows, and clustered bar charts over ranges of the sheet. Rows stream: a file
workbook is written in XlsxWriter's ``constant_memory`` mode (one row in memory at a time, sheets one after
another), so memory does not grow with the number of rows.

What the library does not decide for us, done here for every cell:

* Formula injection (core.exports): text starting with ``= + - @``, a tab or a carriage return is written as
  text with a quote-prefix cell format (Excel's hidden leading apostrophe): it shows as typed, is never
  evaluated, and stays text when the cell is edited. No apostrophe is added to the text itself.
* Characters a sheet cannot hold (``core.exports.ILLEGAL_IN_SHEETS``) are dropped before the neutralising
  check, so "\\x1f=1" is written as a guarded "=1", not as a formula.
* Literal ``_xHHHH_`` text is escaped by XlsxWriter (read back as typed). Text that looks like XlsxWriter's
  pre-built rich string (``<r>...</r>``) would be written unescaped in constant_memory mode: it is written as a
  rich string of plain runs instead, which XlsxWriter escapes.
* NaN and infinity (float or Decimal) are not numbers a cell can hold: the cell is left empty.
* Date-times with a time zone are converted to the programme's zone (settings.TIME_ZONE, Asia/Shanghai) and
  written without it: a date column takes the local date, other columns the local date and time.
* Sheet names follow Excel's rules (at most 31 characters, none of ``[]:*?/\\``, no apostrophe at either end,
  not "History", unique regardless of case): a title is cleaned and made unique rather than refused.
* A sheet holds at most 1,048,576 rows: a row beyond that raises TooManyRows (XlsxWriter would drop it
  silently).

A workbook of invented figures (``notice``: villages.selectors.sample_notice, "示例数据：非真实数据") says so on every
sheet, as a banner in its first row (above the title lines and the header, frozen with them), in the printed page
header, and in the file's properties (subject, keywords, comments), where a file manager or a document system shows it.
"""
from __future__ import annotations

import datetime
import math
import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

import xlsxwriter
from django.conf import settings
from django.utils.translation import gettext as _

from .exports import DANGEROUS_PREFIXES, ILLEGAL_IN_SHEETS

# Column styles. AUTO is a column of mixed figures (a summary's values): whole numbers take INTEGER, amounts
# with cents MONEY, other numbers DECIMAL1.
TEXT, INTEGER, MONEY, DECIMAL1, DATE, DATETIME, PERCENT, AUTO = "text", "integer", "money", "decimal1", "date", "datetime", "percent", "auto"
HEADER, TITLE, NOTICE = "header", "title", "notice"  # the formats of header rows, title lines and the banner

NUMBER_FORMATS = {INTEGER: "#,##0", MONEY: "#,##0.00", DECIMAL1: "0.0", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm",
                  PERCENT: "0.0%"}
MAX_ROWS = 1_048_576  # rows of one sheet (Excel's limit; XlsxWriter's xls_rowmax)
MAX_TITLE = 31
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_DANGEROUS_FIRST = frozenset(DANGEROUS_PREFIXES)  # each is one character


class TooManyRows(ValueError):
    """A sheet would get more rows than a workbook sheet can hold."""


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class Column:
    title: str
    style: str = TEXT  # TEXT, INTEGER, MONEY, DECIMAL1, DATE, DATETIME, PERCENT or AUTO
    width: float = 12


@dataclass
class Chart:
    title: str
    anchor_col: int  # 0-based column of the chart's top left corner
    anchor_row: int  # 0-based row of the chart's top left corner
    categories: tuple[int, int, int]  # (column, first row, last row), 1-based rows
    series: list[tuple[str, int]] = field(default_factory=list)  # (name, column) over the same rows
    horizontal: bool = False


def local_naive(moment: datetime.datetime) -> datetime.datetime:
    """A date-time as the programme's wall clock shows it, without a zone (a naive one is taken as already local)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment
    return moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def clean_text(value: str) -> str:
    """Text without the characters a sheet cannot hold."""
    return ILLEGAL_IN_SHEETS.sub("", value)


def is_guarded(text: str) -> bool:
    """Would a spreadsheet read this text as a formula (core.exports)? Then it gets the quote-prefix format."""
    return text[:1] in _DANGEROUS_FIRST


def _number(value):
    """A finite float for a number cell, or None (NaN and infinity are left empty)."""
    if value.__class__ is Decimal:
        if not value.is_finite():
            return None
        return float(value)
    number = float(value)
    return number if math.isfinite(number) else None


class Workbook:
    """``with Workbook(path) as book: sheet = book.add_sheet(...); ...; sheet.close()``. ``target`` is a path or a
    binary file object; ``constant_memory`` streams rows (the default for files; an in-memory workbook of a few
    hundred rows, the dashboard's, does without). ``notice``: the banner of a workbook of invented figures."""

    def __init__(self, target, *, constant_memory: bool = True, notice: str = ""):
        self.book = xlsxwriter.Workbook(target, {
            "constant_memory": constant_memory,
            "in_memory": not constant_memory,
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "use_zip64": True,
        })
        self.formats = {}
        for style, number_format in NUMBER_FORMATS.items():
            self.formats[style] = self.book.add_format({"num_format": number_format})
        text = {}
        header = {"bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True, "valign": "vcenter"}
        title = {"bold": True, "font_size": 14}
        notice_format = {"bold": True, "font_size": 12, "font_color": "#9C0006", "bg_color": "#FFEB9C"}
        for style, properties in ((TEXT, text), (HEADER, header), (TITLE, title), (NOTICE, notice_format)):
            self.formats[style] = self.book.add_format(properties)
            self.formats[(style, "quoted")] = self.book.add_format({**properties, "quote_prefix": True})
        self._titles: set[str] = set()
        self._open: Sheet | None = None
        self.notice = clean_text(str(notice or "")).strip()
        if self.notice:
            self.book.set_properties({"subject": self.notice, "keywords": self.notice, "comments": self.notice})

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:  # a failed build: release the temporary files (the caller deletes the target)
            self._open = None
            try:
                self.book.close()
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass

    def unique_title(self, title: str) -> str:
        """The sheet name Excel accepts that is closest to ``title`` and not yet used in this workbook."""
        base = _BAD_TITLE.sub(" ", str(title)).strip().strip("'").strip()[:MAX_TITLE].strip().strip("'") or "Sheet"
        taken = self._titles | {"history"}  # Excel reserves "History"
        candidate, n = base, 2
        while candidate.casefold() in taken:
            suffix = f" ({n})"
            candidate, n = base[: MAX_TITLE - len(suffix)].rstrip("'") + suffix, n + 1
        self._titles.add(candidate.casefold())
        return candidate

    def add_sheet(self, title: str, columns: list[Column], *, freeze_rows: int = 1, auto_filter: bool = True) -> Sheet:
        if self._open is not None:
            raise RuntimeError(f"close sheet {self._open.title!r} before adding another")
        self._open = Sheet(self, self.unique_title(title), columns, freeze_rows=freeze_rows, auto_filter=auto_filter)
        return self._open

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
        self.book.close()


class Sheet:
    """One worksheet being written, row after row (``row`` is the number of the last row written, 1-based)."""

    def __init__(self, book: Workbook, title: str, columns: list[Column], *, freeze_rows: int, auto_filter: bool):
        self.book, self.title, self.columns = book, title, columns
        self.ws = book.book.add_worksheet(title)
        self.row = 0
        self.rows_written = 0
        self._auto_filter = auto_filter
        self._header_row: int | None = None
        self._writers = [self._writer(c.style) for c in columns]
        for i, column in enumerate(columns):
            self.ws.set_column(i, i, column.width)
        if book.notice:  # the first row, frozen with the rows below it that stay in view
            self._cell(self._next_row(), 0, book.notice, NOTICE)
            self.ws.set_header("&C" + book.notice.replace("&", "&&")[:200])
            freeze_rows += 1 if freeze_rows else 0
        if freeze_rows:
            self.ws.freeze_panes(freeze_rows, 0)

    # --- cells ---

    def _text(self, r: int, c: int, value, style: str = TEXT) -> None:
        if value.__class__ is not str:
            value = str(value)
        value = clean_text(value)
        if not value:
            return
        fmt = self.book.formats[(style, "quoted")] if is_guarded(value) else self.book.formats[style]
        if value.startswith("<r>") and value.endswith("</r>"):
            # XlsxWriter writes such text unescaped in constant_memory mode (its pre-built rich strings): plain runs
            # (it wants at least three) are escaped like any text.
            self.ws.write_rich_string(r, c, value[:1], value[1:2], value[2:], fmt)
        else:
            self.ws.write_string(r, c, value, fmt)

    def _cell(self, r: int, c: int, value, style: str) -> None:
        """Any value in a column of ``style``."""
        if value is None or value == "":
            return
        if isinstance(value, str) or style in (TEXT, HEADER, TITLE, NOTICE):
            self._text(r, c, value, style if style in (HEADER, TITLE, NOTICE) else TEXT)
            return
        if isinstance(value, datetime.datetime):
            value = local_naive(value)
            if style != DATE:
                self.ws.write_datetime(r, c, value, self.book.formats[DATETIME])
                return
            value = value.date()
        if isinstance(value, datetime.date):
            self.ws.write_datetime(r, c, value, self.book.formats[DATE])
            return
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, (int, float, Decimal)):
            self._text(r, c, value)
            return
        if style in (AUTO, DATE, DATETIME):
            if isinstance(value, int):
                style = INTEGER
            elif isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent == -2:
                style = MONEY
            else:
                style = DECIMAL1
        number = _number(value)
        if number is not None:
            self.ws.write_number(r, c, number, self.book.formats[style])

    def _writer(self, style: str):
        """The fast path for one column: its common types first, anything else through _cell. It calls XlsxWriter's
        undecorated cell writers (``_write_number``, ``_write_string``: what ``write_number`` and ``write_string``
        call once they have turned an "A1" reference into row and column): the reference check costs about as much
        as our own work per cell over a province's million cells. Every workbook test goes through them."""
        write_number, fmt = self.ws._write_number, self.book.formats.get(style)
        if style == TEXT:
            plain, quoted, write_string = self.book.formats[TEXT], self.book.formats[(TEXT, "quoted")], self.ws._write_string
            illegal = ILLEGAL_IN_SHEETS.search

            def text_cell(r, c, value):
                if value.__class__ is str and not illegal(value) and not value.startswith("<r>"):
                    if value:
                        write_string(r, c, value, quoted if value[:1] in _DANGEROUS_FIRST else plain)
                elif value is not None:
                    self._text(r, c, value)
            return text_cell
        if style in (INTEGER, MONEY, DECIMAL1, PERCENT):
            def number_cell(r, c, value):
                kind = value.__class__
                if kind is int:
                    write_number(r, c, value, fmt)
                elif kind is Decimal or kind is float:
                    number = _number(value)
                    if number is not None:
                        write_number(r, c, number, fmt)
                elif value is not None:
                    self._cell(r, c, value, style)
            return number_cell
        return lambda r, c, value: self._cell(r, c, value, style)

    # --- rows ---

    def _next_row(self) -> int:
        if self.row >= MAX_ROWS:
            raise TooManyRows(_("The sheet “%(sheet)s” would have more than %(rows)s rows, the most a workbook sheet can "
                                "hold. Narrow the report (a smaller region or fewer filters).")
                              % {"sheet": self.title, "rows": f"{MAX_ROWS:,}"})
        self.row += 1
        return self.row - 1  # XlsxWriter's rows are 0-based

    def title_line(self, text: str) -> None:
        """A bold line above the table (a report's title, its scope and date)."""
        self._cell(self._next_row(), 0, text, TITLE)

    def header(self) -> None:
        r = self._next_row()
        self._header_row = self.row
        for c, column in enumerate(self.columns):
            self._cell(r, c, str(column.title), HEADER)

    def append(self, values) -> None:
        r = self._next_row()
        c = 0
        for write, value in zip(self._writers, values):
            if value is not None:
                write(r, c, value)
            c += 1
        self.rows_written += 1

    def blank(self) -> None:
        self._next_row()

    def add_chart(self, chart: Chart) -> None:
        col, first, last = chart.categories
        plot = self.book.book.add_chart({"type": "bar" if chart.horizontal else "column"})
        for name, value_col in chart.series:
            plot.add_series({
                "name": str(name),
                "categories": [self.title, first - 1, col, last - 1, col],
                "values": [self.title, first - 1, value_col, last - 1, value_col],
                "gap": 80,
            })
        plot.set_title({"name": str(chart.title)})
        plot.set_legend({"position": "bottom"})
        self.ws.insert_chart(chart.anchor_row, chart.anchor_col, plot, {"x_scale": 1.2, "y_scale": 1.4})

    def close(self) -> None:
        if self._auto_filter and self._header_row and self.columns:
            self.ws.autofilter(self._header_row - 1, 0, max(self.row, self._header_row) - 1, len(self.columns) - 1)
        self.book._open = None
