"""The maintenance report (长效管护) of a region for a year: the upkeep figures of each area below (assets by kind,
inspections due and on time, condition, faults), every asset with its keeper, last inspection and open faults,
and what is overdue now (inspections and repairs)."""
from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from core.workbook import DATE, DECIMAL1, INTEGER, TEXT, Column, Workbook
from maintenance.models import AssetKind, AssetStatus, AssetUnit, ChiefType, FaultStatus, OwnerKind, Severity
from maintenance.selectors import MaintenanceFigures, maintenance_figures
from projects.models import MaintenanceBody
from reports import selectors
from reports.models import ReportJob
from reports.selectors import CHUNK
from villages.models import CHILD_CODE_LENGTH
from villages.selectors import area_names

from .common import Plan, Tick, Ticker, generated_line, labels, notice, title


def plan(job: ReportJob) -> Plan:
    return Plan(rows=selectors.maintenance_asset_count(job.region_id) + 60)


def _area_row(code: str, name: str, f: MaintenanceFigures) -> list:
    return [code, name, f.assets, *[f.assets_by_kind.get(kind, 0) for kind in AssetKind.values], f.inspections_expected,
            f.inspections_on_time, f.on_time_rate, f.overdue_inspections, f.inspections_done, f.mean_condition,
            f.faults_reported, f.open_faults, f.overdue_faults]


def build_xlsx(job: ReportJob, path, tick: Tick) -> int:
    code, year = job.region_id, int(job.period)
    today = timezone.localdate()
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    kinds = labels(AssetKind.choices)
    ticker = Ticker(tick)
    with Workbook(path, notice=notice(job)) as book:
        # 1. The region and each area below it.
        child_length = CHILD_CODE_LENGTH.get(len(code), 12)
        by_area = maintenance_figures(prefix=code, group_length=child_length, start=start, end=end, today=today)
        total = MaintenanceFigures()
        for figures in by_area.values():
            total.add(figures)
        names = area_names(by_area)
        sheet = book.add_sheet(_("By area"), [
            Column(_("code"), TEXT, 14), Column(_("name"), TEXT, 16), Column(_("assets in service"), INTEGER, 10),
            *[Column(kinds[kind], INTEGER, 9) for kind in AssetKind.values],
            Column(_("inspections due"), INTEGER, 10), Column(_("done on time"), INTEGER, 10),
            Column(_("on-time rate (%)"), DECIMAL1, 10), Column(_("overdue inspections (now)"), INTEGER, 10),
            Column(_("inspections done"), INTEGER, 10), Column(_("mean condition (1-5)"), DECIMAL1, 10),
            Column(_("faults reported"), INTEGER, 10), Column(_("open faults (now)"), INTEGER, 10),
            Column(_("overdue repairs (now)"), INTEGER, 10),
        ], freeze_rows=3)
        sheet.title_line(title(job, job.region))
        sheet.title_line(generated_line(timezone.now()))
        sheet.header()
        for area in sorted(by_area):
            sheet.append(_area_row(area, names.get(area, area), by_area[area]))
            ticker()
        sheet.append(_area_row(code, _("all areas"), total))
        sheet.close()

        # 2. Every asset below the region.
        units, owners, bodies = labels(AssetUnit.choices), labels(OwnerKind.choices), labels(MaintenanceBody.choices)
        statuses, chiefs = labels(AssetStatus.choices), labels(ChiefType.choices)
        sheet = book.add_sheet(_("Assets"), [
            Column(_("ID"), INTEGER, 8), Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 12),
            Column(_("township"), TEXT, 12), Column(_("asset kind"), TEXT, 14), Column(_("asset name"), TEXT, 24),
            Column(_("quantity"), DECIMAL1, 9), Column(_("unit"), TEXT, 8), Column(_("commissioned on"), DATE, 12),
            Column(_("property owner"), TEXT, 12), Column(_("owner's name"), TEXT, 18), Column(_("maintenance body"), TEXT, 14),
            Column(_("status"), TEXT, 9), Column(_("keeper"), TEXT, 10), Column(_("phone"), TEXT, 13),
            Column(_("chief type"), TEXT, 9), Column(_("last inspection"), DATE, 12), Column(_("condition"), INTEGER, 8),
            Column(_("open faults"), INTEGER, 8), Column(_("overdue repairs"), INTEGER, 8),
        ])
        sheet.header()
        for (pk, village, short_name, township, kind, name, quantity, unit, commissioned, owner_kind, owner_name, body,
             status, keeper, phone, chief, last_done, condition, open_faults, overdue) in (
            selectors.maintenance_assets(code, today).iterator(chunk_size=CHUNK)
        ):
            sheet.append([pk, village, short_name, township, kinds.get(kind, kind), name, quantity, units.get(unit, unit),
                          commissioned, owners.get(owner_kind, owner_kind), owner_name, bodies.get(body, body),
                          statuses.get(status, status), keeper or "", phone or "", chiefs.get(chief, "") if chief else "",
                          last_done, condition, open_faults or 0, overdue or 0])
            ticker()
        sheet.close()

        # 3. Overdue now: inspections past their date, repairs past their deadline.
        inspections, faults = selectors.maintenance_overdue(code, today)
        sheet = book.add_sheet(_("Overdue inspections"), [
            Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 12), Column(_("asset name"), TEXT, 24),
            Column(_("asset kind"), TEXT, 14), Column(_("due on"), DATE, 12), Column(_("days overdue"), INTEGER, 9),
        ])
        sheet.header()
        for village, short_name, asset, kind, due_on in inspections.iterator(chunk_size=CHUNK):
            sheet.append([village, short_name, asset, kinds.get(kind, kind), due_on, (today - due_on).days])
            ticker()
        sheet.close()
        severities, fault_statuses = labels(Severity.choices), labels(FaultStatus.choices)
        sheet = book.add_sheet(_("Overdue repairs"), [
            Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 12), Column(_("asset name"), TEXT, 24),
            Column(_("severity"), TEXT, 8), Column(_("fault"), TEXT, 30), Column(_("reported on"), DATE, 12),
            Column(_("repair deadline"), DATE, 12), Column(_("status"), TEXT, 9), Column(_("days overdue"), INTEGER, 9),
        ])
        sheet.header()
        for village, short_name, asset, severity, description, reported_on, deadline, status in faults.iterator(chunk_size=CHUNK):
            sheet.append([village, short_name, asset, severities.get(severity, severity), description, reported_on, deadline,
                          fault_statuses.get(status, status), (today - deadline).days])
            ticker()
        sheet.close()
    ticker.flush()
    return ticker.count
