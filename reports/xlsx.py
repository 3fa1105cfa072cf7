"""A streaming XLSX writer for reports of a whole province.

Why not openpyxl or XlsxWriter: both spend about 10 µs per cell in Python
(type dispatch, per-cell style objects, per-cell XML elements), which on this
project's servers is 6,000-10,000 rows per second for a 14-column village
sheet (measured: ``make bench``, see README). A province report has 25,000+
village rows plus the overdue list; the target is 20,000 rows per second in
bounded memory. This writer knows each column's type and style up front and
writes a row as one string, straight into a deflated ZIP entry: memory does
not grow with the number of rows, and the file is a plain Office Open XML
workbook (read back by openpyxl in the tests, opened by Excel, WPS and
LibreOffice).

It supports what the reports need and nothing more: several sheets, typed
columns with number formats and widths, a bold header row frozen in place,
an auto-filter, title lines above a table, and clustered bar charts over a
range of a sheet. Every text cell goes through ``core.exports.safe_cell``
(formula injection).
"""
from __future__ import annotations

import datetime
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from core.exports import DANGEROUS_PREFIXES, ILLEGAL_IN_SHEETS

# Style ids (indexes into cellXfs of STYLES_XML). AUTO is not a style: a column of mixed figures
# (a summary's values) takes INTEGER for whole numbers, MONEY for amounts with cents, DECIMAL1 otherwise.
TEXT, HEADER, INTEGER, MONEY, DECIMAL1, DATE, TITLE, PERCENT = range(8)
AUTO = -1

_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DANGEROUS_FIRST = frozenset(DANGEROUS_PREFIXES)  # each is one character


def _text(value) -> str:
    """Text for an inline string: neutralised like core.exports.safe_cell, XML-escaped only when it needs it.
    Characters XML cannot hold are dropped first, so that what is left is what gets neutralised ("\\x1f=1" is
    written as "'=1", not "=1")."""
    if value.__class__ is not str:
        value = str(value)
    escaping = _NEEDS_ESCAPE.search(value)
    if escaping:
        value = ILLEGAL_IN_SHEETS.sub("", value)
    if value[:1] in _DANGEROUS_FIRST:
        value = "'" + value
    if escaping:
        value = escape(value, {"\r": "&#13;"})  # a bare CR would be read back as LF
    return value


@dataclass(frozen=True)
class Column:
    title: str
    style: int = TEXT  # TEXT, INTEGER, MONEY, DECIMAL1, DATE or PERCENT
    width: float = 12


# Cells carry no `r` reference: it is optional, and a cell's place is its position in the row
# (an empty cell is written as <c/>). That halves the work per cell.
EMPTY = "<c/>"


