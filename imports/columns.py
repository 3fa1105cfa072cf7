"""The columns of an import: how a header is recognised and how a cell becomes a value, with the error a user reads
("第 17 行，预算（元）：不是数字"). Decisions for every kind (README: Imports):

* **Headers** are matched without regard to spaces, case or full-width brackets, in Chinese or in English (the
  template's headers are Chinese). A money column whose header says 万元 ("预算（万元）") is read in 万元.
* **Money**: thousands separators (1,234,567.89, also with full-width commas or spaces) are accepted; a value ending
  in 万 or 万元 is in 万元 (×10,000), one ending in 元 in yuan; at most two decimals in yuan; never negative.
* **Dates**: a date cell, or text as 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日 or 20250301. A number is not taken
  for a date (Excel's day counts are ambiguous once typed as text).
* **Choices** (a kind of project, a category): the label as the template's drop-down offers it, in Chinese or
  English, or its code.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

from .reading import FormulaWithoutValue

WAN = Decimal(10000)
CENT = Decimal("0.01")


class CellError(ValueError):
    """A cell that cannot be read as its column's value; the message says why, in the user's language."""


def normalise_header(text) -> str:
    text = str(text or "").strip().lower()
    text = text.replace("（", "(").replace("）", ")").replace("：", ":").replace("\u3000", " ")
    return re.sub(r"\s+", "", text).rstrip("*")


@dataclass
class Column:
    key: str
    header: object  # a lazy translation: the template's header (zh-hans), recognised in English too
    parse: Callable
    required: bool = True
    note: object = ""
    choices: list = field(default_factory=list)  # [(code, label)] for a drop-down
    money: bool = False  # a 万元 header multiplies by 10,000
    width: int = 16

    def headers(self) -> dict[str, Decimal]:
        """Every spelling of the header this column answers to → the multiplier of its values."""
        spelt = {}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                name = str(self.header)
            spelt[normalise_header(name)] = Decimal(1)
            if self.money:
                base = re.sub(r"\((元|yuan)\)$", "", normalise_header(name))
                spelt[normalise_header(f"{base}(万元)")] = WAN
                spelt[normalise_header(f"{base}(10kyuan)")] = WAN
        return spelt

    def read(self, value, multiplier: Decimal = Decimal(1)):
        if isinstance(value, FormulaWithoutValue):
            raise CellError(_("the formula in %(cell)s has no calculated value: open the file in Excel or WPS and save it "
                              "(or paste the values only)") % {"cell": value.cell})
        if value is None:
            if self.required:
                raise CellError(_("required"))
            return None
        if self.money:
            return self.parse(value, multiplier)
        return self.parse(value)


# --- Parsers -------------------------------------------------------------------------------------------------------

def text(max_length: int):
    def parse(value):
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f") if value == value.to_integral() else str(value)
        value = str(value).strip()
        if len(value) > max_length:
            raise CellError(_("at most %(n)d characters (it has %(count)d)") % {"n": max_length, "count": len(value)})
        return value
    return parse


def code(length: int):
    def parse(value):
        if isinstance(value, Decimal):
            if value != value.to_integral():
                raise CellError(_("not a division code"))
            value = str(int(value))
        value = str(value).strip()
        if not (value.isdigit() and len(value) == length):
            raise CellError(_("not a %(n)d-digit division code") % {"n": length})
        return value
    return parse


_SEPARATORS = re.compile(r"[,，\s\u00a0']")


def _number(value) -> Decimal:
    if isinstance(value, bool):
        raise CellError(_("not a number"))
    if isinstance(value, Decimal):
        return value
    raw = str(value).strip()
    cleaned = _SEPARATORS.sub("", raw)
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("not a number")) from None
    if not number.is_finite():
        raise CellError(_("not a number"))
    return number


def money(value, multiplier: Decimal = Decimal(1)) -> Decimal:
    """Yuan: "1,234,567.89", "120万", "120万元", "3500元"; × multiplier for a 万元 column."""
    if isinstance(value, str):
        raw = value.strip().replace("人民币", "").replace("¥", "").replace("￥", "")
        if raw.endswith(("万元", "万")):
            multiplier = WAN
            raw = raw.removesuffix("元").removesuffix("万")
        elif raw.endswith("元"):
            multiplier = Decimal(1)
            raw = raw.removesuffix("元")
        value = raw
    amount = _number(value) * multiplier
    if amount < 0:
        raise CellError(_("cannot be negative"))
    if amount != amount.quantize(CENT):
        raise CellError(_("at most two decimals (yuan and fen)"))
    if amount >= Decimal("1e12"):
        raise CellError(_("too large"))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal(places: int = 2, *, positive: bool = False, maximum: Decimal | None = None):
    def parse(value):
        number = _number(value)
        if positive and number <= 0:
            raise CellError(_("must be more than 0"))
        if number < 0:
            raise CellError(_("cannot be negative"))
        if maximum is not None and number > maximum:
            raise CellError(_("at most %(max)s") % {"max": maximum})
        quantum = Decimal(1).scaleb(-places)
        if number != number.quantize(quantum):
            raise CellError(_("at most %(n)d decimals") % {"n": places})
        return number
    return parse


def integer(low: int, high: int):
    def parse(value):
        number = _number(value)
        if number != number.to_integral():
            raise CellError(_("not a whole number"))
        if not low <= number <= high:
            raise CellError(_("between %(low)d and %(high)d") % {"low": low, "high": high})
        return int(number)
    return parse


_DATE_FORMS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, Decimal):
        raise CellError(_("not a date: enter it as 2025-03-01"))
    raw = str(value).strip()
    for form in _DATE_FORMS:
        match = form.match(raw)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                raise CellError(_("no such day")) from None
    raise CellError(_("not a date: enter it as 2025-03-01"))


def choice(choices):
    """A label (Chinese or English) or a code of ``choices`` ([(code, lazy label)])."""
    spellings: dict[str, str] = {}

    def parse(value):
        if not spellings:  # built on first use (the labels are translated then), then one lookup per cell
            for code_value, label in choices:
                spellings[normalise_header(code_value)] = code_value
                for language in ("zh-hans", "en"):
                    with translation.override(language):
                        spellings[normalise_header(str(label))] = code_value
        found = spellings.get(normalise_header(value))
        if found is None:
            raise CellError(_("not one of the choices (%(choices)s)") % {"choices": "、".join(str(label) for _c, label in choices)})
        return found
    return parse
