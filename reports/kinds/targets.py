"""The targets report (规划目标完成情况) of a region for a year: the region's target, actual and rate per kind and the
in-plan share of its projects, then each area below with the same figures, behind schedule first (dashboard.targets:
a fixed number of grouped queries). As a workbook or a PDF."""
from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.scoping import SYSTEM
from core.workbook import DECIMAL1, TEXT, Column, Workbook
from dashboard.targets import TargetProgress, plan_share, target_progress
from reports.models import ReportJob

from .common import Plan, ReportUnavailable, Tick, generated_line, notice, title


def plan(job: ReportJob) -> Plan:
    return Plan(rows=60)


def _progress(job: ReportJob) -> tuple[TargetProgress, object]:
    """Read for no one in particular (the requester's scope was checked at the request), below the region only."""
    code = job.region_id
    return target_progress(user=SYSTEM, code=code, year=int(job.period)), plan_share(user=SYSTEM, code=code)


def build_xlsx(job: ReportJob, path, tick: Tick) -> int:
    progress, share = _progress(job)
    rows = 0
    with Workbook(path, notice=notice(job)) as book:
        # 1. The region: per kind, and the in-plan share of its projects.
        sheet = book.add_sheet(_("Targets"), [
            Column(_("kind"), TEXT, 22), Column(_("unit"), TEXT, 10), Column(_("target"), DECIMAL1, 12),
            Column(_("actual"), DECIMAL1, 12), Column(_("completion rate (%)"), DECIMAL1, 12),
        ], freeze_rows=4)
        sheet.title_line(title(job, job.region))
        sheet.title_line(generated_line(timezone.now()))
        sheet.blank()
        sheet.header()
        for k in progress.kinds:
            sheet.append([k.label, k.unit_label, k.target, k.actual, k.percent])
            rows += 1
        sheet.blank()
        sheet.title_line(_("Projects in the plan: %(in_plan)s of %(total)s (%(share)s); outside the plan: %(out)s") % {
            "in_plan": share.in_plan, "total": share.projects, "out": share.out_of_plan,
            "share": "—" if share.percent is None else f"{share.percent}%"})
        sheet.close()
        tick(rows)

        # 2. The areas below, behind schedule first: per kind, its target, actual and rate.
        columns = [Column(_("code"), TEXT, 14), Column(_("name"), TEXT, 16), Column(_("lowest rate (%)"), DECIMAL1, 10)]
        for k in progress.kinds:
            columns += [Column(f"{k.label} · " + _("target"), DECIMAL1, 12), Column(f"{k.label} · " + _("actual"), DECIMAL1, 12),
                        Column(f"{k.label} · " + _("rate (%)"), DECIMAL1, 10)]
        sheet = book.add_sheet(_("Areas below"), columns)
        sheet.header()
        for child in progress.children:
            lowest = None if child.rate is None else (child.rate * 100).quantize(Decimal("0.1"))
            values = [child.code, child.name, lowest]
            for k in child.kinds:
                values += [k.target, k.actual, k.percent]
            sheet.append(values)
        sheet.close()
        tick(len(progress.children))
    return rows + len(progress.children)


def build_pdf(job: ReportJob, path, tick: Tick) -> int:
    """The same as a PDF (WeasyPrint; Chinese through the Noto CJK fonts)."""
    from django.template.loader import render_to_string

    try:
        from weasyprint import HTML
    except OSError as error:  # Pango is missing on this server
        raise ReportUnavailable(_("PDF output needs the Pango library on the server: %(error)s") % {"error": error}) from None

    progress, share = _progress(job)
    tick(10)
    html = render_to_string("reports/pdf/targets.html", {
        "job": job, "region": job.region, "progress": progress, "share": share, "generated": timezone.now(),
        "notice": notice(job),
    })
    HTML(string=html).write_pdf(path)
    tick(len(progress.kinds) + len(progress.children))
    return len(progress.kinds) + len(progress.children)
