"""Reading an uploaded table (XLSX or CSV) row by row, refusing a bad file before anything is read into memory.

What is decided here, for every kind of import (README: Imports):

* **The kind of file** is told by its content, never its name: an XLSX is a zip holding ``xl/workbook.xml``; an
  OLE2 file (D0 CF 11 E0) is a password-protected workbook (Excel encrypts into an OLE2 container) or an old .xls,
  both refused with what to do; anything else must decode as text (UTF-8, with or without its BOM, else GB18030,
  what Excel on a Chinese Windows saves as "CSV") and is read as CSV.
* **Zip bombs**: a workbook is refused before it is opened when its entries would expand beyond
  ``MAX_UNCOMPRESSED`` bytes, or one of them by more than ``MAX_RATIO`` times its compressed size.
* **Size**: at most ``MAX_ROWS`` data rows; the sheet is read in openpyxl's read-only (streaming) mode and reading
  stops at the first row beyond the limit.
* **Formulas**: the value Excel last calculated (the cached value) is used; a formula cell without one (a file
  written by a program that does not calculate) is an error on that cell, naming it.
* **Merged cells** in the header row are refused (the columns could not be told apart); **a hidden data sheet** is
  refused (what is imported must be what the user sees); other hidden sheets are ignored.
* Cells come out as Python values: text stripped, numbers as Decimal (never float), dates as ``datetime.date``.
  Turning text into a number or a date (thousands separators, 万元, dates typed as text) is the columns' job
  (imports.columns).
"""
from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024  # the upload itself
# The largest request body of an upload (the file and the form's fields): core.body_limits on the upload page and
# the API's upload; deploy/nginx/qiancun.conf allows the same (21m) on both.
UPLOAD_BODY_LIMIT = MAX_BYTES + 1024 * 1024
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a workbook's entries together, expanded
MAX_RATIO = 200  # one entry's expansion over its compressed size (a real sheet of text compresses about 10-20×)
MAX_ROWS = 20_000  # data rows of one file
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


class FileRefused(Exception):
    """The file cannot be read as a table; the message says why and what to do, in the user's language."""


