"""The progress report of a region for a month: a summary with charts, one sheet per area below, every village,
the overdue projects (XLSX); or the summary alone as a PDF."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from core.workbook import AUTO, DATE, DECIMAL1, INTEGER, MONEY, TEXT, Chart, Column, Workbook
from dashboard.selectors import completion
from projects.models import ProjectStatus, ProjectType
from reports import selectors
from reports.models import ReportJob
from reports.selectors import CHUNK, MonthFigures
from villages.models import CHILD_CODE_LENGTH, VillageCategory

from .common import Plan, ReportUnavailable, Tick, Ticker, generated_line, labels, merge, notice, pct, title

AREA_COLUMNS = lambda: [  # noqa: E731 - built per call so the labels follow the active language
    Column(_("code"), TEXT, 14), Column(_("name"), TEXT, 18), Column(_("villages"), INTEGER, 9),
    Column(_("projects"), INTEGER, 9), Column(_("live projects"), INTEGER, 10), Column(_("completion (%)"), DECIMAL1, 11),
    Column(_("overdue projects"), INTEGER, 10), Column(_("villages with no report in 30 days"), INTEGER, 14),
    Column(_("budget (yuan)"), MONEY, 16), Column(_("allocated (yuan)"), MONEY, 16), Column(_("disbursed (yuan)"), MONEY, 16),
    Column(_("execution rate (%)"), DECIMAL1, 11), Column(_("progress reports this month"), INTEGER, 12),
    Column(_("projects expected to report this month"), INTEGER, 12), Column(_("reporting rate (%)"), DECIMAL1, 10),
    Column(_("on-time reporting rate (%)"), DECIMAL1, 11),
]

VILLAGE_COLUMNS = lambda: [  # noqa: E731
    Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14), Column(_("township"), TEXT, 14),
    Column(_("category"), TEXT, 12), Column(_("projects"), INTEGER, 9), Column(_("live projects"), INTEGER, 9),
    Column(_("completion (%)"), DECIMAL1, 10), Column(_("under construction"), INTEGER, 10),
    Column(_("completed or accepted"), INTEGER, 10), Column(_("overdue projects"), INTEGER, 9),
    Column(_("no report in 30 days"), INTEGER, 10), Column(_("last progress report"), DATE, 12),
    Column(_("budget (yuan)"), MONEY, 15), Column(_("allocated (yuan)"), MONEY, 15), Column(_("disbursed (yuan)"), MONEY, 15),
    Column(_("execution rate (%)"), DECIMAL1, 10), Column(_("progress reports this month"), INTEGER, 10),
]

OVERDUE_COLUMNS = lambda: [  # noqa: E731
    Column(_("project ID"), INTEGER, 9), Column(_("project name"), TEXT, 28), Column(_("village code"), TEXT, 14),
    Column(_("village"), TEXT, 12), Column(_("township"), TEXT, 12), Column(_("project type"), TEXT, 12),
    Column(_("status"), TEXT, 10), Column(_("planned end"), DATE, 12), Column(_("days overdue"), INTEGER, 9),
    Column(_("percent complete"), INTEGER, 9), Column(_("last progress report"), DATE, 12),
    Column(_("responsible person"), TEXT, 12),
]


def _area_row(code, name, values: dict, month: MonthFigures | None) -> list:
    """An area's row; its month's figures (reports, reporting discipline) are kept per township and above only."""
    return [
        code, name, values.get("villages"), values["projects"], values["live_projects"],
        completion(values["percent_sum"], values["live_projects"]), values["overdue_projects"], values.get("stale_villages"),
        values["budget"], values["allocated"], values["disbursed"], pct(values["disbursed"], values["allocated"]),
        *((month.reports, month.expected, month.rate, month.on_time_rate) if month else (None, None, None, None)),
    ]


def plan(job: ReportJob) -> Plan:
    code, today = job.region_id, timezone.localdate()
    return Plan(rows=selectors.village_stats_count(code) + selectors.overdue_count(code, today) + 50)


def plan_pdf(job: ReportJob) -> Plan:
    return Plan(rows=60)


def _summary(book: Workbook, job: ReportJob, board, month: MonthFigures, by_child: dict[str, MonthFigures], today) -> int:
    t = board.totals.values
    sheet = book.add_sheet(_("Summary"), [Column(_("figure"), TEXT, 34), Column(_("value"), AUTO, 18), Column("", AUTO, 12)],
                           freeze_rows=0, auto_filter=False)
    sheet.title_line(title(job, job.region))
    sheet.title_line(generated_line(timezone.now()) + " · " + _("Figures as of %(day)s") % {"day": board.computed_on or today})
    sheet.blank()
    sheet.header()
    figures = [
        (_("villages"), t.get("villages", 0)), (_("projects"), t["projects"]), (_("live projects"), t["live_projects"]),
        (_("completion (%)"), board.totals.completion), (_("overdue projects"), t["overdue_projects"]),
        (_("villages with no report in 30 days"), t.get("stale_villages", 0)),
        (_("budget (yuan)"), t["budget"]), (_("allocated (yuan)"), t["allocated"]), (_("disbursed (yuan)"), t["disbursed"]),
        (_("execution rate (%)"), pct(t["disbursed"], t["allocated"])),
        (_("progress reports this month"), month.reports),
        # Reporting discipline of the report's month (dashboard.stats): reported / expected, on time / expected.
        (_("projects expected to report this month"), month.expected), (_("reporting rate (%)"), month.rate),
        (_("on-time reporting rate (%)"), month.on_time_rate),
        (_("open follow-ups"), board.open_follow_ups),
    ]
    for label, value in figures:
        sheet.append([label, value])
    sheet.blank()
    # Areas below: name, completion, projects (the chart's range).
    sheet.title_line(_("Completion by area"))
    start = sheet.row + 1
    for child in board.children:
        sheet.append([child.name, child.completion if child.completion is not None else 0])
    if board.children:
        sheet.add_chart(Chart(_("Completion by area (%)"), 4, 1, (0, start, sheet.row), [(_("completion (%)"), 1)]))
    sheet.blank()
    sheet.title_line(_("Projects by status"))
    start = sheet.row + 1
    for _s, label, n in board.by_status:
        sheet.append([label, n])
    sheet.add_chart(Chart(_("Projects by status"), 4, 23, (0, start, sheet.row), [(_("projects"), 1)]))
    if by_child:  # townships and above: each area's reporting rates in the month
        sheet.blank()
        sheet.title_line(_("Reporting by area"))
        sheet.append([_("area"), _("on-time reporting rate (%)"), _("reporting rate (%)")])
        for child in board.children:
            figures_of = by_child.get(child.code, MonthFigures())
            sheet.append([child.name, figures_of.on_time_rate, figures_of.rate])
    sheet.close()
    return len(figures) + len(board.children) * (2 if by_child else 1)


def build_xlsx(job: ReportJob, path, tick: Tick) -> int:
    code = job.region_id
    today = timezone.localdate()
    first, following = selectors.month_bounds(job.period)
    board = selectors.region_dashboard(job.region, today)
    child_length = CHILD_CODE_LENGTH[len(code)]
    with Workbook(path, notice=notice(job)) as book:
        # 1. Summary: the region's figures, its areas below (with a chart), projects by status (with a chart).
        by_child = selectors.month_figures_by_area(code, child_length, first)
        rows = _summary(book, job, board, selectors.month_figures_total(code, first), by_child, today)
        tick(rows)

        # 2. One sheet per area below (its own areas, one level further down).
        if len(code) < 9:
            by_grandchild = selectors.grandchildren(code, child_length, CHILD_CODE_LENGTH[child_length], first)
            for child in board.children:
                sheet = book.add_sheet(child.name or child.code, AREA_COLUMNS(), freeze_rows=2)
                sheet.title_line(f"{child.name} {child.code}")
                sheet.header()
                grand = by_grandchild.get(child.code, [])
                for grand_code, name, values, month_reports in grand:
                    sheet.append(_area_row(grand_code, name, values, month_reports))
                sheet.close()
                rows += len(grand)
                tick(len(grand))

        # 3. Every village, with this month's progress reports.
        sheet = book.add_sheet(_("Villages"), VILLAGE_COLUMNS())
        sheet.header()
        categories = labels(VillageCategory.choices)
        month_reports = selectors.month_reports_by_village(code, first, following).iterator(chunk_size=CHUNK)
        counted = Ticker(tick)
        for row, reports_in_month in merge(selectors.village_rows(code).iterator(chunk_size=CHUNK), month_reports, 0):
            vc, name, township, category, p, live, ps, building, completed, accepted, od, stale, last, b, a, d = row
            sheet.append([vc, name, township, categories.get(category, category), p, live, completion(ps, live), building,
                          completed + accepted, od, stale, last, b, a, d, pct(d, a), reports_in_month])
            counted()
        counted.flush()
        rows += counted.count
        sheet.close()

        # 4. Overdue projects, the longest overdue first.
        sheet = book.add_sheet(_("Overdue projects"), OVERDUE_COLUMNS())
        sheet.header()
        types, statuses = labels(ProjectType.choices), labels(ProjectStatus.choices)
        counted = Ticker(tick)
        for pk, name, vc, village, township, kind, status, end, percent, last, person in (
            selectors.overdue_projects(code, today).iterator(chunk_size=CHUNK)
        ):
            sheet.append([pk, name, vc, village, township, types.get(kind, kind), statuses.get(status, status), end,
                          (today - end).days, percent, last, person])
            counted()
        counted.flush()
        rows += counted.count
        sheet.close()
    return rows


def build_pdf(job: ReportJob, path, tick: Tick) -> int:
    """The summary of the progress report as a PDF (WeasyPrint; Chinese through the Noto CJK fonts)."""
    from django.template.loader import render_to_string

    try:
        from weasyprint import HTML
    except OSError as error:  # Pango is missing on this server
        raise ReportUnavailable(_("PDF output needs the Pango library on the server: %(error)s") % {"error": error}) from None

    today = timezone.localdate()
    board = selectors.region_dashboard(job.region, today)
    first, _following = selectors.month_bounds(job.period)
    month = selectors.month_figures_total(job.region_id, first)
    by_child = selectors.month_figures_by_area(job.region_id, CHILD_CODE_LENGTH[len(job.region_id)], first)
    tick(10)
    overdue = selectors.overdue_head(job.region_id, today)
    html = render_to_string("reports/pdf/progress_summary.html", {
        "job": job, "region": job.region, "board": board, "totals": board.totals, "month": month,
        "execution_rate": pct(board.totals.values["disbursed"], board.totals.values["allocated"]),
        "overdue": overdue, "today": today, "generated": timezone.now(), "notice": notice(job),
        # Each area's reporting rates in the month: townships and above (none for a township's villages).
        "area_reporting": len(job.region_id) < 9,
        "children": [(c, pct(c.values["disbursed"], c.values["allocated"]), by_child.get(c.code, MonthFigures()))
                     for c in board.children],
    })
    HTML(string=html).write_pdf(path)
    tick(len(board.children) + len(overdue))
    return len(board.children) + len(overdue) + 12
