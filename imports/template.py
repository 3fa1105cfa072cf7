"""The template of a kind of import, written with XlsxWriter: the data sheet with Chinese headers (a note on each),
one example row marked as such (grey, with a note; left in the file it is not imported), drop-down lists (data
validation) for the columns with choices and for the village or area codes, and a sheet of the villages or areas the
user may import for; then a sheet that explains every column."""
from __future__ import annotations

import datetime
import io

import xlsxwriter
from django.utils.translation import gettext as _

from . import columns
from .kinds.base import Kind
from .reading import column_letter

DATA_ROWS = 5000  # rows the drop-downs and formats cover below the header


def template_bytes(kind: Kind, *, user, region, params: dict | None = None) -> bytes:
    columns_of_kind = kind.get_columns(params or {})
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"title": _("Import template: %(kind)s") % {"kind": kind.label}, "subject": str(kind.label)})
    header = book.add_format({"bold": True, "bg_color": "#DDEBDD", "border": 1, "text_wrap": True, "valign": "top"})
    required = book.add_format({"bold": True, "bg_color": "#F8E1C4", "border": 1, "text_wrap": True, "valign": "top"})
    example = book.add_format({"italic": True, "font_color": "#6B6B6B", "bg_color": "#F2F2F2"})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})

    data = book.add_worksheet(str(kind.sheet))
    ref_headers, ref_rows = kind.reference_rows(user=user, region=region, params=params or {})
    codes_sheet = _("codes") if ref_headers else ""
    for index, column in enumerate(columns_of_kind):
        title = str(column.header) + ("*" if column.required else "")
        data.write_string(0, index, title, required if column.required else header)
        note = str(column.note or "")
        if column.choices:
            note = (note + "\n" if note else "") + _("Choose from the list.")
        data.write_comment(0, index, (_("Required.") + " " if column.required else _("Optional.") + " ") + note,
                           {"x_scale": 2, "y_scale": 1.6})
        kind_of_cell = _cell_format(kind, column)
        data.set_column(index, index, column.width, {"date": date, "money": money}.get(kind_of_cell, text))
        if column.choices:
            labels = [str(label) for _code, label in column.choices]
            data.data_validation(1, index, DATA_ROWS, index, {
                "validate": "list", "source": labels if len(",".join(labels)) < 250 else f"='{_('choices')}'!${_letter(index)}$2:${_letter(index)}${len(labels) + 1}",
                "error_title": str(column.header), "error_message": _("Choose from the list."),
            })
        elif column.key in ("village", "region") and ref_rows:
            data.data_validation(1, index, DATA_ROWS, index, {
                "validate": "list", "source": f"='{codes_sheet}'!$A$2:$A${len(ref_rows) + 1}",
                "error_type": "warning", "error_title": str(column.header),
                "error_message": _("Not a code of the sheet of codes: it will be refused if you may not import for it."),
            })
        elif kind_of_cell == "date":
            data.data_validation(1, index, DATA_ROWS, index, {
                "validate": "date", "criteria": ">=", "value": datetime.date(2003, 1, 1),
                "error_type": "warning", "error_message": _("A date, as 2025-03-01."),
            })
        elif kind_of_cell == "money":
            data.data_validation(1, index, DATA_ROWS, index, {
                "validate": "decimal", "criteria": ">=", "value": 0, "error_type": "warning",
                "error_message": _("An amount in yuan, not negative."),
            })
    # The example row: as the template's own, grey, with a note; the import skips it.
    for index, column in enumerate(columns_of_kind):
        value = kind.example.get(column.key, "")
        if column.choices and value:
            value = str(dict(column.choices).get(value, value))
        if _cell_format(kind, column) == "date" and value:
            data.write_datetime(1, index, datetime.datetime.fromisoformat(value), book.add_format(
                {"italic": True, "font_color": "#6B6B6B", "bg_color": "#F2F2F2", "num_format": "yyyy-mm-dd"}))
        else:
            data.write_string(1, index, str(value), example)
    data.write_comment(1, 0, _("Example row: it is not imported (you may delete it or write over it)."), {"x_scale": 2})
    data.freeze_panes(1, 0)
    data.set_row(0, 32)

    if any(len(",".join(str(label) for _c, label in column.choices)) >= 250 for column in columns_of_kind if column.choices):
        choices = book.add_worksheet(_("choices"))
        for index, column in enumerate(columns_of_kind):
            if column.choices:
                choices.write_string(0, index, str(column.header), header)
                for row, (_code, label) in enumerate(column.choices, 1):
                    choices.write_string(row, index, str(label))
                choices.set_column(index, index, 24)
    if ref_headers:
        sheet = book.add_worksheet(codes_sheet)
        for index, title in enumerate(ref_headers):
            sheet.write_string(0, index, str(title), header)
            sheet.set_column(index, index, 16 if index == 0 else 14)
        for row, values in enumerate(ref_rows, 1):
            for index, value in enumerate(values):
                sheet.write_string(row, index, str(value))
        sheet.freeze_panes(1, 0)
    notes = book.add_worksheet(_("how to fill in"))
    notes.write_row(0, 0, [_("column"), _("required"), _("what to write")], header)
    for row, column in enumerate(columns_of_kind, 1):
        notes.write_string(row, 0, str(column.header))
        notes.write_string(row, 1, _("yes") if column.required else _("no"))
        notes.write_string(row, 2, str(column.note or ""))
    last = len(columns_of_kind) + 2
    for offset, line in enumerate([
        _("Fill in one row per %(kind)s below the header; the grey example row is not imported.") % {"kind": kind.label},
        _("Upload the file: first you see what would be created, updated or left as it is, and every error with its row "
          "and column; nothing is written until you import it."),
        _("Uploading the same file again changes nothing."),
    ]):
        notes.write_string(last + offset, 0, line)
    notes.set_column(0, 0, 22)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 90)
    book.close()
    return out.getvalue()


def _cell_format(kind: Kind, column) -> str:
    if column.parse is columns.date:
        return "date"
    if column.money:
        return "money"
    return "text"


def _letter(index: int) -> str:
    return column_letter(index)
