"""Files as users make them, and the bad ones (issue 22, items 4 and 5): written by openpyxl, converted by
LibreOffice, CSV in UTF-8 and GB18030; refused with a clear reason and nothing written: another kind of file, a
password-protected or damaged workbook, a zip bomb, too many rows, merged headers, a hidden data sheet; read as
decided: cached formula values (a formula without one is an error on its cell), dates typed as text, thousands
separators and 万元."""
import io
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import InvalidInput
from core.models import AuditEntry
from imports import reading, services
from imports.models import ImportBatch
from projects.models import Project
from tests.conftest import need_service
from tests.imports.conftest import HEADERS, csv_file, project_row, xlsx


def _upload(user, township, upload):
    return services.import_upload(actor=user, kind="projects", region=township, upload=upload)


def _nothing_written(before):
    assert Project.objects.count() == before


def _bytes_of(upload) -> bytes:
    upload.seek(0)
    return upload.read()


def test_a_workbook_written_by_openpyxl_is_checked_then_imported(official, township):
    batch = _upload(official, township, xlsx([project_row(1), project_row(2, village="330523108205"), project_row(3)]))
    assert (batch.status, batch.format, batch.rows, batch.to_create, batch.error_count) == ("checked", "xlsx", 3, 3, 0)
    assert [row["action"] for row in batch.preview] == ["create"] * 3
    assert Project.objects.count() == 0  # a dry run writes nothing but the import
    batch = services.import_commit(actor=official, batch=batch)
    assert (batch.status, batch.created) == ("committed", 3)
    assert set(Project.objects.values_list("reference", "status", "budget")) == {
        (f"TH-2025-00{n}", "draft", Decimal("500000.00")) for n in (1, 2, 3)}


