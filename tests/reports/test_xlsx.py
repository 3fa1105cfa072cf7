"""The streaming XLSX writer: what goes in comes back out through openpyxl, text is never a formula,
and the workbook has the structure the reports rely on (frozen header, widths, formats, charts)."""
import datetime
import re
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.exports import DANGEROUS_PREFIXES, safe_cell
from reports.xlsx import AUTO, DATE, DECIMAL1, INTEGER, MONEY, TEXT, Chart, Column, Workbook, column_letter

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(texts, min_size=1, max_size=8))
@example(values=["\x1f\t", "\x0b=1"])  # found by CI: the control character hid the tab from the neutraliser
def test_any_text_round_trips_and_is_never_a_formula(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("数据", [Column(f"c{i}", TEXT) for i in range(len(values))])
        sheet.header()
        sheet.append(values)
        sheet.close()
    ws = load_workbook(path)["数据"]
    for column, value in enumerate(values, 1):
        cell = ws.cell(2, column)
        expected = safe_cell(ILLEGAL.sub("", value))  # what XML cannot hold is dropped, then the rest is neutralised
        assert (cell.value or "") == expected
        assert not (cell.value or "").startswith(DANGEROUS_PREFIXES)
        if expected:
            assert cell.data_type == "s"  # text, never a formula ("f")


@settings(max_examples=60, deadline=None)
@given(amount=st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False),
       count=st.integers(min_value=-10**9, max_value=10**9),
       day=st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_numbers_and_dates_are_typed_cells_with_formats(tmp_path_factory, amount, count, day):
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("s", [Column("a", MONEY), Column("n", INTEGER), Column("d", DATE), Column("x", AUTO)])
        sheet.header()
        sheet.append([amount, count, day, amount])
        sheet.close()
    ws = load_workbook(path)["s"]
    a, n, d, x = (ws.cell(2, i) for i in range(1, 5))
    assert Decimal(str(a.value)).quantize(Decimal("0.01")) == amount and a.number_format == "#,##0.00"
    assert n.value == count and n.number_format == "#,##0"
    assert d.value.date() == day and d.number_format == "yyyy-mm-dd"
    assert x.number_format == "#,##0.00"


def test_structure_sheets_frozen_header_widths_filter_and_chart(tmp_path):
    path = tmp_path / "t.xlsx"
    with Workbook(path) as book:
        summary = book.add_sheet("Summary: a/b", [Column("area", TEXT, 20), Column("completion", DECIMAL1, 11)], freeze_rows=0)
        summary.title_line("标题 =1+1")
        summary.header()
        for name, value in [("甲", Decimal("10.5")), ("乙", Decimal("20"))]:
            summary.append([name, value])
        summary.add_chart(Chart("完成度", 3, 1, (0, 3, 4), [("completion", 1)]))
        summary.close()
        data = book.add_sheet("Summary: a/b", [Column("x", INTEGER, 9)])  # the same title: made unique
        data.header()
        for i in range(1200):  # more than one buffer of rows
            data.append([i])
        data.close()
    wb = load_workbook(path)
    first, second = wb.worksheets
    assert first.title == "Summary  a b" and second.title == "Summary  a b (2)"
    assert first["A1"].value == "标题 =1+1" and first["A1"].font.b and first.freeze_panes is None
    assert len(first._charts) == 1 and first.column_dimensions["A"].width == 20
    assert second.freeze_panes == "A2" and second.max_row == 1201 and second["A1201"].value == 1199
    assert second.auto_filter.ref == "A1:A1201"


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