def _cell(style: int, value) -> str:
    """One cell's XML, for any value. Numbers keep their column's style; text is an inline string."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str) or style in (TEXT, HEADER, TITLE):
        text_style = style if style in (HEADER, TITLE) else TEXT
        return f'<c s="{text_style}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return f'<c s="{DATE}"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, bool):
        value = int(value)
    if style == AUTO:
        if isinstance(value, int):
            style = INTEGER
        elif isinstance(value, Decimal) and value.as_tuple().exponent == -2:
            style = MONEY
        else:
            style = DECIMAL1
    if isinstance(value, Decimal):
        value = format(value, "f")
    return f'<c s="{style}"><v>{value}</v></c>'


def _writer(style: int):
    """The fast path for one column: its common types first, anything else through _cell."""
    if style == TEXT:
        def text_cell(value):
            if value is None or value == "":
                return EMPTY
            return f'<c s="0" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
        return text_cell
    if style in (INTEGER, MONEY, DECIMAL1, PERCENT):
        prefix = f'<c s="{style}"><v>'

        def number_cell(value):
            kind = value.__class__
            if kind is int or kind is float:
                return f"{prefix}{value}</v></c>"
            if kind is Decimal:
                return f"{prefix}{value:f}</v></c>"
            return EMPTY if value is None else _cell(style, value)
        return number_cell
    return lambda value: _cell(style, value)


@dataclass
class Chart:
    title: str
    anchor_col: int
    anchor_row: int
    categories: tuple[int, int, int]  # (column, first row, last row), 1-based rows
    series: list[tuple[str, int]] = field(default_factory=list)  # (name, column) over the same rows
    horizontal: bool = False


class Sheet:
    """One worksheet being written. Rows stream into the ZIP entry; only one sheet is open at a time."""

    BUFFER_ROWS = 500

    def __init__(self, book: Workbook, index: int, title: str, columns: list[Column], *, freeze_rows: int, auto_filter: bool):
        self.book, self.index, self.title, self.columns = book, index, title, columns
        self.letters = [column_letter(i) for i in range(max(len(columns), 26))]
        self._writers = [_writer(c.style) for c in columns]
        self.row = 0
        self.rows_written = 0
        self.charts: list[Chart] = []
        self._auto_filter = auto_filter
        self._header_row = None
        self._buffer: list[str] = []
        self._stream = book.zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True)
        head = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">']
        if auto_filter:
            head.append('<sheetPr filterMode="false"/>')
        head.append('<sheetViews><sheetView workbookViewId="0">')
        if freeze_rows:
            head.append(f'<pane ySplit="{freeze_rows}" topLeftCell="A{freeze_rows + 1}" activePane="bottomLeft" state="frozen"/>'
                        f'<selection pane="bottomLeft" activeCell="A{freeze_rows + 1}" sqref="A{freeze_rows + 1}"/>')
        head.append("</sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>")
        if columns:
            head.append("<cols>" + "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{c.width}" customWidth="1"/>' for i, c in enumerate(columns)
            ) + "</cols>")
        head.append("<sheetData>")
        self._stream.write("".join(head).encode())

    def _flush(self):
        if self._buffer:
            self._stream.write("".join(self._buffer).encode())
            self._buffer.clear()

    def title_line(self, text: str) -> None:
        """A bold line above the table (a report's title, its scope and date)."""
        self.row += 1
        self._buffer.append(f'<row r="{self.row}">{_cell(TITLE, text)}</row>')

    def header(self) -> None:
        self.row += 1
        self._header_row = self.row
        cells = "".join(_cell(HEADER, str(c.title)) for c in self.columns)
        self._buffer.append(f'<row r="{self.row}">{cells}</row>')

    def append(self, values) -> None:
        self.row += 1
        self._buffer.append(f'<row r="{self.row}">' + "".join([w(v) for w, v in zip(self._writers, values)]) + "</row>")
        self.rows_written += 1
        if len(self._buffer) >= self.BUFFER_ROWS:
            self._flush()

    def blank(self) -> None:
        self.row += 1

    def add_chart(self, chart: Chart) -> None:
        self.charts.append(chart)

    def close(self) -> None:
        self._flush()
        tail = ["</sheetData>"]
        if self._auto_filter and self._header_row and self.columns:
            last = self.letters[len(self.columns) - 1]
            tail.append(f'<autoFilter ref="A{self._header_row}:{last}{max(self.row, self._header_row)}"/>')
        tail.append('<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
        if self.charts:
            tail.append('<drawing r:id="rId1"/>')
        tail.append("</worksheet>")
        self._stream.write("".join(tail).encode())
        self._stream.close()
        self.book._sheet_closed(self)


class Workbook:
    """``with Workbook(path) as book: sheet = book.add_sheet(...); ...; sheet.close()``."""

    def __init__(self, path, *, compresslevel: int = 1):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.sheets: list[tuple[int, str]] = []
        self.drawings: list[tuple[int, list[Chart], str]] = []  # (sheet index, charts, sheet title)
        self._open: Sheet | None = None
        self._titles: set[str] = set()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:  # a failed build: release the file (the caller deletes it)
            if self._open is not None:
                self._open._stream.close()
                self._open = None
            self.zip.close()

    def _unique_title(self, title: str) -> str:
        base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
        candidate, n = base, 2
        while candidate.lower() in self._titles:
            suffix = f" ({n})"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        self._titles.add(candidate.lower())
        return candidate

    def add_sheet(self, title: str, columns: list[Column], *, freeze_rows: int = 1, auto_filter: bool = True) -> Sheet:
        if self._open is not None:
            raise RuntimeError(f"close sheet {self._open.title!r} before adding another")
        index = len(self.sheets) + 1
        sheet = Sheet(self, index, self._unique_title(title), columns, freeze_rows=freeze_rows, auto_filter=auto_filter)
        self.sheets.append((index, sheet.title))
        self._open = sheet
        return sheet

    def _sheet_closed(self, sheet: Sheet) -> None:
        self._open = None
        if sheet.charts:
            self.drawings.append((sheet.index, sheet.charts, sheet.title))

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
        z = self.zip
        chart_number = 0
        overrides = []
        for drawing_number, (sheet_index, charts, sheet_title) in enumerate(self.drawings, 1):
            z.writestr(f"xl/worksheets/_rels/sheet{sheet_index}.xml.rels", _rels([
                ("rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing", f"../drawings/drawing{drawing_number}.xml")
            ]))
            anchors, drawing_rels = [], []
            for i, chart in enumerate(charts, 1):
                chart_number += 1
                z.writestr(f"xl/charts/chart{chart_number}.xml", _chart_xml(chart, sheet_title))
                overrides.append((f"/xl/charts/chart{chart_number}.xml", "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"))
                drawing_rels.append((f"rId{i}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart",
                                     f"../charts/chart{chart_number}.xml"))
                anchors.append(_anchor_xml(chart, i))
            z.writestr(f"xl/drawings/drawing{drawing_number}.xml",
                       '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
                       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">' + "".join(anchors) + "</xdr:wsDr>")
            z.writestr(f"xl/drawings/_rels/drawing{drawing_number}.xml.rels", _rels(drawing_rels))
            overrides.append((f"/xl/drawings/drawing{drawing_number}.xml", "application/vnd.openxmlformats-officedocument.drawing+xml"))
        sheets_xml = "".join(
            f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{index}" r:id="rId{index}"/>' for index, title in self.sheets
        )
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView/></bookViews>'
                   f"<sheets>{sheets_xml}</sheets></workbook>")
        count = len(self.sheets)
        z.writestr("xl/_rels/workbook.xml.rels", _rels(
            [(f"rId{i}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", f"worksheets/sheet{i}.xml")
             for i, _t in self.sheets]
            + [(f"rId{count + 1}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles", "styles.xml")]
        ))
        z.writestr("xl/styles.xml", STYLES_XML)
        z.writestr("_rels/.rels", _rels([
            ("rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument", "xl/workbook.xml")
        ]))
        types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i, _t in self.sheets
        ) + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                   f"{types}</Types>")
        z.close()