def test_a_workbook_converted_by_libreoffice_from_csv(official, township, tmp_path):
    need_service("LibreOffice (soffice)", shutil.which("soffice") is not None, "apt-get install libreoffice-calc-nogui")
    source = tmp_path / "项目.csv"
    source.write_bytes(_bytes_of(csv_file([project_row(1), project_row(2)])))
    subprocess.run(["soffice", "--headless", "--infilter=CSV:44,34,76", "--convert-to", "xlsx", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    converted = (tmp_path / "项目.xlsx").read_bytes()
    batch = _upload(official, township, SimpleUploadedFile("项目.xlsx", converted))
    assert (batch.status, batch.format, batch.to_create, batch.error_count) == ("checked", "xlsx", 2, 0), batch.errors
    # LibreOffice typed the codes and the budget as numbers and the dates as dates: all read as meant.
    services.import_commit(actor=official, batch=batch)
    assert Project.objects.get(reference="TH-2025-001").planned_start.isoformat() == "2025-03-01"


@pytest.mark.parametrize("encoding, label", [("utf-8-sig", "UTF-8"), ("utf-8", "UTF-8"), ("gb18030", "GB18030")])
def test_csv_in_utf8_or_gb18030(official, township, encoding, label):
    batch = _upload(official, township, csv_file([project_row(1, 项目名称="余村污水管网（一期）")], encoding=encoding))
    assert (batch.status, batch.format, batch.encoding, batch.to_create) == ("checked", "csv", label, 1), batch.errors
    services.import_commit(actor=official, batch=batch)
    assert Project.objects.get().name == "余村污水管网（一期）"


def test_a_second_upload_of_the_same_file_changes_nothing(official, township):
    rows = [project_row(1), project_row(2)]
    services.import_commit(actor=official, batch=_upload(official, township, xlsx(rows)))
    before = (Project.objects.count(), AuditEntry.objects.exclude(content_type__model="importbatch").count())
    again = _upload(official, township, xlsx(rows))
    assert (again.unchanged, again.to_create, again.to_update, again.ready) == (2, 0, 0, False)
    assert (Project.objects.count(), AuditEntry.objects.exclude(content_type__model="importbatch").count()) == before
    # A changed budget is an update of the draft, through project_update (its version moves on).
    changed = _upload(official, township, xlsx([project_row(1, **{"预算（元）": "520000"}), project_row(2)]))
    assert (changed.to_update, changed.unchanged) == (1, 1)
    services.import_commit(actor=official, batch=changed)
    project = Project.objects.get(reference="TH-2025-001")
    assert (project.budget, project.version) == (Decimal("520000.00"), 2)


def _refused(official, township, upload, *words):
    before = Project.objects.count()
    batch = _upload(official, township, upload)
    assert batch.status == "refused", (batch.status, batch.errors)
    for word in words:
        assert word in batch.refusal, batch.refusal
    assert not batch.ready
    _nothing_written(before)
    return batch


def test_a_password_protected_workbook_is_refused(official, township):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO(_bytes_of(xlsx([project_row(1)])))
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", encrypted)
    _refused(official, township, SimpleUploadedFile("加密.xlsx", encrypted.getvalue()), "密码")


def test_a_damaged_workbook_is_refused(official, township):
    data = _bytes_of(xlsx([project_row(1)]))
    _refused(official, township, SimpleUploadedFile("坏.xlsx", data[: len(data) // 2]), "损坏")


@pytest.mark.parametrize("name, data, words", [
    ("照片.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, ["既不是 Excel 工作簿"]),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, [".xls"]),
    ("empty.csv", b"", ["文件"]),
])
def test_another_kind_of_file_is_refused(official, township, name, data, words):
    if not data:
        with pytest.raises(InvalidInput) as refused:  # an empty upload: refused on the file field, nothing kept
            _upload(official, township, SimpleUploadedFile(name, data))
        assert "file" in refused.value.field_errors and not ImportBatch.objects.exists()
        return
    _refused(official, township, SimpleUploadedFile(name, data), *words)


def test_a_zip_that_is_not_a_workbook_is_refused(official, township):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    _refused(official, township, SimpleUploadedFile("文档.xlsx", out.getvalue()), "压缩包")


def test_a_zip_bomb_is_refused_before_it_is_opened(official, township):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (64 * 1024 * 1024))  # 64 MB of zeros: about 64 KB
    assert len(out.getvalue()) < 200_000
    _refused(official, township, SimpleUploadedFile("炸弹.xlsx", out.getvalue()), "压缩炸弹")


def test_too_many_rows_are_refused(official, township, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    _refused(official, township, xlsx([project_row(n) for n in range(1, 7)]), "超过 5 行")


def test_merged_header_cells_are_refused(official, township):
    def merge(book, ws):
        ws.merge_cells("H1:I1")

    _refused(official, township, xlsx([project_row(1)], mutate=merge), "合并单元格", "H1:I1")


def test_a_hidden_data_sheet_is_refused_and_other_hidden_sheets_are_ignored(official, township):
    def hide_data(book, ws):
        book.create_sheet("说明")
        ws.sheet_state = "hidden"

    _refused(official, township, xlsx([project_row(1)], mutate=hide_data), "隐藏")

    def hide_other(book, ws):
        book.create_sheet("草稿").sheet_state = "hidden"

    batch = _upload(official, township, xlsx([project_row(1)], mutate=hide_other))
    assert batch.status == "checked" and batch.to_create == 1
    assert any("草稿" in notice for notice in batch.notices)


def test_missing_columns_are_named(official, township):
    headers = [h for h in HEADERS if h not in ("预算（元）", "责任人")]
    _refused(official, township, xlsx([project_row(1)], headers=headers), "缺少列", "预算（元）", "责任人")


def test_formulas_use_their_calculated_value_and_one_without_is_an_error_on_its_cell(official, township, tmp_path):
    def formula(book, ws):
        ws["E2"] = "=400000+100000"  # openpyxl calculates nothing: no cached value

    batch = _upload(official, township, xlsx([project_row(1)], mutate=formula))
    assert batch.error_count == 1 and not batch.ready
    error = batch.errors[0]
    assert (error["row"], error["column"]) == (2, "预算（元）") and "E2" in error["message"] and "公式" in error["message"]
    need_service("LibreOffice (soffice)", shutil.which("soffice") is not None, "apt-get install libreoffice-calc-nogui")
    # The same workbook saved by a spreadsheet program (LibreOffice recalculates and keeps the value): read as 500,000.
    source = tmp_path / "公式.xlsx"
    source.write_bytes(_bytes_of(xlsx([project_row(1)], mutate=formula)))
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(source)], check=True,
                   capture_output=True, timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    saved = _upload(official, township, SimpleUploadedFile("公式.xlsx", (out / "公式.xlsx").read_bytes()))
    assert (saved.error_count, saved.to_create) == (0, 1), saved.errors
    services.import_commit(actor=official, batch=saved)
    assert Project.objects.get().budget == Decimal("500000.00")


@pytest.mark.parametrize("typed, expected", [
    ("2025-03-01", "2025-03-01"), ("2025/3/1", "2025-03-01"), ("2025.3.1", "2025-03-01"), ("2025年3月1日", "2025-03-01"),
    ("20250301", "2025-03-01"),
])
def test_dates_typed_as_text(official, township, typed, expected):
    batch = _upload(official, township, xlsx([project_row(1, 计划开工日期=typed)]))
    assert batch.error_count == 0, batch.errors
    services.import_commit(actor=official, batch=batch)
    assert Project.objects.get().planned_start.isoformat() == expected


@pytest.mark.parametrize("typed, message", [("2025-02-30", "日期不存在"), ("明年三月", "不是日期"), (45717, "不是日期")])
def test_a_bad_date_is_an_error_on_its_cell(official, township, typed, message):
    batch = _upload(official, township, xlsx([project_row(1, 计划开工日期=typed)]))
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "计划开工日期")] and message in batch.errors[0]["message"]


@pytest.mark.parametrize("typed, expected", [
    ("1,234,567.50", "1234567.50"), ("1，234，567.5", "1234567.50"), ("120万", "1200000.00"), ("86.5万元", "865000.00"),
    ("3500元", "3500.00"), (860000, "860000.00"), (" 860 000 ", "860000.00"),
])
def test_money_with_separators_and_wan(official, township, typed, expected):
    batch = _upload(official, township, xlsx([project_row(1, **{"预算（元）": typed})]))
    assert batch.error_count == 0, batch.errors
    services.import_commit(actor=official, batch=batch)
    assert Project.objects.get().budget == Decimal(expected)


def test_a_column_in_wan_yuan(official, township):
    headers = [("预算（万元）" if h == "预算（元）" else h) for h in HEADERS]
    row = {("预算（万元）" if k == "预算（元）" else k): v for k, v in project_row(1, **{"预算（元）": "86.5"}).items()}
    batch = _upload(official, township, xlsx([row], headers=headers))
    assert batch.error_count == 0, batch.errors
    services.import_commit(actor=official, batch=batch)
    assert Project.objects.get().budget == Decimal("865000.00")


@pytest.mark.parametrize("typed, message", [("abc", "不是数字"), ("-5", "不能为负数"), ("1.234", "最多两位小数")])
def test_bad_money_is_an_error_naming_row_and_column(official, township, typed, message):
    batch = _upload(official, township, xlsx([project_row(1), project_row(2, **{"预算（元）": typed})]))
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "预算（元）")] and message in batch.errors[0]["message"]
    assert not batch.ready and ImportBatch.objects.get().error_count == 1


def test_one_file_with_every_quirk_a_user_makes(official, township, tmp_path):
    """Saved by a spreadsheet program (LibreOffice): money in a 万元 column, one of them a formula, a planned output
    with a thousands separator, dates typed as text three ways, a hidden sheet of old rows, blank rows, cells with
    full-width spaces; all read as meant, the hidden sheet said."""
    need_service("LibreOffice (soffice)", shutil.which("soffice") is not None, "apt-get install libreoffice-calc-nogui")
    headers = [("预算（万元）" if h == "预算（元）" else h) for h in HEADERS]

    def quirks(book, ws):
        ws["E2"] = "=80+6.5"  # 86.5 万元, as the program calculates it
        old = book.create_sheet("旧数据")
        old.append(headers)
        old.append(["330523108204", "OLD-1", "旧项目"])
        old.sheet_state = "hidden"

    rows = [
        {"村代码": "330523108204", "项目编号": "Q-1", "项目名称": "\u3000余村污水管网\u3000", "项目类型": "污水治理", "预算（万元）": "",
         "计划开工日期": "2025年3月1日", "计划完工日期": "2025/11/30", "计划工程量": "1,200", "责任人": "李明"},
        {},
        {"村代码": "330523108205", "项目编号": "Q-2", "项目名称": "银坑村道路", "项目类型": "村道硬化", "预算（万元）": "1,250.5",
         "计划开工日期": "2025.4.1", "计划完工日期": "2025-10-31", "计划工程量": "3.2", "责任人": "王芳"},
    ]
    source = tmp_path / "在.xlsx"
    source.write_bytes(_bytes_of(xlsx(rows, headers=headers, mutate=quirks)))
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(source)], check=True,
                   capture_output=True, timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    batch = _upload(official, township, SimpleUploadedFile("项目.xlsx", (out / "在.xlsx").read_bytes()))
    assert (batch.error_count, batch.to_create, batch.rows) == (0, 2, 2), batch.errors
    assert any("旧数据" in notice for notice in batch.notices)
    services.import_commit(actor=official, batch=batch)
    first, second = Project.objects.order_by("reference")
    assert (first.name, first.budget, first.planned_output, str(first.planned_start), str(first.planned_end)) == (
        "余村污水管网", Decimal("865000.00"), Decimal("1200"), "2025-03-01", "2025-11-30")
    assert (second.budget, str(second.planned_start)) == (Decimal("12505000.00"), "2025-04-01")


