"""One way of showing money and counts on every page, and the dashboard's charts show the same (static/js/dashboard.js).

- ``money``: yuan with thousands separators and two decimals, "1,494,000.00" (tables, forms, detail pages, whose
  headings state the unit);
- ``money_unit``: a figure that stands alone (a dashboard's key figure) with its unit, in 万元 from 100,000 yuan
  up: "26,276.30 万元", below as "52,000.00 元";
- ``count``: a whole number with thousands separators, "25,547".

None shows as "—". The separators do not depend on the language (Chinese and English both group by thousands
with commas here), so a figure reads the same in a table, a key figure and a chart's axis.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

register = template.Library()

DASH = "—"
WAN = Decimal(10000)
WAN_FROM = Decimal(100000)  # from 10 万 up a figure is shown in 万元
CENT = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def grouped(amount: Decimal, places: int = 2) -> str:
    """Thousands separators and a fixed number of decimals, rounded half up: 23510000 → "23,510,000.00"."""
    quantum = Decimal(1).scaleb(-places)
    return f"{amount.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


@register.filter
def money(value) -> str:
    amount = _decimal(value)
    return DASH if amount is None else grouped(amount)


@register.filter
def money_unit(value) -> str:
    amount = _decimal(value)
    if amount is None:
        return DASH
    if abs(amount) >= WAN_FROM:
        return _("%(amount)s 10k yuan") % {"amount": grouped(amount / WAN)}
    return _("%(amount)s yuan") % {"amount": grouped(amount)}


@register.filter
def count(value) -> str:
    amount = _decimal(value)
    return DASH if amount is None else grouped(amount, 0)


@register.filter
def wan(value) -> str:
    """In 万 (10,000) with two decimals, for a column whose heading states the unit (万元): 23510000 → "2,351.00"."""
    amount = _decimal(value)
    return DASH if amount is None else grouped(amount / WAN)
