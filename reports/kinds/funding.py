"""The funding report of a region (optionally one fiscal year's sources): money by source kind with a chart,
by area below, and every source with money below the region. The money is construction money (allocations to
projects, against their budgets); the upkeep money of assets (管护经费) has its own two columns by source kind."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from core.workbook import DECIMAL1, INTEGER, MONEY, TEXT, Chart, Column, Workbook
from funding.models import SourceKind
from reports import selectors
from reports.models import ReportJob
from reports.selectors import CHUNK, ZERO
from villages.models import CHILD_CODE_LENGTH
from villages.selectors import area_names

from .common import Plan, Tick, generated_line, labels, merge, notice, pct, title


def plan(job: ReportJob) -> Plan:
    return Plan(rows=selectors.funding_sources_count(job.region_id, job.period) + len(SourceKind.values) + 40)


def build_xlsx(job: ReportJob, path, tick: Tick) -> int:
    code, year = job.region_id, job.period
    kinds = labels(SourceKind.choices)
    allocated_by_kind, disbursed_by_kind, sources_by_kind = selectors.funding_by_kind(code, year)
    total_allocated = sum(allocated_by_kind.values(), ZERO)
    total_disbursed = sum(disbursed_by_kind.values(), ZERO)
    upkeep_allocated, upkeep_disbursed = selectors.funding_upkeep_by_kind(code, year)
    rows = 0
    with Workbook(path, notice=notice(job)) as book:
        # 1. By source kind, with a chart of allocated and disbursed money.
        sheet = book.add_sheet(_("By source kind"), [
            Column(_("kind"), TEXT, 24), Column(_("allocated (yuan)"), MONEY, 18), Column(_("disbursed (yuan)"), MONEY, 18),
            Column(_("execution rate (%)"), DECIMAL1, 12), Column(_("share of allocated (%)"), DECIMAL1, 12),
            Column(_("sources"), INTEGER, 9),
            Column(_("upkeep allocated (yuan)"), MONEY, 18), Column(_("upkeep disbursed (yuan)"), MONEY, 18),
        ], freeze_rows=3)
        sheet.title_line(title(job, job.region) + (" · " + _("fiscal year %(year)s") % {"year": year} if year else ""))
        sheet.title_line(generated_line(timezone.now()))
        sheet.header()
        start = sheet.row + 1
        for kind in SourceKind.values:
            a, d = allocated_by_kind.get(kind, ZERO), disbursed_by_kind.get(kind, ZERO)
            sheet.append([kinds[kind], a, d, pct(d, a), pct(a, total_allocated), sources_by_kind.get(kind, 0),
                          upkeep_allocated.get(kind, ZERO), upkeep_disbursed.get(kind, ZERO)])
        end = sheet.row
        sheet.append([_("all kinds"), total_allocated, total_disbursed, pct(total_disbursed, total_allocated),
                      pct(total_allocated, total_allocated), sum(sources_by_kind.values()),
                      sum(upkeep_allocated.values(), ZERO), sum(upkeep_disbursed.values(), ZERO)])
        sheet.add_chart(Chart(_("Allocated and disbursed by source kind (yuan)"), 7, 2, (0, start, end),
                              [(_("allocated (yuan)"), 1), (_("disbursed (yuan)"), 2)]))
        sheet.close()
        rows += len(SourceKind.values) + 1
        tick(rows)

        # 2. By area below: money per kind and execution.
        by_area, budget = selectors.funding_by_area(code, year, CHILD_CODE_LENGTH[len(code)])
        names = area_names(set(by_area) | set(budget))
        sheet = book.add_sheet(_("By area"), [
            Column(_("code"), TEXT, 14), Column(_("name"), TEXT, 16), Column(_("budget (yuan)"), MONEY, 16),
            *[Column(kinds[k], MONEY, 15) for k in SourceKind.values],
            Column(_("allocated (yuan)"), MONEY, 16), Column(_("disbursed (yuan)"), MONEY, 16),
            Column(_("execution rate (%)"), DECIMAL1, 11),
        ])
        sheet.header()
        for area in sorted(set(by_area) | set(budget)):
            per_kind = by_area.get(area, {}).get("allocated", {})
            allocated = sum(per_kind.values(), ZERO)
            disbursed = by_area.get(area, {}).get("disbursed", ZERO)
            sheet.append([area, names.get(area, area), budget.get(area, ZERO), *[per_kind.get(k, ZERO) for k in SourceKind.values],
                          allocated, disbursed, pct(disbursed, allocated)])
            rows += 1
        sheet.close()
        tick(len(names))

        # 3. Every source with money below the region: its total, what went to this region, what was paid.
        sheet = book.add_sheet(_("Sources"), [
            Column(_("ID"), INTEGER, 8), Column(_("name"), TEXT, 30), Column(_("kind"), TEXT, 18),
            Column(_("administering region"), TEXT, 16), Column(_("fiscal year"), INTEGER, 9),
            Column(_("total amount (yuan)"), MONEY, 17), Column(_("allocated here (yuan)"), MONEY, 17),
            Column(_("disbursed here (yuan)"), MONEY, 17), Column(_("execution rate (%)"), DECIMAL1, 11),
            Column(_("appropriation document no."), TEXT, 20),
        ])
        sheet.header()
        sources, paid = selectors.funding_sources(code, year)
        count = 0
        for (pk, name, kind, admin, fiscal_year, total, allocated, document), disbursed in merge(
            sources.iterator(chunk_size=CHUNK), paid.iterator(chunk_size=CHUNK), ZERO
        ):
            sheet.append([pk, name, kinds.get(kind, kind), admin, fiscal_year, total, allocated, disbursed,
                          pct(disbursed, allocated), document])
            count += 1
        sheet.close()
        rows += count
        tick(count)
    return rows
