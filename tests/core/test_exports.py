"""Formula injection: no exported text cell can start a formula, in any export of the project."""
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from core.exports import DANGEROUS_PREFIXES, safe_cell, sheet_row
from core.models import Role
from tests.factories import VillageFactory, region, user_with

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
    book = Workbook(write_only=True)  # as the dashboard's export writes (the reports have their own writer: tests/reports)
    sheet = book.create_sheet("s")
    sheet.append(sheet_row([text, Decimal("-5.00")]))
    out = io.BytesIO()
    book.save(out)
    cell, amount = next(load_workbook(io.BytesIO(out.getvalue()))["s"].iter_rows())
    assert cell.data_type != "f"
    assert not str(cell.value or "").startswith(("=", "+", "-", "@"))
    assert amount.value == -5  # numbers stay numbers, negative ones included


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","点击")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\x0b=1"])
def test_the_dashboard_export_neutralises_formulas(client, db, name):
    """A township's name reaches the "areas below" sheet. (The ledger's export is a report now:
    tests/reports/test_ledger.py.)"""
    from dashboard.stats import rebuild

    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    region("330523108", name=name)
    VillageFactory(code="330523108204")
    rebuild("")
    client.force_login(county)
    dashboard = load_workbook(io.BytesIO(client.get(reverse("dashboard:export", args=["330523"])).content))
    names = [row[1] for row in dashboard[dashboard.sheetnames[-2]].iter_rows(min_row=2, values_only=True)]
    assert names == ["'" + name.replace("\r", "\n").replace("\x0b", "")], names
    assert all(c.data_type != "f" for sheet in dashboard for row in sheet.iter_rows() for c in row)
