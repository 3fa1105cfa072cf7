"""The roster: one row per village below the region, with its figures, its latest finalised annual assessment and
its open follow-ups, as CSV (the csv module, UTF-8 with a byte-order mark) or as a workbook. One definition of the
rows (roster_rows, over the single statement of reports.selectors.roster) for both."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from assessment.models import Grade
from core.exports import safe_row
from core.workbook import DATE, DECIMAL1, INTEGER, MONEY, TEXT, Column, Workbook
from dashboard.selectors import completion
from reports import selectors
from reports.models import ReportJob
from reports.selectors import CHUNK, ZERO
from villages.models import VillageCategory, VillageKind

from .common import Plan, Tick, Ticker, labels, notice

CENTS = Decimal("0.01")


def plan(job: ReportJob) -> Plan:
    return Plan(rows=selectors.village_count(job.area_code))


def columns() -> list[Column]:
    return [
        Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14), Column(_("full name"), TEXT, 20),
        Column(_("township"), TEXT, 14), Column(_("kind"), TEXT, 12), Column(_("category"), TEXT, 12),
        Column(_("joined the programme"), INTEGER, 9), Column(_("projects"), INTEGER, 9), Column(_("live projects"), INTEGER, 9),
        Column(_("under construction"), INTEGER, 9), Column(_("completion (%)"), DECIMAL1, 9),
        Column(_("overdue projects"), INTEGER, 9), Column(_("no report in 30 days"), INTEGER, 9),
        Column(_("last progress report"), DATE, 12), Column(_("budget (yuan)"), MONEY, 15),
        Column(_("allocated (yuan)"), MONEY, 15), Column(_("disbursed (yuan)"), MONEY, 15),
        Column(_("latest assessment period"), TEXT, 9), Column(_("total score"), DECIMAL1, 9), Column(_("grade"), TEXT, 8),
        Column(_("open follow-ups"), INTEGER, 9),
    ]


def _cents(value) -> Decimal:
    """Money and scores with their two places (SQLite returns 91.5 for 91.50)."""
    return (value or ZERO).quantize(CENTS)


def roster_rows(job: ReportJob) -> Iterator[list]:
    """One row per village below the region, in code order, in the columns of columns()."""
    kinds, categories, grades = labels(VillageKind.choices), labels(VillageCategory.choices), labels(Grade.choices)
    for (code, short_name, name, township, kind, category, joined, projects, live, building, percent_sum, overdue, stale,
         last_report, budget, allocated, disbursed, period, score, grade, open_follow_ups) in (
        selectors.roster(job.area_code).iterator(chunk_size=CHUNK)
    ):
        yield [code, short_name, name, township, kinds.get(kind, kind), categories.get(category, category), joined,
               projects or 0, live or 0, building or 0, completion(percent_sum or 0, live or 0), overdue or 0, stale or 0,
               last_report, _cents(budget), _cents(allocated), _cents(disbursed), period or "",
               None if score is None else score.quantize(CENTS), grades.get(grade, grade) if grade else "", open_follow_ups]


def build_csv(job: ReportJob, path, tick: Tick) -> int:
    """UTF-8 with a byte-order mark (Excel on Chinese Windows opens it as UTF-8, not GBK); text neutralised
    (core.exports: the apostrophe stays in a CSV, which has no cell formats). Invented figures (sample data) are
    announced by a first line of their own, above the header: a CSV has no properties to carry it."""
    counted = Ticker(tick)
    banner = notice(job)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if banner:
            writer.writerow(safe_row([banner]))
        writer.writerow(safe_row(str(c.title) for c in columns()))
        batch = []
        for row in roster_rows(job):
            batch.append(safe_row(row))
            if len(batch) == CHUNK:
                writer.writerows(batch)
                counted(len(batch))
                batch.clear()
        writer.writerows(batch)
        counted(len(batch))
    counted.flush()
    return counted.count


def build_xlsx(job: ReportJob, path, tick: Tick) -> int:
    counted = Ticker(tick)
    with Workbook(path, notice=notice(job)) as book:
        sheet = book.add_sheet(_("Villages"), columns())
        sheet.header()
        for row in roster_rows(job):
            sheet.append(row)
            counted()
        counted.flush()
        sheet.close()
    return counted.count