@dataclass
class Table:
    """The header row and the data rows of the chosen sheet. ``rows`` yields (row number as the user sees it,
    values); ``formula_cells`` collects "C17"-style names of formula cells read without a cached value."""

    format: str  # "xlsx" or "csv"
    headers: list[str]
    rows: Iterator[tuple[int, list]]
    sheet: str = ""
    encoding: str = ""
    notices: list[str] = field(default_factory=list)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _clean(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = value.replace("\u3000", " ").strip()
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time(0) else value
    if isinstance(value, (int, float)):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return value


def _kind_of_file(upload) -> str:
    """"xlsx" or "text", from the file's size and its first bytes; refuses what no table can be read from."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise FileRefused(_("The file is %(size)s MB; at most %(max)s MB can be imported. Split it into several files.")
                          % {"size": f"{size / 1048576:.1f}", "max": MAX_BYTES // 1048576})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head:
        raise FileRefused(_("The file is empty."))
    if head == OLE2_SIGNATURE:
        raise FileRefused(_("The file is password-protected or in the old Excel format (.xls). Remove the password, or "
                            "save it as an Excel workbook (.xlsx), then upload it again."))
    return "xlsx" if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) else "text"


def precheck(upload) -> str:
    """What kind of file it is ("xlsx" or "csv"), refusing at once what cannot be read (cheap: the head of the file,
    a workbook's list of entries, a text file's decoding), before any row is read."""
    if _kind_of_file(upload) == "xlsx":
        _check_zip(upload).close()
        upload.seek(0)
        return "xlsx"
    if b"\x00" in upload.read(4096):
        upload.seek(0)
        raise FileRefused(_("The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8 or GB18030 (GBK)."))
    _encoding_of(upload)
    upload.seek(0)
    return "csv"


def open_table(upload, *, sheet_name: str = "") -> Table:
    """The table of an uploaded file (a Django UploadedFile or any binary file object)."""
    if _kind_of_file(upload) == "xlsx":
        return _open_xlsx(upload, sheet_name)
    return _open_csv(upload)


def _damaged(error) -> FileRefused:
    return FileRefused(_("The workbook is damaged and cannot be read (%(error)s). Open it in Excel or WPS, save it "
                         "again as .xlsx and upload it again.") % {"error": error})


# --- XLSX ---------------------------------------------------------------------------------------------------------

def _check_zip(upload) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(upload)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _damaged(error) from None
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise FileRefused(_("The file is a zip archive, not an Excel workbook (.xlsx)."))
    expanded = 0
    for entry in entries:
        expanded += entry.file_size
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise FileRefused(_("The workbook expands to far more than its size (a “zip bomb”): it is not read."))
    if expanded > MAX_UNCOMPRESSED:
        raise FileRefused(_("The workbook expands to %(size)s MB; at most %(max)s MB can be read. Split it into several "
                            "files.") % {"size": expanded // 1048576, "max": MAX_UNCOMPRESSED // 1048576})
    return archive


def _merged_in_header(archive: zipfile.ZipFile, sheet_path: str, header_row: int) -> list[str]:
    """The merged ranges of the sheet that touch the header row (read from the sheet's XML, streamed)."""
    found = []
    try:
        with archive.open(sheet_path) as stream:
            tail = b""
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                text = tail + chunk
                for match in MERGE_CELL.finditer(text):
                    first_col, first_row, last_col, last_row = match.groups()
                    top, bottom = int(first_row), int(last_row or first_row)
                    if top <= header_row <= bottom:
                        found.append(match.group(0).split(b'"')[1].decode())
                tail = text[-200:]
    except KeyError:
        return []
    return sorted(set(found))


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the path of its XML in the archive (from the workbook and its relationships)."""
    workbook = archive.read("xl/workbook.xml")
    try:
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {m.group(1).decode(): m.group(2).decode() for m in re.finditer(rb'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets |= {m.group(2).decode(): m.group(1).decode() for m in re.finditer(rb'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)}
    paths = {}
    for match in re.finditer(rb"<(?:\w+:)?sheet\s[^>]*>", workbook):
        tag = match.group(0)
        name = re.search(rb'name="([^"]*)"', tag)
        rid = re.search(rb'r:id="([^"]*)"', tag) or re.search(rb'\bid="([^"]*)"', tag)
        if name and rid:
            target = targets.get(rid.group(1).decode(), "")
            target = target.lstrip("/")
            paths[_unescape(name.group(1).decode())] = target if target.startswith("xl/") else f"xl/{target}"
    return paths


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _formulas_without_values(archive: zipfile.ZipFile, sheet_path: str) -> set[str]:
    """The cells of the sheet holding a formula but no calculated value ("E2"), read from its XML as a stream (expat):
    what a program that does not calculate (openpyxl, some exporters) leaves. Excel, WPS and LibreOffice keep the value."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    found = set()
    try:
        stream = archive.open(sheet_path)
    except KeyError:
        return found
    with stream:
        try:
            for _event, element in iterparse(stream, events=("end",)):
                _note_formula(element, found)
        except (DefusedXmlException, ParseError) as error:
            raise _damaged(type(error).__name__) from None
    return found


def _note_formula(element, found: set) -> None:
    tag = element.tag.rsplit("}", 1)[-1]
    if tag == "c":
        children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
        value = children.get("v")
        if "f" in children and (value is None or not (value.text or "").strip()):
            found.add(element.get("r", ""))
        element.clear()
    elif tag == "row":
        element.clear()


def _open_xlsx(upload, sheet_name: str) -> Table:
    from openpyxl import load_workbook

    archive = _check_zip(upload)
    try:
        upload.seek(0)
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise _damaged(type(error).__name__) from None
    names = book.sheetnames
    name = sheet_name if sheet_name in names else names[0]
    sheet = book[name]
    if sheet.sheet_state != "visible":
        raise FileRefused(_("The sheet “%(sheet)s” is hidden. Show it (or copy its rows to a visible sheet) and upload "
                            "again: what is imported must be what you see.") % {"sheet": name})
    notices = []
    hidden = [n for n in names if book[n].sheet_state != "visible"]
    if hidden:
        notices.append(_("Hidden sheets were not read: %(sheets)s.") % {"sheets": "、".join(hidden)})
    sheet_path = _sheet_paths(archive).get(name, "")
    merged = _merged_in_header(archive, sheet_path, 1)
    if merged:
        raise FileRefused(_("The header row of “%(sheet)s” has merged cells (%(cells)s): unmerge them so that every "
                            "column has its own header, as in the template.") % {"sheet": name, "cells": "、".join(merged)})
    formulas = _formulas_without_values(archive, sheet_path)
    value_rows = sheet.iter_rows(values_only=True)
    try:
        header_cells = next(value_rows)
    except StopIteration:
        raise FileRefused(_("The sheet “%(sheet)s” is empty.") % {"sheet": name}) from None
    except Exception as error:  # openpyxl (defusedxml under it) on a damaged or hostile sheet
        raise _damaged(type(error).__name__) from None
    headers = [str(_clean(value) or "") for value in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)

    def rows():
        try:
            yield from _rows()
        except FileRefused:
            raise
        except Exception as error:  # openpyxl (and defusedxml under it) while streaming a damaged or hostile sheet
            raise _damaged(type(error).__name__) from None

    def _rows():
        count = 0
        for number, cells in enumerate(value_rows, start=2):
            values = [_clean(cells[index]) if index < len(cells) else None for index in range(width)]
            if formulas:
                for index in range(width):
                    if values[index] is None and f"{column_letter(index)}{number}" in formulas:
                        values[index] = FormulaWithoutValue(f"{column_letter(index)}{number}")
            if all(v is None for v in values):
                continue
            count += 1
            if count > MAX_ROWS:
                raise FileRefused(_("The file has more than %(max)s rows: split it into several files.") % {"max": f"{MAX_ROWS:,}"})
            yield number, values
        book.close()

    return Table(format="xlsx", headers=headers, rows=rows(), sheet=name, notices=notices)


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell that holds no calculated value (the columns report it as an error on its cell)."""

    cell: str


# --- CSV ----------------------------------------------------------------------------------------------------------

def _encoding_of(upload) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such; else GB18030 (a superset of GBK and GB2312)."""
    upload.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    upload.seek(0)
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "gb18030"
    except UnicodeDecodeError:
        raise FileRefused(_("The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8 or GB18030 (GBK).")) from None


def _open_csv(upload) -> Table:
    upload.seek(0)
    sample = upload.read(4096)
    if b"\x00" in sample:
        raise FileRefused(_("The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8 or GB18030 (GBK)."))
    encoding = _encoding_of(upload)
    upload.seek(0)
    text = io.TextIOWrapper(upload, encoding=encoding, newline="")
    try:
        dialect = csv.Sniffer().sniff(text.read(8192), delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    text.seek(0)
    reader = csv.reader(text, dialect)
    try:
        headers = [(_clean(h) or "") for h in next(reader)]
    except StopIteration:
        raise FileRefused(_("The file is empty.")) from None
    except csv.Error as error:
        raise FileRefused(_("The CSV file cannot be read (%(error)s). Save it again as CSV (UTF-8) and upload it "
                            "again.") % {"error": error}) from None
    while headers and not headers[-1]:
        headers.pop()

    def rows():
        try:
            yield from _rows()
        except csv.Error as error:
            raise FileRefused(_("The CSV file cannot be read (%(error)s). Save it again as CSV (UTF-8) and upload it "
                                "again.") % {"error": error}) from None

    def _rows():
        count = 0
        for number, record in enumerate(reader, start=2):
            values = [_clean(record[i]) if i < len(record) else None for i in range(len(headers))]
            if all(v is None for v in values):
                continue
            count += 1
            if count > MAX_ROWS:
                raise FileRefused(_("The file has more than %(max)s rows: split it into several files.") % {"max": f"{MAX_ROWS:,}"})
            yield number, values
        text.detach()

    return Table(format="csv", headers=headers, rows=rows(), encoding="UTF-8" if encoding == "utf-8-sig" else "GB18030")
