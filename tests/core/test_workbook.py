"""The one workbook writer (core.workbook, XlsxWriter): what goes in comes back out through openpyxl and through
LibreOffice, text is never a formula (and shows as typed, behind a quote prefix), and the workbook has the
structure the reports rely on (frozen header, widths, formats, filters, charts). Each guard the hand-written
writer lacked is checked: NaN and infinity, ``_xHHHH_`` text, rich-string look-alikes, zoned date-times, sheet
names, the row limit."""
import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.exports import DANGEROUS_PREFIXES, safe_cell
from core.workbook import (
    AUTO,
    DATE,
    DATETIME,
    DECIMAL1,
    INTEGER,
    MAX_ROWS,
    MONEY,
    TEXT,
    Chart,
    Column,
    TooManyRows,
    Workbook,
    column_letter,
)
from tests.workbooks import assert_guarded, quoted, same_values, shown

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(texts, min_size=1, max_size=8))
@example(values=["\x1f\t", "\x0b=1"])  # found by CI: the control character hid the tab from the neutraliser
@example(values=["_x0041_", "<r>x & y</r>", "\r=1", "_x000D_"])
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
        expected = ILLEGAL.sub("", value)  # what XML cannot hold is dropped, the rest is shown as typed
        assert shown(cell.value or "") == expected
        if expected:
            assert cell.data_type == "s"  # text, never a formula ("f")
            # The neutralised text is safe_cell's, with the apostrophe hidden in the cell's format.
            assert cell.quotePrefix == expected.startswith(DANGEROUS_PREFIXES)
            assert ("'" if cell.quotePrefix else "") + expected == safe_cell(expected)


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
        for i in range(1200):
            data.append([i])
        data.close()
    wb = load_workbook(path)
    first, second = wb.worksheets
    assert first.title == "Summary  a b" and second.title == "Summary  a b (2)"
    assert first["A1"].value == "标题 =1+1" and first["A1"].font.b and first.freeze_panes is None
    assert len(first._charts) == 1 and first.column_dimensions["A"].width >= 20
    assert first["A2"].font.b and first["A2"].fill.fgColor.rgb.endswith("E8EEF7")  # the header row
    assert second.freeze_panes == "A2" and second.max_row == 1201 and second["A1201"].value == 1199
    assert second.auto_filter.ref == "A1:A1201"


