"""The ranking report of an assessment period: a summary by county with a chart, every village ranked, and the
follow-ups of the bottom group (末位)."""
from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import FollowUpStatus, Grade
from core.workbook import DATE, DECIMAL1, INTEGER, TEXT, Chart, Column, Workbook
from reports import selectors
from reports.models import ReportJob
from reports.selectors import CHUNK
from villages.selectors import area_names

from .common import Plan, Tick, Ticker, generated_line, labels, notice, title

latest_ranking_period = selectors.latest_ranking_period


def plan(job: ReportJob) -> Plan:
    ranked, follow_ups = selectors.ranking_counts(job.region_id, job.period)
    return Plan(rows=ranked + follow_ups + 20)


def build_xlsx(job: ReportJob, path, tick: Tick) -> int:
    code, period = job.region_id, job.period
    grades, steps = labels(Grade.choices), labels(FollowUpStatus.choices)
    rows = 0
    with Workbook(path, notice=notice(job)) as book:
        # 1. Per county: villages ranked, average, grades, bottom group and its follow-ups; a chart of the averages.
        per_county, follow_counts = selectors.ranking_by_county(code, period)
        names = area_names(row["county"] for row in per_county)
        sheet = book.add_sheet(_("Summary by county"), [
            Column(_("county"), TEXT, 14), Column(_("code"), TEXT, 9), Column(_("villages ranked"), INTEGER, 10),
            Column(_("average score"), DECIMAL1, 10), *[Column(grades[g], INTEGER, 9) for g in Grade.values],
            Column(_("villages in the bottom group"), INTEGER, 10), Column(_("open follow-ups"), INTEGER, 10),
        ], freeze_rows=3)
        sheet.title_line(title(job, job.region))
        sheet.title_line(generated_line(timezone.now()))
        sheet.header()
        start = sheet.row + 1
        for row in per_county:
            follow = follow_counts.get(row["county"], {})
            sheet.append([names.get(row["county"], row["county"]), row["county"], row["n"],
                          (row["total"] / row["n"]).quantize(Decimal("0.1")) if row["n"] else None,
                          *[row[f"g_{g}"] for g in Grade.values], follow.get("n", 0), follow.get("open", 0)])
        if per_county:
            sheet.add_chart(Chart(_("Average score by county"), 11, 2, (0, start, sheet.row), [(_("average score"), 3)]))
        sheet.close()
        rows += len(per_county)
        tick(rows)

        # 2. The ranking: every village, by county then rank.
        sheet = book.add_sheet(_("Ranking"), [
            Column(_("county"), TEXT, 9), Column(_("rank in county"), INTEGER, 9), Column(_("villages ranked"), INTEGER, 9),
            Column(_("rank in township"), INTEGER, 9), Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14),
            Column(_("township"), TEXT, 14), Column(_("total score"), DECIMAL1, 9), Column(_("grade"), TEXT, 8),
            Column(_("scheme"), TEXT, 22), Column(_("in the bottom group"), TEXT, 8), Column(_("follow-up"), TEXT, 10),
            Column(_("due date"), DATE, 12),
        ])
        sheet.header()
        counted = Ticker(tick)
        for county, rank, among, township_rank, vc, village, township, score, grade, scheme, follow_status, due in (
            selectors.ranking(code, period).iterator(chunk_size=CHUNK)
        ):
            sheet.append([county, rank, among, township_rank, vc, village, township, score, grades.get(grade, grade), scheme,
                          _("yes") if follow_status else "", steps.get(follow_status, "") if follow_status else "", due])
            counted()
        counted.flush()
        sheet.close()
        rows += counted.count

        # 3. Follow-ups of the bottom group (末位): talk, rectification, re-inspection.
        sheet = book.add_sheet(_("Follow-ups"), [
            Column(_("village code"), TEXT, 14), Column(_("village"), TEXT, 14), Column(_("township"), TEXT, 14),
            Column(_("rank in county"), INTEGER, 9), Column(_("villages ranked"), INTEGER, 9), Column(_("status"), TEXT, 10),
            Column(_("due date"), DATE, 12), Column(_("talk held on"), DATE, 12), Column(_("rectified on"), DATE, 12),
            Column(_("re-inspected on"), DATE, 12), Column(_("overdue"), TEXT, 8),
        ])
        sheet.header()
        today = timezone.localdate()
        count = 0
        for vc, village, township, rank, among, status, due, talk, rectified, reinspected in (
            selectors.ranking_follow_up_rows(code, period).iterator(chunk_size=CHUNK)
        ):
            late = status != FollowUpStatus.CLOSED and due < today
            sheet.append([vc, village, township, rank, among, steps.get(status, status), due, talk, rectified, reinspected,
                          _("yes") if late else ""])
            count += 1
        sheet.close()
        rows += count
        tick(count)
    return rows
