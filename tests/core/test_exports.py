"""Formula injection: no exported text cell can start a formula, in any export of the project."""
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from core.exports import DANGEROUS_PREFIXES, safe_cell
from core.models import Role
from funding import exports as funding_exports
from tests.factories import FundingSourceFactory, region, user_with

dangerous_text = st.builds(lambda p, rest: p + rest, st.sampled_from(DANGEROUS_PREFIXES), st.text(max_size=40))


@given(st.one_of(st.text(max_size=60), dangerous_text))
def test_safe_cell_never_leaves_a_formula_start(text):
    result = safe_cell(text)
    assert not result.startswith(DANGEROUS_PREFIXES)
    assert result == text or (result == "'" + text and text.startswith(DANGEROUS_PREFIXES))


@given(st.one_of(st.integers(), st.decimals(allow_nan=False, allow_infinity=False), st.none(), st.booleans()))
def test_typed_values_are_untouched(value):
    assert safe_cell(value) is value


@settings(max_examples=60, deadline=None)
@given(st.one_of(dangerous_text, st.text(max_size=40), st.builds(lambda c, t: c + t, st.sampled_from("\x00\x0b\x1f"), dangerous_text)))
def test_a_written_cell_is_text_never_a_formula(text):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    funding_exports._row(sheet, [text, Decimal("-5.00")])
    out = io.BytesIO()
    book.save(out)
    cell, amount = next(load_workbook(io.BytesIO(out.getvalue()))["s"].iter_rows())
    assert cell.data_type != "f"
    assert not str(cell.value or "").startswith(("=", "+", "-", "@"))
    assert amount.value == -5  # numbers stay numbers, negative ones included


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","点击")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_ledger_and_dashboard_exports_neutralise_formulas(client, db, name):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    FundingSourceFactory(name=name, region=region("330523"))
    client.force_login(county)
    book = load_workbook(io.BytesIO(client.get(reverse("funding:export")).content))
    names = [row[1].value for row in book[book.sheetnames[0]].iter_rows(min_row=2)]
    assert names == ["'" + name.replace("\r", "\n")]  # XML stores a carriage return as a newline
    assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)
    dashboard = load_workbook(io.BytesIO(client.get(reverse("dashboard:export", args=["330523"])).content))
    assert all(c.data_type != "f" for sheet in dashboard for row in sheet.iter_rows() for c in row)


def test_a_character_a_sheet_cannot_hold_is_dropped_before_neutralising(client, db):
    """A vertical tab (U+000B) cannot be stored in a workbook: openpyxl refused the whole ledger export. It is dropped,
    and what is left ("=1") is neutralised."""
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    FundingSourceFactory(name="\x0b=1", region=region("330523"))
    client.force_login(county)
    response = client.get(reverse("funding:export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert [row[1].value for row in book[book.sheetnames[0]].iter_rows(min_row=2)] == ["'=1"]