def test_nan_and_infinity_leave_the_cell_empty_and_the_file_valid(tmp_path):
    path = tmp_path / "t.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("s", [Column("a", MONEY), Column("b", DECIMAL1), Column("c", AUTO), Column("d", INTEGER)])
        sheet.header()
        sheet.append([float("nan"), Decimal("NaN"), float("inf"), Decimal("-Infinity")])
        sheet.append([Decimal("sNaN"), float("-inf"), Decimal("Infinity"), 7])
        sheet.close()
    ws = load_workbook(path)["s"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [[None, None, None, None], [None, None, None, 7]]
    same_values(path, tmp_path)


def test_zoned_datetimes_are_written_on_the_programme_s_clock(tmp_path, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    utc_evening = datetime.datetime(2025, 6, 30, 20, 30, tzinfo=datetime.UTC)  # 04:30 on 1 July in Shanghai
    new_york = utc_evening.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    naive = datetime.datetime(2025, 6, 30, 9, 15)
    path = tmp_path / "t.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("s", [Column("day", DATE), Column("moment", DATETIME), Column("any", AUTO)])
        sheet.header()
        sheet.append([utc_evening, utc_evening, new_york])
        sheet.append([naive, naive, None])
        sheet.close()
    ws = load_workbook(path)["s"]
    assert [c.value for c in ws[2]] == [datetime.datetime(2025, 7, 1), datetime.datetime(2025, 7, 1, 4, 30),
                                        datetime.datetime(2025, 7, 1, 4, 30)]
    assert ws["A2"].number_format == "yyyy-mm-dd" and ws["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in ws[3]][:2] == [datetime.datetime(2025, 6, 30), naive]  # naive: already local
    lo = same_values(path, tmp_path)
    assert lo["s"][1][:2] == ["2025-07-01", "2025-07-01 04:30:00"]


@pytest.mark.parametrize("titles, expected", [
    (["a" * 40], ["a" * 31]),
    (["x[1]:*?/\\y"], ["x 1      y"]),
    (["'quoted'"], ["quoted"]),
    (["History", "history"], ["History (2)", "history (3)"]),  # reserved by Excel
    (["数据", "数据", "数据"], ["数据", "数据 (2)", "数据 (3)"]),
    (["Summary", "SUMMARY"], ["Summary", "SUMMARY (2)"]),  # unique regardless of case
    (["b" * 31, "b" * 31], ["b" * 31, "b" * 27 + " (2)"]),
    (["", "   ", "[]"], ["Sheet", "Sheet (2)", "Sheet (3)"]),
])
def test_sheet_names_follow_excel_s_rules(tmp_path, titles, expected):
    path = tmp_path / "t.xlsx"
    with Workbook(path) as book:
        for title in titles:
            book.add_sheet(title, [Column("x")]).close()
    assert load_workbook(path).sheetnames == expected


def test_a_sheet_stops_at_excel_s_row_limit(tmp_path):
    """XlsxWriter drops a row beyond 1,048,576 silently: the writer refuses it instead."""
    path = tmp_path / "t.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("s", [Column("n", INTEGER)])
        sheet.header()
        sheet.row = MAX_ROWS - 2  # as if 1,048,573 rows had been written
        sheet.append([1])
        sheet.append([2])  # the last row a sheet holds
        with pytest.raises(TooManyRows, match="1,048,576"):
            sheet.append([3])
        sheet.close()
    ws = load_workbook(path, read_only=True)["s"]
    assert ws.max_row == MAX_ROWS
    assert [row[0] for row in ws.iter_rows(min_row=MAX_ROWS - 1, values_only=True)] == [1, 2]


def test_every_kind_of_cell_reads_the_same_in_libreoffice(tmp_path):
    path = tmp_path / "cells.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("单元格", [Column("text"), Column("money", MONEY), Column("n", INTEGER), Column("day", DATE),
                                          Column("x", AUTO), Column("pct", DECIMAL1)])
        sheet.title_line("=title")
        sheet.header()
        sheet.append(["=HYPERLINK(\"http://x\")", Decimal("1234567.89"), -5, datetime.date(2025, 3, 1), Decimal("12.50"), Decimal("9.5")])
        sheet.append(["_x0041_", Decimal("0.10"), 0, None, 3, None])
        sheet.append(["<r>a & b</r>", None, 10**9, datetime.date(1950, 1, 1), "text", Decimal("-0.1")])
        sheet.append(["\t@SUM(A1)", Decimal("-1.00"), None, None, None, None])
        sheet.close()
    book = load_workbook(path)
    assert_guarded(book)
    assert quoted(book) == {"=title", "=HYPERLINK(\"http://x\")", "\t@SUM(A1)"}
    lo = same_values(path, tmp_path)
    assert lo["单元格"][2][0] == "=HYPERLINK(\"http://x\")" and lo["单元格"][3][0] == "_x0041_"  # text, as typed


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


@pytest.mark.parametrize("notice", ["", "示例数据：非真实数据"])
def test_a_notice_is_a_banner_on_every_sheet_and_a_property_of_the_file(tmp_path, notice):
    """A workbook of invented figures says so above everything on each sheet (frozen with the header), on its printed
    pages and in its properties; without a notice the sheets start with their own first row."""
    path = tmp_path / "book.xlsx"
    with Workbook(path, notice=notice) as book:
        sheet = book.add_sheet("一", [Column("a", TEXT), Column("b", INTEGER)], freeze_rows=2)
        sheet.title_line("标题")
        sheet.header()
        sheet.append(["x", 1])
        sheet.close()
        sheet = book.add_sheet("二", [Column("a", TEXT)], freeze_rows=0)
        sheet.append(["=danger"])
        sheet.close()
    book = load_workbook(path)
    first, second = book["一"], book["二"]
    offset = 1 if notice else 0
    assert first.cell(1 + offset, 1).value == "标题" and first.cell(2 + offset, 1).value == "a"
    assert first.freeze_panes == f"A{3 + offset}" and first.auto_filter.ref == f"A{2 + offset}:B{3 + offset}"
    assert second.freeze_panes is None and shown(second.cell(1 + offset, 1).value) == "=danger"
    assert_guarded(book)
    if notice:
        assert first["A1"].value == second["A1"].value == notice and first["A1"].font.b
        assert first.oddHeader.center.text == notice
        assert book.properties.subject == book.properties.keywords == book.properties.description == notice
    else:
        assert not book.properties.subject and not first.oddHeader.center.text
