"""Every kind of workbook the portal writes opens in LibreOffice (soffice --headless --convert-to csv) with the
cell values openpyxl reads, sheet by sheet: the reports of each kind and the dashboard's export. Skips locally
without soffice, fails in CI (QIANCUN_REQUIRE_SERVICES=1)."""
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from reports import services
from reports.models import ReportStatus
from tests.workbooks import assert_guarded, same_values


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    global _commit
    _commit = django_capture_on_commit_callbacks


def _targets_sheets():
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        return [gettext("Targets"), gettext("Areas below")]


@pytest.mark.parametrize("kind, sheets", [
    ("progress", ["概览", "递铺街道", "天荒坪镇", "村庄", "逾期项目"]),
    ("funding", ["按资金类型", "按区域", "资金来源"]),
    ("ranking", ["按县汇总", "排名", "末位跟进"]),
    ("roster", ["村庄"]),
    ("ledger", ["资金来源", "资金分配", "拨付记录"]),
    ("maintenance", ["按区域", "设施", "逾期巡查", "逾期维修"]),
    ("targets", None),  # the names of _targets_sheets()
])
def test_each_report_workbook_reads_the_same_in_libreoffice(county_world, tmp_path, kind, sheets):
    if kind == "targets":  # a target of the county and of a township below it, with their rates
        from decimal import Decimal

        from tests.factories import TargetFactory, region

        year = county_world["today"].year
        TargetFactory(region=region("330523"), year=year, kind="road", quantity=Decimal("5"))
        TargetFactory(region=region("330523108"), year=year, kind="road", quantity=Decimal("2.5"))
    with _commit(execute=True):
        job = services.report_request(actor=county_world["county"], kind=kind, region_code="330523", format="xlsx")
    job.refresh_from_db()
    assert job.status == ReportStatus.SUCCEEDED, job.error
    path = Path(settings.MEDIA_ROOT) / job.file.name
    book = load_workbook(path)
    assert book.sheetnames == (sheets or _targets_sheets())
    assert_guarded(book)
    converted = same_values(path, tmp_path)
    assert sum(len(rows) for rows in converted.values()) >= job.rows  # every row written is there


def test_the_dashboard_export_reads_the_same_in_libreoffice(county_world, client, tmp_path):
    client.force_login(county_world["county"])
    response = client.get(reverse("dashboard:export", args=["330523"]))
    assert response.status_code == 200
    path = tmp_path / "dashboard.xlsx"
    path.write_bytes(response.content)
    assert_guarded(load_workbook(io.BytesIO(response.content)))
    converted = same_values(path, tmp_path)
    assert len(converted) == 8


def test_the_problem_register_export_reads_the_same_in_libreoffice(county_world, client, tmp_path):
    from tests.factories import ProblemFactory, VillageFactory

    village = VillageFactory(code="330523108231", name="大竹园村委会")
    ProblemFactory(village=village, description="=SUM(1,2) 村口垃圾堆放")  # a text that looks like a formula stays text
    ProblemFactory(village=village, category="roads", status="rectified", rectified_on=village.created_at.date(),
                   rectification="已修补路面", description="路面坑洼")
    client.force_login(county_world["county"])
    response = client.get(reverse("oversight:problems_export"))
    assert response.status_code == 200
    path = tmp_path / "problems.xlsx"
    path.write_bytes(response.content)
    assert_guarded(load_workbook(io.BytesIO(response.content)))
    converted = same_values(path, tmp_path)
    assert [len(rows) for rows in converted.values()] == [3]  # the header and both problems
