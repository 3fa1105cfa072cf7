"""The report kinds: one module each, laying out what reports.selectors reads (the queries) as a workbook
(core.workbook, XlsxWriter), a CSV (the csv module) or a PDF (WeasyPrint), written as a stream to a file.

A kind's ``plan_*`` says how many rows a run will write (for the progress percent); its ``build_*`` takes the
job (region, period, filters; the requester's scope was checked when the job was requested), writes the file
at ``path`` and returns the number of rows, calling ``tick(rows)`` as it goes (the task turns that into the
job's progress percent and heartbeat). Long lists are iterated with ``.iterator(chunk_size=...)`` and rows go
straight to the writer, so memory does not grow with the size of the region.
"""
from __future__ import annotations

from collections.abc import Callable

from reports.models import ReportFormat, ReportKind

from . import funding, ledger, maintenance, progress, ranking, roster, targets
from .common import Plan, ReportUnavailable, Ticker  # noqa: F401 - the kinds' shared names

BUILDERS: dict[tuple[str, str], tuple[Callable, Callable]] = {
    (ReportKind.PROGRESS, ReportFormat.XLSX): (progress.plan, progress.build_xlsx),
    (ReportKind.PROGRESS, ReportFormat.PDF): (progress.plan_pdf, progress.build_pdf),
    (ReportKind.FUNDING, ReportFormat.XLSX): (funding.plan, funding.build_xlsx),
    (ReportKind.RANKING, ReportFormat.XLSX): (ranking.plan, ranking.build_xlsx),
    (ReportKind.ROSTER, ReportFormat.CSV): (roster.plan, roster.build_csv),
    (ReportKind.ROSTER, ReportFormat.XLSX): (roster.plan, roster.build_xlsx),
    (ReportKind.LEDGER, ReportFormat.XLSX): (ledger.plan, ledger.build_xlsx),
    (ReportKind.MAINTENANCE, ReportFormat.XLSX): (maintenance.plan, maintenance.build_xlsx),
    (ReportKind.TARGETS, ReportFormat.XLSX): (targets.plan, targets.build_xlsx),
    (ReportKind.TARGETS, ReportFormat.PDF): (targets.plan, targets.build_pdf),
}
