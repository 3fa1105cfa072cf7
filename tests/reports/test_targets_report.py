"""The targets report (规划目标完成情况): the region's targets, actuals and rates per kind and its areas below, behind
schedule first, as a workbook (read back with openpyxl) and a PDF (read back with pdftotext)."""
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from core.exceptions import InvalidInput
from dashboard.stats import rebuild
from projects.models import ProjectStatus as S
from reports import services
from reports.models import ReportStatus
from tests.factories import TargetFactory, VillageFactory, project_in, region
from tests.workbooks import assert_guarded

D = Decimal


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    global _commit
    _commit = django_capture_on_commit_callbacks


@pytest.fixture
def targets_world(county_world):
    year = county_world["today"].year
    villages = county_world["villages"]
    TargetFactory(region=region("330523"), year=year, kind="road", quantity=D("20"))
    TargetFactory(region=region("330523108"), year=year, kind="road", quantity=D("8"))
    TargetFactory(region=region("330523001"), year=year, kind="road", quantity=D("12"))
    accepted = dict(type="road", accepted_on=datetime.date(year, 1, 2))
    project_in(S.ACCEPTED, village=villages[0], actual_output=D("6"), **accepted)  # 天荒坪镇 6 / 8
    project_in(S.ACCEPTED, village=villages[3], actual_output=D("3"), **accepted)  # 递铺街道 3 / 12
    project_in(S.ACCEPTED, village=villages[3], actual_output=D("50"), type="road",
               accepted_on=datetime.date(year - 1, 12, 31))  # last year: not counted
    project_in(S.ACCEPTED, village=VillageFactory(township_code="330522001", code="330522001201"), actual_output=D("50"),
               **accepted)  # another county: not counted
    rebuild("")  # the summary rows the report reads above a township
    return {**county_world, "year": year}


def _request(world, fmt="xlsx", period=""):
    with _commit(execute=True):
        job = services.report_request(actor=world["county"], kind="targets", region_code="330523", format=fmt, period=period,
                                      language="en")
    job.refresh_from_db()
    return job


def test_targets_workbook_matches_the_database(targets_world):
    job = _request(targets_world)
    assert job.status == ReportStatus.SUCCEEDED, job.error
    assert job.period == str(targets_world["year"])
    book = load_workbook(Path(settings.MEDIA_ROOT) / job.file.name)
    assert book.sheetnames == ["Targets", "Areas below"]
    rows = list(book["Targets"].iter_rows(min_row=4, values_only=True))
    assert rows[0] == ("kind", "unit", "target", "actual", "completion rate (%)")
    kind, unit, target, actual, rate = rows[1]
    assert (kind, target, actual, rate) == ("road hardening", 20, 9, pytest.approx(45))
    assert any(r[0] and str(r[0]).startswith("Projects in the plan") for r in rows)
    areas = list(book["Areas below"].iter_rows(values_only=True))
    header, body = areas[0], areas[1:]
    assert header[:3] == ("code", "name", "lowest rate (%)") and len(header) == 6
    assert [(r[0], r[3], r[4], r[5]) for r in body] == [
        ("330523001", 12, 3, pytest.approx(25)), ("330523108", 8, 6, pytest.approx(75)),
    ]  # behind schedule first
    assert_guarded(book)


def test_targets_pdf_reads_back(targets_world):
    job = _request(targets_world, "pdf")
    assert job.status == ReportStatus.SUCCEEDED, job.error
    from tests.reports.pdftext import pdf_text

    text = pdf_text(Path(settings.MEDIA_ROOT) / job.file.name)
    assert "road hardening" in text and "45.0%" in text
    assert text.index("递铺街道") < text.index("天荒坪镇")  # 25% before 75%
    assert "3 / 12 (25.0%)" in text and "6 / 8 (75.0%)" in text


def test_a_year_without_targets_is_an_empty_report_and_the_period_is_checked(targets_world):
    job = _request(targets_world, period="2010")
    assert job.status == ReportStatus.SUCCEEDED, job.error
    book = load_workbook(Path(settings.MEDIA_ROOT) / job.file.name)
    assert all(row[2] is None and row[3] is None for row in book["Targets"].iter_rows(min_row=5, values_only=True))
    assert book["Areas below"].max_row == 1  # the header alone
    for period in ("2025-06", "1999", str(targets_world["year"] + 2)):
        with pytest.raises(InvalidInput):
            _request(targets_world, period=period)
