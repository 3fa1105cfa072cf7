import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Role
from tests.factories import VillageFactory, region, user_with


@pytest.fixture
def villages(db):
    return [VillageFactory(code="330523108204", name="余村村委会"), VillageFactory(code="330523108205", name="银坑村村委会")]


@pytest.fixture
def official(db, villages):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def county(db, villages):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def township():
    return region("330523108")


# The template's headers (imports.kinds.projects, in zh-hans).
HEADERS = ["村代码", "项目编号", "项目名称", "项目类型", "预算（元）", "计划开工日期", "计划完工日期", "计划工程量", "责任人", "责任人电话", "项目描述"]


def project_row(n=1, village="330523108204", **overrides):
    row = {"村代码": village, "项目编号": f"TH-2025-{n:03d}", "项目名称": f"污水管网工程{n}", "项目类型": "污水治理",
           "预算（元）": "500000", "计划开工日期": "2025-03-01", "计划完工日期": "2025-11-30", "计划工程量": "2",
           "责任人": "李明", "责任人电话": "", "项目描述": ""}
    row.update(overrides)
    return row


def xlsx(rows, headers=HEADERS, name="projects.xlsx", sheet="项目", mutate=None) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h, "") if isinstance(row, dict) else row[i] for i, h in enumerate(headers)])
    if mutate:
        mutate(book, ws)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/octet-stream")


def csv_file(rows, headers=HEADERS, encoding="utf-8-sig", name="projects.csv") -> SimpleUploadedFile:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")
