"""An import in a real browser (issue 22, item 6): county staff download the targets template, fill it in with two
mistakes, upload it and read the errors by row and column (nothing written); fix the file, upload it again, read
what would happen and import it; the targets are there, and uploading the same file again changes nothing."""
import io

import pytest
from openpyxl import load_workbook

from core.models import Role
from planning.models import Target
from tests.factories import VillageFactory, region, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def _submit(page, selector="button[type=submit].primary"):
    with page.expect_navigation():
        page.click(selector)


def _filled(template: bytes, rows, path):
    book = load_workbook(io.BytesIO(template))
    sheet = book["目标"]
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_county_uploads_a_file_with_errors_fixes_it_and_imports_it(phone, tmp_path):
    VillageFactory(code="330523108204", name="余村村委会")
    region("330523001")
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    desk, mobile = phone(desktop=True), phone()

    page = desk.login("anji", PASSWORD)
    page = desk.go("/imports/")
    with page.expect_download() as download:
        page.click('a[href="/imports/templates/targets/"]')
    template = download.value.path().read_bytes()
    assert load_workbook(io.BytesIO(template))["目标"]["A1"].value == "区划代码*"

    bad = _filled(template, [["330523108", 2026, "污水治理", "十二", None], ["330523001", 2026, "修桥", 8, None],
                             ["330523001", 2026, "厕所革命", 5, None]], tmp_path / "目标-有错.xlsx")
    page = desk.go("/imports/new/")
    page.select_option("#id_kind", "targets")
    page.set_input_files("#id_file", str(bad))
    _submit(page, "button[value=upload]")
    errors = page.locator("#errors").inner_text()
    assert "第 3 行，目标数量：不是数字" in errors and "第 4 行，目标类别：不在可选范围内" in errors
    assert page.locator("button[value=commit]").count() == 0 and not Target.objects.exists()
    desk.shot("imports-01-errors-desktop")

    good = _filled(template, [["330523108", 2026, "污水治理", 12, None], ["330523001", 2026, "厕所革命", 8, None]],
                   tmp_path / "目标.xlsx")
    page = mobile.login("anji", PASSWORD)
    page = mobile.go("/imports/new/")
    page.select_option("#id_kind", "targets")
    page.set_input_files("#id_file", str(good))
    _submit(page, "button[value=upload]")
    assert page.locator(".kpi.warn").count() == 0
    assert "将新建" in page.locator(".kpis").inner_text()
    mobile.shot("imports-02-checked-phone")
    _submit(page, "button[value=commit]")
    assert "导入完成：新建 2 条，更新 0 条" in page.locator(".messages").inner_text()
    assert sorted(Target.objects.values_list("region_id", "kind", "quantity")) == [
        ("330523001", "toilet", 8), ("330523108", "sewage", 12)]
    mobile.shot("imports-03-imported-phone")

    page = desk.go("/imports/new/")
    page.select_option("#id_kind", "targets")
    page.set_input_files("#id_file", str(good))
    _submit(page, "button[value=upload]")
    assert "文件中的内容都已在平台中" in page.locator("main").inner_text()
    assert Target.objects.count() == 2