def _rels(items) -> str:
    body = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>' for rid, kind, target in items)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{body}</Relationships>')


def _ref(sheet_title: str, column: int, first: int, last: int) -> str:
    letter = column_letter(column)
    quoted = sheet_title.replace("'", "''")
    return f"'{quoted}'!${letter}${first}:${letter}${last}"


def _chart_xml(chart: Chart, sheet_title: str) -> str:
    col, first, last = chart.categories
    series = []
    for i, (name, value_col) in enumerate(chart.series):
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:v>{escape(name)}</c:v></c:tx>'
            f'<c:invertIfNegative val="0"/>'
            f'<c:cat><c:strRef><c:f>{escape(_ref(sheet_title, col, first, last))}</c:f></c:strRef></c:cat>'
            f'<c:val><c:numRef><c:f>{escape(_ref(sheet_title, value_col, first, last))}</c:f></c:numRef></c:val></c:ser>'
        )
    direction = "bar" if chart.horizontal else "col"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<c:roundedCorners val="0"/><c:chart>'
        f'<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{escape(chart.title)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>'
        '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/><c:varyColors val="0"/>{"".join(series)}'
        '<c:gapWidth val="80"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
        '<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="{"l" if chart.horizontal else "b"}"/><c:numFmt formatCode="General" sourceLinked="0"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="100"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
        '<c:lblOffset val="100"/></c:catAx>'
        '<c:valAx><c:axId val="100"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="{"b" if chart.horizontal else "l"}"/><c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="10"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
        '</c:plotArea><c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/></c:chart>'
        '</c:chartSpace>'
    )


def _anchor_xml(chart: Chart, rid: int) -> str:
    return (
        f'<xdr:twoCellAnchor><xdr:from><xdr:col>{chart.anchor_col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{chart.anchor_row}</xdr:row>'
        f'<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{chart.anchor_col + 9}</xdr:col><xdr:colOff>0</xdr:colOff>'
        f'<xdr:row>{chart.anchor_row + 20}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
        f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{rid + 1}" name="Chart {rid}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId{rid}"/>'
        '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>'
    )


# Fonts: 0 regular, 1 bold, 2 bold 14pt. Number formats: 3 is Excel's built-in "#,##0".
STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="0.0"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd"/><numFmt numFmtId="167" formatCode="0.0%"/></numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'  # TEXT
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">'
    '<alignment wrapText="1" vertical="center"/></xf>'  # HEADER
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'  # INTEGER
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'  # MONEY
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'  # DECIMAL1
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'  # DATE
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'  # TITLE
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'  # PERCENT
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
