"""The ledger as an XLSX workbook: sources, allocations and payments, one sheet each.

Built in openpyxl's write-only mode (rows stream out, memory stays flat) from
the same scoped, filtered querysets the pages show. Amounts are numbers with
two decimals, dates are dates, and the labels are in the active language.
"""
from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.exports import sheet_cell

MONEY_FORMAT = "#,##0.00"


def _header(sheet, labels):
    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=sheet_cell(str(label)))
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def _row(sheet, values):
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=sheet_cell(value))
        if isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        elif hasattr(value, "isoformat"):
            cell.number_format = "yyyy-mm-dd"
        cells.append(cell)
    sheet.append(cells)


def ledger_workbook(*, sources, allocations, disbursements) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Funding sources"))
    _header(sheet, [_("ID"), _("name"), _("kind"), _("mechanism"), _("administering region"), _("fiscal year"),
                    _("total amount (yuan)"), _("allocated"), _("disbursed"), _("unallocated"), _("appropriation document no.")])
    for s in sources.iterator(chunk_size=2000):
        _row(sheet, [s.pk, s.name, s.get_kind_display(), s.get_mechanism_display(), f"{s.region.name} {s.region_id}",
                     s.fiscal_year, s.total_amount, s.allocated, s.disbursed, s.unallocated, s.document_no])
    sheet = book.create_sheet(_("Allocations"))
    _header(sheet, [_("ID"), _("allocated on"), _("source"), _("kind"), _("project"), _("village"), _("village code"),
                    _("amount (yuan)"), _("disbursed"), _("reverses"), _("reason")])
    for a in allocations.iterator(chunk_size=2000):
        _row(sheet, [a.pk, a.allocated_on, a.source.name, a.source.get_kind_display(), a.project.name,
                     a.project.village.short_name, a.project.village_id, a.amount, a.disbursed, a.reverses_id, a.reason])
    sheet = book.create_sheet(_("Payments"))
    _header(sheet, [_("ID"), _("payment date"), _("voucher no."), _("allocation"), _("source"), _("project"),
                    _("village code"), _("amount (yuan)"), _("reverses"), _("reason")])
    for d in disbursements.iterator(chunk_size=2000):
        _row(sheet, [d.pk, d.paid_on, d.voucher_no, d.allocation_id, d.allocation.source.name, d.allocation.project.name,
                     d.allocation.project.village_id, d.amount, d.reverses_id, d.reason])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
