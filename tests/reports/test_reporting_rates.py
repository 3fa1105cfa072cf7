"""The progress report carries the month's reporting discipline (issue 21 item 3): the reporting rate and the on-time
reporting rate of the region and of each area below, in the workbook (summary, per-area sheets) and in the PDF."""
import datetime
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from dashboard.stats import REPORTING_GRACE_DAYS, rebuild
from projects.models import ProgressReport
from reports import services
from reports.models import ReportStatus
from tests.factories import ProgressReportFactory

D = Decimal
LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def last_month(county_world, django_capture_on_commit_callbacks):
    """county_world, with last month's reports of 天荒坪镇: 余村's sewer entered on time, 大溪村's project entered a day
    after the deadline (at 01:00 Beijing time, still the deadline in UTC). Its three open projects were expected (the
    accepted one was finished this month); 递铺街道 had none open."""
    today = county_world["today"]
    last = today.replace(day=1) - datetime.timedelta(days=1)
    month = last.replace(day=1)
    deadline = last + datetime.timedelta(days=REPORTING_GRACE_DAYS)
    projects = county_world["projects"]
    for project, day, entered in (
        (projects[0], month + datetime.timedelta(days=9), datetime.datetime.combine(month + datetime.timedelta(days=9), datetime.time(10), LOCAL)),
        (projects[3], last, datetime.datetime.combine(deadline + datetime.timedelta(days=1), datetime.time(1), LOCAL)),
    ):
        report = ProgressReportFactory(project=project, report_date=day, percent_complete=project.percent_complete)
        ProgressReport.objects.filter(pk=report.pk).update(created_at=entered)
    rebuild("")
    county_world["commit"] = django_capture_on_commit_callbacks
    county_world["period"] = f"{month:%Y-%m}"
    return county_world


def _request(world, fmt="", user="county", region="330523"):
    with world["commit"](execute=True):
        job = services.report_request(actor=world[user], kind="progress", region_code=region, format=fmt,
                                      period=world["period"])
    job.refresh_from_db()
    assert job.status == ReportStatus.SUCCEEDED, job.error
    return Path(settings.MEDIA_ROOT) / job.file.name


def _rows(ws):
    return [row for row in ws.iter_rows(values_only=True)]


def test_the_county_workbook_has_the_months_rates_overall_and_per_township(last_month):
    book = load_workbook(_request(last_month))
    rows = _rows(book["概览"])
    summary = {row[0]: row[1] for row in rows if row[0]}
    assert summary["本月应报项目"] == 3
    assert D(str(summary["上报率（%）"])) == D("66.7")
    assert D(str(summary["按时上报率（%）"])) == D("33.3")
    assert summary["本月进度填报"] == 2
    # Each township, below the summary: on-time rate, reporting rate; none expected in 递铺街道.
    start = next(i for i, row in enumerate(rows) if row[0] == "各区域上报情况")
    assert rows[start + 1] == ("区域", "按时上报率（%）", "上报率（%）")
    by_area = {row[0]: row[1:] for row in rows[start + 2:] if row[0]}
    assert {name: tuple(None if v is None else D(str(v)) for v in values) for name, values in by_area.items()} == {
        "天荒坪镇": (D("33.3"), D("66.7")), "递铺街道": (None, None)}


def test_the_city_workbook_has_each_townships_rates_on_its_countys_sheet(last_month):
    book = load_workbook(_request(last_month, user="supervisor", region="3305"))
    sheet = _rows(book["安吉县"])
    header = sheet[1]
    rows = {row[1]: dict(zip(header, row)) for row in sheet[2:]}
    assert D(str(rows["天荒坪镇"]["上报率（%）"])) == D("66.7") and D(str(rows["天荒坪镇"]["按时上报率（%）"])) == D("33.3")
    assert rows["天荒坪镇"]["本月应报项目"] == 3 and rows["天荒坪镇"]["本月进度填报"] == 2
    assert rows["递铺街道"]["本月应报项目"] == 0 and rows["递铺街道"]["按时上报率（%）"] is None
    summary = {row[0]: row[1] for row in _rows(book["概览"]) if row[0]}
    assert D(str(summary["按时上报率（%）"])) == D("33.3")


def test_the_township_workbook_has_its_own_rates_and_no_area_table(last_month):
    book = load_workbook(_request(last_month, region="330523108"))
    rows = _rows(book["概览"])
    summary = {row[0]: row[1] for row in rows if row[0]}
    assert D(str(summary["按时上报率（%）"])) == D("33.3") and summary["本月应报项目"] == 3
    assert "各区域上报情况" not in summary  # villages: no per-village figures


def test_a_month_with_nothing_expected_shows_no_rate(county_world, django_capture_on_commit_callbacks):
    county_world["commit"] = django_capture_on_commit_callbacks
    county_world["period"] = "2020-01"
    summary = {row[0]: row[1] for row in _rows(load_workbook(_request(county_world))["概览"]) if row[0]}
    assert summary["本月应报项目"] == 0 and summary["上报率（%）"] is None and summary["按时上报率（%）"] is None


def test_the_pdf_has_the_months_rates_overall_and_per_township(last_month):
    from tests.reports.pdftext import pdf_text

    text = pdf_text(_request(last_month, fmt="pdf"))
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.split()}
    assert lines["本月应报项目"] == ["3"] and lines["上报率（%）"] == ["66.7"] and lines["按时上报率（%）"] == ["33.3"]
    # The areas' table ends with the two rates.
    assert lines["天荒坪镇"][-2:] == ["66.7", "33.3"] and lines["递铺街道"][-2:] == ["—", "—"]
