"""The ledger of a region as its own users see it: the ledger pages' three lists (sources, allocations, payments),
narrowed by the filters the pages had, one sheet each (reports.selectors.ledger reads them), and the check of
those filters when a ledger report is requested."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.workbook import DATE, INTEGER, MONEY, TEXT, Column, Workbook
from funding.models import SourceKind
from reports.models import ReportJob
from reports.selectors import CHUNK, LEDGER_FILTERSETS, ledger, ledger_counts, ledger_data

from .common import Plan, Tick, Ticker, generated_line, labels, notice, title


def ledger_filter_names() -> set[str]:
    return {name for filterset in LEDGER_FILTERSETS for name in filterset.base_filters}


def clean_ledger_params(params, region_code: str) -> dict:
    """The ledger pages' filters of a ledger report, checked by the same FilterSets: {name: value or [values]}.
    Unknown names and invalid values raise InvalidInput naming the filter; an empty value is dropped."""
    if not isinstance(params, dict):
        raise InvalidInput(field_errors={"params": _("Give the filters as an object of names and values.")})
    known = ledger_filter_names()
    errors = {name: [_("Not a filter of the ledger.")] for name in params if name not in known}
    cleaned = {}
    for name, value in params.items():
        if name not in known or value in (None, "", []):
            continue
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int)) and len(str(v)) <= 100 for v in values):
            errors[name] = [_("Enter a text or a number.")]
            continue
        cleaned[name] = [str(v) for v in values] if isinstance(value, list) else str(value)
    data = ledger_data(cleaned)
    for filterset in LEDGER_FILTERSETS:
        form = filterset(data, queryset=filterset._meta.model.objects.none()).form
        if not form.is_valid():
            for name, messages in form.errors.items():
                errors.setdefault(name, [str(m) for m in messages])
    region = str(cleaned.get("region", ""))
    if region and not region.startswith(region_code):
        errors.setdefault("region", [_("Not within the report's region.")])
    if errors:
        raise InvalidInput(field_errors=errors)
    return cleaned


def plan(job: ReportJob) -> Plan:
    return Plan(rows=ledger_counts(job.region_id, job.params or {}))


def build_xlsx(job: ReportJob, path, tick: Tick) -> int:
    """The ledger of the region as its own users see it (a provincial fund seen from a county shows what went to the
    county), narrowed by the filters the ledger pages had: sources, allocations and payments, one sheet each."""
    sources, allocations, payments = ledger(job.region_id, job.params or {})
    counted = Ticker(tick)
    filters = ", ".join(f"{k}={v}" for k, v in sorted((job.params or {}).items()))
    with Workbook(path, notice=notice(job)) as book:
        sheet = book.add_sheet(_("Funding sources"), [
            Column(_("ID"), INTEGER, 8), Column(_("name"), TEXT, 32), Column(_("kind"), TEXT, 18),
            Column(_("mechanism"), TEXT, 14), Column(_("administering region"), TEXT, 18), Column(_("earmarked for"), TEXT, 16),
            Column(_("fiscal year"), INTEGER, 9), Column(_("total amount (yuan)"), MONEY, 17),
            Column(_("allocated in this region (yuan)"), MONEY, 17), Column(_("disbursed in this region (yuan)"), MONEY, 17),
            Column(_("unallocated (yuan)"), MONEY, 17), Column(_("appropriation document no."), TEXT, 20),
        ], freeze_rows=3)
        sheet.title_line(title(job, job.region) + (f" · {filters}" if filters else ""))
        sheet.title_line(generated_line(timezone.now()))
        sheet.header()
        for s in sources.iterator(chunk_size=CHUNK):
            sheet.append([s.pk, s.name, s.get_kind_display(), s.get_mechanism_display(), f"{s.region.name} {s.region_id}",
                          f"{s.beneficiary_region.name} {s.beneficiary_region_id}" if s.beneficiary_region_id else "",
                          s.fiscal_year, s.total_amount, s.allocated, s.disbursed, s.unallocated, s.document_no])
            counted()
        sheet.close()
        sheet = book.add_sheet(_("Allocations"), [
            Column(_("ID"), INTEGER, 8), Column(_("allocated on"), DATE, 11), Column(_("source"), TEXT, 30),
            Column(_("kind"), TEXT, 18), Column(_("project or asset"), TEXT, 30), Column(_("village"), TEXT, 12),
            Column(_("village code"), TEXT, 14), Column(_("amount (yuan)"), MONEY, 16), Column(_("disbursed"), MONEY, 16),
            Column(_("reverses"), INTEGER, 9), Column(_("reason"), TEXT, 30),
        ])
        sheet.header()
        kinds = labels(SourceKind.choices)
        for row in allocations.iterator(chunk_size=CHUNK):
            row = list(row)
            row[3] = kinds.get(row[3], row[3])
            sheet.append(row)
            counted()
        sheet.close()
        sheet = book.add_sheet(_("Payments"), [
            Column(_("ID"), INTEGER, 8), Column(_("payment date"), DATE, 11), Column(_("voucher no."), TEXT, 18),
            Column(_("allocation"), INTEGER, 9), Column(_("source"), TEXT, 30), Column(_("project or asset"), TEXT, 30),
            Column(_("village code"), TEXT, 14), Column(_("amount (yuan)"), MONEY, 16), Column(_("reverses"), INTEGER, 9),
            Column(_("reason"), TEXT, 30),
        ])
        sheet.header()
        for row in payments.iterator(chunk_size=CHUNK):
            sheet.append(row)
            counted()
        counted.flush()
        sheet.close()
    return counted.count