def test_a_sheet_with_entity_expansion_is_refused(official, township):
    """A “billion laughs” sheet: defusedxml (under openpyxl and the formula scan) refuses entities; nothing expands."""
    data = _bytes_of(xlsx([project_row(1)]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                laughs = "".join(f'<!ENTITY l{n} "{"&l%d;" % (n - 1) * 10}">' for n in range(1, 10))
                content = content.replace(b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY l0 "ha">' + laughs.encode() + b"]><worksheet", 1)
            target.writestr(item, content)
    _refused(official, township, SimpleUploadedFile("笑.xlsx", out.getvalue()), "损坏")


def test_an_unreadable_csv_is_refused(official, township):
    huge = ",".join(HEADERS) + "\n" + '330523108204,"' + "x" * 200_000 + '",1\n'  # a field beyond the csv module's limit
    _refused(official, township, SimpleUploadedFile("坏.csv", huge.encode()), "CSV")


def test_an_error_of_ours_fails_the_import_instead_of_leaving_it_checking(official, township, monkeypatch):
    from imports.kinds.projects import ProjectsKind

    def broken(self, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ProjectsKind, "check", broken)
    batch = _upload(official, township, xlsx([project_row(1)]))
    assert batch.status == "failed" and "已记录" in batch.refusal and not batch.ready
