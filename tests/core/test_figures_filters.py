"""The one formatting of money and counts (core/templatetags/figures.py)."""
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.templatetags.figures import count, money, money_unit, wan


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("23510000"), "23,510,000.00"), (Decimal("1494000.5"), "1,494,000.50"), (Decimal("0.005"), "0.01"),
    (Decimal("-52000"), "-52,000.00"), (262763000, "262,763,000.00"), ("12.3", "12.30"), (None, "—"), ("", "—"), ("x", "—"),
])
def test_money_has_separators_and_two_decimals(value, shown):
    assert money(value) == shown


def test_money_unit_is_wan_yuan_from_100000_up():
    with translation.override("zh-hans"):
        assert money_unit(Decimal("262763000")) == "26,276.30 万元"
        assert money_unit(Decimal("100000")) == "10.00 万元"
        assert money_unit(Decimal("99999.99")) == "99,999.99 元"
        assert money_unit(None) == "—"
    with translation.override("en"):
        assert money_unit(Decimal("262763000")) == "26,276.30 10k yuan"


def test_wan_and_count():
    assert wan(Decimal("23510000")) == "2,351.00"
    assert wan(None) == "—"
    assert count(25547) == "25,547"
    assert count(None) == "—"


def test_the_filters_load_in_a_template():
    rendered = Template("{% load figures %}{{ a|money }} {{ a|wan }}").render(Context({"a": Decimal("1234567.891")}))
    assert rendered == "1,234,567.89 123.46"
