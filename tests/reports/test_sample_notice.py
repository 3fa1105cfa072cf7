"""Issue 18, item 15: every report over sample (or scale-test) data says so, in the file and on the page; a report
over real data does not. The mark is data the reports read (Region.sample_data, villages.selectors.sample_notice),
set by seed_demo and generate_programme; the reports know nothing of the sample app."""
import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from reports import services
from reports.models import ReportStatus
from tests.workbooks import assert_guarded, same_values
from villages.models import Region, SampleData
from villages.services import region_mark_sample_data

NOTICE = "示例数据：非真实数据"
SCALE_NOTICE = "规模测试数据：非真实数据"
WORKBOOKS = [("progress", "xlsx"), ("funding", "xlsx"), ("ranking", "xlsx"), ("roster", "xlsx"), ("ledger", "xlsx")]


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    global _commit
    _commit = django_capture_on_commit_callbacks


def _mark(code, kind=SampleData.SAMPLE):
    region_mark_sample_data(actor=None, region=Region.objects.get(code=code), kind=kind)


def _report(world, kind, fmt, region="330523"):
    user = world["supervisor"] if len(region) < 6 else world["county"]
    with _commit(execute=True):
        job = services.report_request(actor=user, kind=kind, region_code=region, format=fmt)
    job.refresh_from_db()
    assert job.status == ReportStatus.SUCCEEDED, job.error
    return job, Path(settings.MEDIA_ROOT) / job.file.name


def _cells(book):
    return [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize("kind, fmt", WORKBOOKS)
def test_a_workbook_over_sample_data_says_so_on_every_sheet_and_opens_in_libreoffice(county_world, tmp_path, kind, fmt):
    _mark("330523")
    job, path = _report(county_world, kind, fmt)
    book = load_workbook(path)
    for ws in book.worksheets:
        assert ws["A1"].value == NOTICE and ws["A1"].font.b, ws.title  # the banner, above titles and header
        if ws.freeze_panes:
            assert int(ws.freeze_panes[1:]) >= 3, (ws.title, ws.freeze_panes)  # frozen with the header below it
        assert NOTICE in (ws.oddHeader.center.text or ""), ws.title  # and on every printed page
    assert book.properties.subject == book.properties.keywords == book.properties.description == NOTICE
    assert_guarded(book)
    converted = same_values(path, tmp_path)
    assert all(rows[0][0] == NOTICE for rows in converted.values())
    assert sum(len(rows) for rows in converted.values()) >= job.rows


@pytest.mark.parametrize("kind, fmt", WORKBOOKS)
def test_a_workbook_over_real_data_carries_no_mark(county_world, kind, fmt):
    _mark("330522")  # another county's sample programme is not this report's business
    _job, path = _report(county_world, kind, fmt)
    book = load_workbook(path)
    assert not any("示例数据" in text or "非真实" in text for text in _cells(book))
    assert not book.properties.subject and not book.properties.keywords and not book.properties.description
    assert all(not (ws.oddHeader.center.text or "") for ws in book.worksheets)


def test_a_mark_above_or_below_the_region_counts(county_world):
    _mark("330523")
    _job, path = _report(county_world, "funding", "xlsx", region="3305")  # the city holds the sample county
    assert load_workbook(path).properties.subject == NOTICE
    _mark("33", SampleData.SCALE_TEST)  # the province's scale test covers the city too
    _job, path = _report(county_world, "funding", "xlsx", region="3305")
    assert load_workbook(path)["按资金类型"]["A1"].value == f"{NOTICE} · {SCALE_NOTICE}"


def test_the_roster_csv_over_sample_data_starts_with_the_mark(county_world):
    _job, path = _report(county_world, "roster", "csv")
    real = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    _mark("330523")
    _job, path = _report(county_world, "roster", "csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == [NOTICE] and rows[1:] == real  # the banner line, then the report as it was
    assert real[0][0] == "村代码"


def test_the_progress_pdf_over_sample_data_says_so_on_every_page_and_in_its_properties(county_world):
    from tests.reports.pdftext import pdf_info, pdf_text

    _job, path = _report(county_world, "progress", "pdf")
    assert NOTICE not in pdf_text(path) and NOTICE not in pdf_info(path)
    _mark("330523")
    _job, path = _report(county_world, "progress", "pdf")
    text, info = pdf_text(path), pdf_info(path)
    pages = text.split("\f")
    assert all(NOTICE in page for page in pages if page.strip()), pages
    assert NOTICE in info and "安吉县" in info  # subject or keywords, and the title


def test_the_dashboard_and_its_export_over_sample_data_say_so(county_world, client):
    client.force_login(county_world["county"])
    page = client.get(reverse("dashboard:region", args=["330523"])).content.decode()
    export = load_workbook(io.BytesIO(client.get(reverse("dashboard:export", args=["330523"])).content))
    assert NOTICE not in page and not export.properties.subject and export.worksheets[0]["A1"].value != NOTICE
    _mark("330523")
    page = client.get(reverse("dashboard:region", args=["330523"])).content.decode()
    export = load_workbook(io.BytesIO(client.get(reverse("dashboard:export", args=["330523"])).content))
    assert f'<p class="notice sample-notice" role="note">{NOTICE}</p>' in page
    assert export.properties.subject == NOTICE and all(ws["A1"].value == NOTICE for ws in export.worksheets)


def test_the_report_page_says_its_report_covers_sample_data(county_world, client):
    job, _path = _report(county_world, "funding", "xlsx")
    client.force_login(county_world["county"])
    assert NOTICE not in client.get(reverse("reports:detail", args=[job.pk])).content.decode()
    _mark("330523")
    assert NOTICE in client.get(reverse("reports:detail", args=[job.pk])).content.decode()
