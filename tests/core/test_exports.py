"""Formula injection: no exported text cell can start a formula, in any export of the project."""
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.safestring import SafeString
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.exports import DANGEROUS_PREFIXES, ILLEGAL_IN_SHEETS, safe_cell, safe_row, sheet_cell, sheet_row
from core.models import Role
from core.workbook import MONEY, TEXT, Column
from core.workbook import Workbook as WorkbookWriter
from tests.factories import VillageFactory, region, user_with
from tests.workbooks import assert_guarded, shown

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
    """As every workbook of the portal is written (core.workbook): the text as typed, behind a quote prefix."""
    out = io.BytesIO()
    with WorkbookWriter(out, constant_memory=False) as book:
        sheet = book.add_sheet("s", [Column("text", TEXT), Column("amount", MONEY)])
        sheet.append([text, Decimal("-5.00")])
        sheet.close()
    cell, amount = next(load_workbook(io.BytesIO(out.getvalue()))["s"].iter_rows())
    assert cell.data_type != "f"
    assert not str(cell.value or "").startswith(("=", "+", "-", "@")) or cell.quotePrefix
    assert ("'" if cell.quotePrefix else "") + shown(cell.value or "") == sheet_cell(text)
    assert amount.value == -5  # numbers stay numbers, negative ones included


# --- one rule, several code paths ----------------------------------------------------------------------
# safe_cell (a cell), safe_row (a row, inlined for speed: the CSV reports), sheet_cell/sheet_row (workbooks)
# and core.workbook (the workbook writer: the apostrophe as a quote-prefix format) each implement the rule; they must never drift apart.
# The starts are spelled out here, not read from DANGEROUS_PREFIXES: a character dropped from the module's
# tuple (or from one path's copy of it) must fail a test.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Label(str):
    """A str subclass, as TextChoices members and Django's SafeString are."""


_start = st.sampled_from(FORMULA_STARTS + ("'", " ", "\n", "\x00", "\x1f", "\x0b", "\ufffe", "a", "中", "\u200b", "＝"))
texts = st.one_of(
    st.text(max_size=30),
    st.builds(lambda a, b: a + b, _start, st.text(max_size=20)),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from("\x00\x08\x0b\x0c\x1f\ufffe\uffff"), _start, st.text(max_size=10)),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
)
cell_values = st.one_of(
    texts,
    texts.map(SafeString),
    texts.map(Label),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities too
    st.decimals(),
    st.dates(),
    st.datetimes(),
    st.sampled_from([b"=1", ["=1"], ("@x",)]),  # not text: left alone by every path
)
rows = st.lists(cell_values, max_size=12)


def same_cells(left: list, right: list) -> bool:
    """Cell by cell: the same object, or equal text of the same type."""
    return len(left) == len(right) and all(
        a is b or (isinstance(a, str) and type(a) is type(b) and a == b) for a, b in zip(left, right)
    )


def neutralised_as_expected(value, result, *, sheet=False) -> bool:
    if not isinstance(value, str):
        return result is value
    text = ILLEGAL_IN_SHEETS.sub("", value) if sheet else value
    if text.startswith(FORMULA_STARTS):
        return result == "'" + text
    return result == text


@settings(max_examples=400, deadline=None)
@given(rows)
@example(list(FORMULA_STARTS))
@example([Label("=1"), SafeString("+1"), "\t=1", "\r=1"])
def test_safe_row_is_safe_cell_over_the_row(row):
    by_row = safe_row(row)
    by_cell = [safe_cell(value) for value in row]
    assert same_cells(by_row, by_cell), (row, by_row, by_cell)
    for value, a, b in zip(row, by_row, by_cell):
        assert neutralised_as_expected(value, a), (value, a)
        assert neutralised_as_expected(value, b), (value, b)


@settings(max_examples=300, deadline=None)
@given(rows)
@example(["\x00" + p for p in FORMULA_STARTS] + list(FORMULA_STARTS))
def test_sheet_row_is_sheet_cell_over_the_row(row):
    by_row = sheet_row(row)
    by_cell = [sheet_cell(value) for value in row]
    assert same_cells(by_row, by_cell), (row, by_row, by_cell)
    for value, a in zip(row, by_row):
        assert neutralised_as_expected(value, a, sheet=True), (value, a)
        if isinstance(value, str):
            assert not ILLEGAL_IN_SHEETS.search(a) and not a.startswith(FORMULA_STARTS)
            assert a == safe_cell(ILLEGAL_IN_SHEETS.sub("", value))


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, texts.map(Label), texts.map(SafeString)))
@example("\t=1")
@example("\r=1")
@example("\x1f=1")
def test_the_workbook_writer_neutralises_as_sheet_cell(text):
    """core.workbook keeps the text as typed and hides the apostrophe in a quote-prefix format."""
    assert _written(text) == sheet_cell(text)


def _written(text) -> str:
    """The text core.workbook writes for ``text``, with its hidden apostrophe shown."""
    out = io.BytesIO()
    with WorkbookWriter(out, constant_memory=False) as book:
        sheet = book.add_sheet("s", [Column("text", TEXT)])
        sheet.append([text])
        sheet.close()
    cell = load_workbook(io.BytesIO(out.getvalue()))["s"]["A1"]
    assert cell.data_type != "f"
    return ("'" if cell.quotePrefix else "") + shown(cell.value or "")


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_neutralised_by_every_path(start):
    text = start + "SUM(A1)"
    assert safe_cell(text) == safe_row([text])[0] == sheet_cell(text) == sheet_row([text])[0] == "'" + text
    assert _written(text) == "'" + text


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
    cells = [row[1] for row in dashboard[dashboard.sheetnames[-2]].iter_rows(min_row=2)]
    assert [shown(c.value) for c in cells] == [name.replace("\x0b", "")] and cells[0].quotePrefix, [c.value for c in cells]
    assert all(c.data_type != "f" for sheet in dashboard for row in sheet.iter_rows() for c in row)
    assert_guarded(dashboard)
