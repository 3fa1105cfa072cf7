"""Reading the portal's workbooks back in tests: with openpyxl, and through LibreOffice headless.

openpyxl leaves the OOXML escapes of text (``_x000D_`` for a carriage return, ``_x005F_x0041_`` for the literal
text ``_x0041_``) as they are in the file; ``shown`` undoes them, as Excel and LibreOffice do. A text cell that
would start a formula carries the quote-prefix format (the hidden apostrophe): ``quoted`` lists them.

``libreoffice_sheets`` converts a workbook with ``soffice --headless --convert-to csv`` (every sheet, cell
values rather than their display) and ``same_values`` compares that with what openpyxl reads: the file must open
in LibreOffice with the same values. Without soffice the test skips locally and fails in CI
(QIANCUN_REQUIRE_SERVICES=1, tests/conftest.py).
"""
from __future__ import annotations

import csv
import datetime
import shutil
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from core.exports import DANGEROUS_PREFIXES
from tests.conftest import need_service


def shown(value):
    return unescape(value) if isinstance(value, str) else value


def quoted(book) -> set[str]:
    """The text of every cell with the quote-prefix format."""
    return {shown(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.quotePrefix and c.value}


def assert_guarded(book) -> None:
    """No cell is a formula, and every text that would start one has the quote-prefix format."""
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and shown(cell.value).startswith(DANGEROUS_PREFIXES):
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)


# Text CSV, comma, double quote, UTF-8 (76), from row 1, no cell formats: values rather than as shown (token 9
# false), every sheet (token 12 = -1: one file per sheet, named <file>-<sheet>.csv).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def libreoffice_sheets(path: Path, workdir: Path) -> dict[str, list[list[str]]]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    need_service("LibreOffice (soffice)", soffice is not None, "apt-get install libreoffice-calc-nogui")
    out = workdir / "lo-out"
    out.mkdir(exist_ok=True)
    result = subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{workdir / 'lo-profile'}",
         "--convert-to", CSV_FILTER, "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    sheets = {}
    prefix = f"{path.stem}-"
    for csv_path in sorted(out.glob(f"{path.stem}-*.csv")):
        with open(csv_path, newline="", encoding="utf-8") as handle:
            sheets[csv_path.stem[len(prefix):]] = [row for row in csv.reader(handle)]
    assert sheets, (result.stdout, result.stderr)
    return sheets


def _as_text(value) -> str:
    """A cell value as LibreOffice's CSV writes it (values, not display)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time(0) else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(shown(value))


def _same(ours: str, theirs: str) -> bool:
    if ours == theirs:
        return True
    try:  # numbers: LibreOffice writes them in its own shortest form
        return abs(float(ours) - float(theirs)) <= 1e-9 * max(1.0, abs(float(ours)))
    except ValueError:
        return ours.replace("\r\n", "\n").replace("\r", "\n") == theirs.replace("\r\n", "\n").replace("\r", "\n")


def same_values(path: Path, workdir: Path) -> dict[str, list[list[str]]]:
    """Assert that LibreOffice reads every sheet of ``path`` with the cell values openpyxl reads; return its sheets."""
    converted = libreoffice_sheets(path, workdir)
    book = load_workbook(path)
    # LibreOffice names the files after the sheets (a few characters replaced): match them in order.
    assert len(converted) == len(book.sheetnames), (list(converted), book.sheetnames)
    by_order = {name: converted[name] for name in converted}
    for ws in book.worksheets:
        theirs = by_order.get(ws.title)
        assert theirs is not None, (ws.title, list(converted))
        ours = [[_as_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        width = max([len(r) for r in ours + theirs] or [0])
        ours = [r + [""] * (width - len(r)) for r in ours]
        theirs = [r + [""] * (width - len(r)) for r in theirs]
        while ours and not any(ours[-1]):
            ours.pop()
        while theirs and not any(theirs[-1]):
            theirs.pop()
        assert len(ours) == len(theirs), (ws.title, len(ours), len(theirs))
        for number, (mine, lo) in enumerate(zip(ours, theirs), 1):
            assert all(_same(a, b) for a, b in zip(mine, lo)), (ws.title, number, mine, lo)
    return converted
