"""The import's flow (issue 22, items 2, 3 and 6): pages, the API, large files by a job, commits all or none,
who may import what and who reads an import."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.exceptions import IllegalTransition, NotPermitted
from core.models import AuditEntry, Role
from imports import services
from imports.models import ImportBatch
from projects.models import Project, ProjectStatus
from tests.factories import api_token, user_with
from tests.imports.conftest import csv_file, project_row, xlsx


def test_the_upload_page_shows_every_error_by_row_and_column_then_the_fixed_file_imports(client, official):
    client.force_login(official)
    page = client.get(reverse("imports:upload"))
    assert page.status_code == 200 and 'name="file"' in page.content.decode()
    bad = xlsx([project_row(1), project_row(2, **{"预算（元）": "八十万"}), project_row(3, 项目类型="修桥")])
    response = client.post(reverse("imports:upload"), {"kind": "projects", "area": "330523108", "file": bad})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[batch.pk])
    html = client.get(response["Location"]).content.decode()
    assert "第 3 行，预算（元）：不是数字" in html
    assert "第 4 行，项目类型：不在可选范围内" in html
    assert 'value="commit"' not in html  # no import while the file has errors
    assert client.post(reverse("imports:commit", args=[batch.pk])).status_code == 302
    assert Project.objects.count() == 0  # refused: nothing written
    fixed = xlsx([project_row(1), project_row(2), project_row(3)])
    response = client.post(reverse("imports:upload"), {"kind": "projects", "area": "330523108", "file": fixed})
    batch = ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert 'value="commit"' in client.get(response["Location"]).content.decode()
    client.post(reverse("imports:commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.created, Project.objects.count()) == ("committed", 3, 3)


def test_a_commit_writes_all_rows_or_none(official, township):
    batch = services.import_upload(actor=official, kind="projects", region=township,
                                   upload=xlsx([project_row(1), project_row(2)]))
    services.import_commit(actor=official, batch=services.import_upload(
        actor=official, kind="projects", region=township, upload=xlsx([project_row(2, 项目名称="先导入的")])))
    Project.objects.filter(reference="TH-2025-002").update(status=ProjectStatus.SUBMITTED)  # submitted since the dry run
    before = (Project.objects.count(), AuditEntry.objects.filter(content_type__model="project").count())
    batch = services.import_commit(actor=official, batch=batch)
    assert batch.status == "checked" and batch.error_count == 1 and batch.errors[0]["row"] == 3
    assert "不能再通过导入修改" in batch.errors[0]["message"]
    assert (Project.objects.count(), AuditEntry.objects.filter(content_type__model="project").count()) == before


def test_only_the_uploader_commits_and_reads_an_import(client, official, township, villages):
    batch = services.import_upload(actor=official, kind="projects", region=township, upload=xlsx([project_row(1)]))
    colleague = user_with("tianhuangping2", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    with pytest.raises(NotPermitted):
        services.import_commit(actor=colleague, batch=batch)
    client.force_login(colleague)
    assert client.get(reverse("imports:detail", args=[batch.pk])).status_code == 404
    assert Project.objects.count() == 0
    services.import_commit(actor=official, batch=batch)
    with pytest.raises(IllegalTransition):  # committed once: a second commit writes nothing
        services.import_commit(actor=official, batch=batch)
    assert Project.objects.count() == 1


def test_a_user_imports_only_what_they_may_write(official, county, township):
    from tests.factories import region

    other = user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001"))
    with pytest.raises(NotPermitted):  # not for an area they do not hold
        services.import_upload(actor=other, kind="projects", region=township, upload=xlsx([project_row(1)]))
    batch = services.import_upload(actor=other, kind="projects", region=region("330523001"), upload=xlsx([project_row(1)]))
    # 递铺街道's official imports projects for their township, and 余村 is not in it: refused on the row.
    assert batch.error_count == 1 and batch.errors[0]["column"] == "村代码" and "不在您可导入的范围内" in batch.errors[0]["message"]
    with pytest.raises(NotPermitted):  # county staff do not create projects (township officials do)
        services.import_upload(actor=county, kind="projects", region=township, upload=xlsx([project_row(1)]))
    assert ImportBatch.objects.filter(requester=county).count() == 0 and Project.objects.count() == 0


def _large_rows(n):
    return [project_row(i, village="330523108204" if i % 2 else "330523108205") for i in range(1, n + 1)]


def test_a_large_file_is_checked_and_imported_by_a_job(client, official, township, eager_celery, django_capture_on_commit_callbacks):
    upload = csv_file(_large_rows(1200))
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_upload(actor=official, kind="projects", region=township, upload=upload)
    assert batch.status == "queued"  # the job runs once the upload is committed
    batch.refresh_from_db()
    assert (batch.status, batch.rows, batch.to_create, services.progress_of(batch)) == ("checked", 1200, 1200, 100)
    client.force_login(official)
    assert client.get(reverse("imports:status", args=[batch.pk])).json() == {
        "status": "checked", "status_display": "已检查", "progress": 100, "done": True}
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_commit(actor=official, batch=batch)
    assert batch.status in ("committing", "committed")
    batch.refresh_from_db()
    assert (batch.status, batch.created, Project.objects.count()) == ("committed", 1200, 1200)


def test_a_large_file_waiting_for_its_job_shows_the_progress_bar(client, official, township, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the job is not run
        batch = services.import_upload(actor=official, kind="projects", region=township, upload=csv_file(_large_rows(1100)))
    client.force_login(official)
    html = client.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    assert 'id="import-bar"' in html and "js/imports" in html and 'data-running="1"' in html
    assert client.get(reverse("imports:status", args=[batch.pk])).json()["done"] is False


def test_the_api_uploads_polls_and_commits(client, official, township):
    token = api_token(official)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    upload = SimpleUploadedFile("项目.xlsx", xlsx([project_row(1), project_row(2)]).read())
    response = client.post(reverse("api:import-list"), {"kind": "projects", "area": "330523108", "file": upload}, **auth)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["to_create"], body["error_count"]) == ("checked", 2, 0)
    assert response["Location"] == reverse("api:import-detail", args=[body["id"]])
    assert client.get(response["Location"], **auth).json()["status"] == "checked"
    committed = client.post(reverse("api:import-commit", args=[body["id"]]), **auth)
    assert committed.status_code == 202 and committed.json()["status"] == "committed" and committed.json()["created"] == 2
    assert Project.objects.count() == 2
    # A bad file: the errors by row and column, in the API's shape; nothing to commit.
    bad = SimpleUploadedFile("项目.csv", csv_file([project_row(3, 计划开工日期="下月")]).read())
    body = client.post(reverse("api:import-list"), {"kind": "projects", "area": "330523108", "file": bad}, **auth).json()
    assert body["errors"] == [{"row": 2, "column": "计划开工日期", "message": "不是日期：请按 2025-03-01 的格式填写"}]
    refused = client.post(reverse("api:import-commit", args=[body["id"]]), **auth)
    assert refused.status_code == 409 and Project.objects.count() == 2


@pytest.mark.parametrize("imports", [1, 20])
def test_the_list_costs_the_same_queries_at_1_and_20_imports(client, official, township, imports, django_assert_max_num_queries):
    for n in range(imports):
        services.import_upload(actor=official, kind="projects", region=township, upload=xlsx([project_row(n + 1)]))
    client.force_login(official)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("imports:list"))
    assert response.status_code == 200 and len(response.context["object_list"]) == imports


def test_the_template_is_what_the_import_reads(client, official, township):
    from openpyxl import load_workbook

    client.force_login(official)
    response = client.get(reverse("imports:template", args=["projects"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response) if response.streaming else response.content
    book = load_workbook(__import__("io").BytesIO(data))
    sheet = book["项目"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["村代码*", "项目编号*", "项目名称*"] and "责任人电话" in headers
    assert sheet["A2"].value == "330523108204" and sheet["A2"].comment is not None  # the example row, marked
    validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert any("污水治理" in (formula or "") for formula in validations.values())  # the types' drop-down
    codes = book["代码"]
    assert [row[0].value for row in codes.iter_rows(min_row=2)] == ["330523108204", "330523108205"]
    # The template, filled in below its example row and uploaded as it is, imports that row only.
    sheet.append(["330523108205", "TH-9", "银坑村道路", "村道硬化", 300000, datetime.date(2026, 3, 1), datetime.date(2026, 9, 30),
                  None, "王芳", None, None])
    out = __import__("io").BytesIO()
    book.save(out)
    batch = services.import_upload(actor=official, kind="projects", region=township,
                                   upload=SimpleUploadedFile("模板.xlsx", out.getvalue()))
    assert (batch.error_count, batch.to_create, batch.rows) == (0, 1, 1), batch.errors


def test_a_file_above_the_usual_body_limit_is_taken_and_one_above_the_imports_is_not(client, official, settings,
                                                                                      django_capture_on_commit_callbacks):
    """The upload page takes a file of up to 20 MB (the default body limit of a logged-in user is 2.5 MiB); above
    the imports' limit the request is refused from its length, before it is read (413)."""
    from imports.reading import UPLOAD_BODY_LIMIT

    client.force_login(official)
    big = csv_file([project_row(n, 项目描述="整治" * 600) for n in range(1, 1300)])  # about 3 MB
    assert big.size > settings.BODY_LIMIT_AUTHENTICATED
    with django_capture_on_commit_callbacks(execute=False):  # the check job is not run here
        response = client.post(reverse("imports:upload"), {"kind": "projects", "area": "330523108", "file": big})
    assert response.status_code == 302 and ImportBatch.objects.get().status == "queued"
    too_big = client.post(reverse("imports:upload"), b"x", content_type="multipart/form-data; boundary=x",
                          CONTENT_LENGTH=str(UPLOAD_BODY_LIMIT + 1))
    assert too_big.status_code == 413 and ImportBatch.objects.count() == 1


def test_a_broker_down_leaves_the_import_queued_and_the_sweep_sends_it(official, township, eager_celery, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    from imports import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.check_import, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):  # the page answers; the job is not queued
        batch = services.import_upload(actor=official, kind="projects", region=township, upload=csv_file(_large_rows(1100)))
    assert ImportBatch.objects.get(pk=batch.pk).status == "queued"
    monkeypatch.undo()
    assert services.import_sweep() == 0  # not yet: it may still be on its way
    assert services.import_sweep(now=timezone.now() + dt.timedelta(minutes=6)) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.to_create) == ("checked", 1100)
    assert services.import_sweep(now=timezone.now() + dt.timedelta(hours=2)) == 0  # done: nothing to send


def test_the_sweep_is_on_the_beat_schedule():
    from config.beat import CELERY_BEAT_SCHEDULE
    from imports.tasks import sweep_imports

    entry = CELERY_BEAT_SCHEDULE["imports-sweep"]
    assert entry["task"] == sweep_imports.name == "imports.sweep"
