"""Reports: each kind's content against the database, the run protocol (exactly one completion, no
half-written file), retries, time limits, scheduling, expiry, sweeping, and the request rules."""
import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.models import Sum
from django.utils import timezone
from openpyxl import load_workbook

from core.exceptions import DomainError, InvalidInput, NotPermitted
from core.models import AuditEntry
from funding.models import Allocation, Disbursement
from projects.filters import overdue_q
from projects.models import Project, ProjectStatus
from reports import kinds, services
from reports.kinds import progress, roster
from reports.models import ReportJob, ReportStatus
from tests.clock import at_day
from tests.workbooks import assert_guarded, quoted
from villages.models import Region, Village

D = Decimal


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """Tests run inside a transaction: run the on-commit dispatch as a real commit would."""
    global _commit
    _commit = django_capture_on_commit_callbacks


def _request(world, kind, fmt="", period="", user="county", region="330523", language=""):
    with _commit(execute=True):
        job = services.report_request(actor=world[user], kind=kind, region_code=region, format=fmt, period=period,
                                      language=language)
    job.refresh_from_db()
    return job


def _path(job) -> Path:
    return Path(settings.MEDIA_ROOT) / job.file.name


def _report_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "reports"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sheet_rows(ws, header_row):
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    header, body = rows[0], rows[1:]
    return [dict(zip(header, row)) for row in body]


# --- Content of each kind --------------------------------------------------------------------------

def test_progress_workbook_matches_the_database(county_world):
    job = _request(county_world, "progress")
    assert job.status == ReportStatus.SUCCEEDED, job.error
    assert job.period == county_world["today"].strftime("%Y-%m") and job.progress == 100
    book = load_workbook(_path(job))
    # Summary, one sheet per township, the villages, the overdue list.
    assert book.sheetnames[0] == "概览" and book.sheetnames[-2:] == ["村庄", "逾期项目"]
    assert {"天荒坪镇", "递铺街道"} <= set(book.sheetnames)
    summary = {row[0]: row[1] for row in book["概览"].iter_rows(values_only=True) if row[0]}
    live = Project.objects.filter(village__code__startswith="330523").exclude(status=ProjectStatus.CANCELLED)
    assert summary["项目"] == Project.objects.filter(village__code__startswith="330523").count() == 6
    assert D(str(summary["预算（元）"])) == live.aggregate(t=Sum("budget"))["t"]
    assert summary["村庄"] == Village.objects.filter(code__startswith="330523").count()
    assert len(book["概览"]._charts) == 2
    villages = _sheet_rows(book["村庄"], 1)
    assert [v["村代码"] for v in villages] == list(Village.objects.filter(code__startswith="330523").order_by("code").values_list("code", flat=True))
    yucun = next(v for v in villages if v["村代码"] == "330523108204")
    assert yucun["项目"] == 2 and D(str(yucun["预算（元）"])) == D("1100000.00")
    assert D(str(sum(v["预算（元）"] for v in villages))).quantize(D("0.01")) == live.aggregate(t=Sum("budget"))["t"]
    disbursed = Disbursement.objects.filter(allocation__project__village__code__startswith="330523").aggregate(t=Sum("amount"))["t"]
    assert D(str(round(sum(v["已拨付（元）"] for v in villages), 2))) == disbursed
    assert sum(v["本月进度填报"] for v in villages) == 2
    # Formula injection: the village named =HYPERLINK(...) is text, not a formula, shown as typed behind a quote prefix.
    assert any(v["村庄"] == "=HYPERLINK(\"http://x\")村" for v in villages)
    assert {"=HYPERLINK(\"http://x\")村", "-污水管网工程"} <= quoted(book)
    assert_guarded(book)
    overdue = _sheet_rows(book["逾期项目"], 1)
    expected = Project.objects.filter(overdue_q(county_world["today"]), village__code__startswith="330523")
    assert sorted(r["项目ID"] for r in overdue) == sorted(expected.values_list("pk", flat=True)) and len(overdue) == 2
    assert overdue[0]["逾期天数"] == 20 and overdue[0]["项目名称"] == "-污水管网工程"  # neutralised (quoted above)
    ws = book["村庄"]
    assert ws.freeze_panes == "A2" and ws["M2"].number_format == "#,##0.00" and ws.column_dimensions["A"].width >= 12
    assert ws["L1"].font.b  # bold header


def test_progress_pdf_has_chinese_text_in_an_embedded_cjk_font(county_world):
    job = _request(county_world, "progress", "pdf")
    assert job.status == ReportStatus.SUCCEEDED, job.error
    data = _path(job).read_bytes()
    assert data.startswith(b"%PDF-")
    from tests.reports.pdftext import pdf_fonts, pdf_text

    text, fonts = pdf_text(_path(job)), pdf_fonts(_path(job))
    assert "安吉县" in text and "逾期项目" in text and "预算（元）" in text
    assert "NotoSansCJK" in fonts.replace("-", "").replace(" ", "")


def test_funding_workbook_matches_the_ledger(county_world):
    job = _request(county_world, "funding")
    assert job.status == ReportStatus.SUCCEEDED, job.error
    book = load_workbook(_path(job))
    by_kind = {row["类型"]: row for row in _sheet_rows(book["按资金类型"], 3)}
    allocations = Allocation.objects.filter(project__village__code__startswith="330523")
    assert D(str(by_kind["合计"]["已分配（元）"])).quantize(D("0.01")) == allocations.aggregate(t=Sum("amount"))["t"] == D("950000.25")
    assert D(str(by_kind["县级财政预算"]["已拨付（元）"])) == D("200000.00")
    assert len(book["按资金类型"]._charts) == 1
    sources = _sheet_rows(book["资金来源"], 1)
    assert {s["名称"] for s in sources} == {"县级财政", "@省级专项"} and "@省级专项" in quoted(book)
    assert_guarded(book)
    # A fiscal year narrows to that year's sources.
    year = _request(county_world, "funding", period=str(county_world["today"].year))
    rows = {r["类型"]: r for r in _sheet_rows(load_workbook(_path(year))["按资金类型"], 3)}
    assert D(str(rows["合计"]["已分配（元）"])) == D("700000.00")


def test_ranking_workbook_ranks_like_the_database(county_world):
    job = _request(county_world, "ranking")
    assert job.status == ReportStatus.SUCCEEDED and job.period == "2025", job.error
    book = load_workbook(_path(job))
    ranking = _sheet_rows(book["排名"], 1)
    assert [(r["村代码"], r["县内排名"]) for r in ranking] == [
        ("330523108204", 1), ("330523108205", 2), ("330523108206", 2), ("330523001211", 4), ("330523001212", 5),
    ]  # ties share a rank, the next rank skips
    assert ranking[-1]["末位"] == "是" and not ranking[0]["末位"]
    follow_ups = _sheet_rows(book["末位跟进"], 1)
    assert len(follow_ups) == 1 and follow_ups[0]["已逾期"] == "是"
    summary = _sheet_rows(book["按县汇总"], 3)
    assert summary[0]["参与排名村数"] == 5 and summary[0]["平均分"] == pytest.approx(71.6)


def test_roster_csv_lists_every_village_once_with_its_latest_assessment(county_world):
    job = _request(county_world, "roster")
    assert job.format == "csv" and job.status == ReportStatus.SUCCEEDED, job.error
    raw = _path(job).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["村代码"] for r in rows] == list(Village.objects.filter(code__startswith="330523").order_by("code").values_list("code", flat=True))
    yucun = next(r for r in rows if r["村代码"] == "330523108204")
    assert yucun["最近考核"] == "2025" and yucun["总分"] == "91.50" and yucun["项目"] == "2"
    assert next(r for r in rows if r["村代码"] == "330523001212")["待办跟进"] == "1"
    assert all(not r["村庄"].startswith(("=", "+", "-", "@")) for r in rows)
    assert job.rows == len(rows)


@pytest.fixture
def mid_june(monkeypatch):
    """The clock in mid-June, before the county is built: its dates of this year are all in the past."""
    at_day(monkeypatch, datetime.date(2026, 6, 15))


def test_maintenance_workbook_matches_the_database(mid_june, county_world):
    """The 长效管护 report: figures per township, every asset with its keeper and last inspection, what is overdue."""
    today = county_world["today"]
    job = _request(county_world, "maintenance")
    assert job.status == ReportStatus.SUCCEEDED, job.error
    assert job.period == str(today.year)
    book = load_workbook(_path(job))
    assert book.sheetnames == ["按区域", "设施", "逾期巡查", "逾期维修"]
    areas = {row["代码"]: row for row in _sheet_rows(book["按区域"], 3)}
    thp, dipu = areas["330523108"], areas["330523001"]
    assert thp["在用设施"] == 1 and thp["污水处理站"] == 1 and dipu["道路"] == 1
    # 余村's station: due on 1 Jan (on time) and a month later (late); the third due is overdue now.
    assert (thp["应巡查"], thp["按时完成"], thp["逾期巡查（当前）"]) == (3, 1, 1)
    assert thp["按时率（%）"] == pytest.approx(33.3)
    assert (dipu["应巡查"], dipu["按时完成"], dipu["按时率（%）"]) == (1, 1, 100)
    assert areas["330523"]["在用设施"] == 2  # the total row
    assets = {row["设施名称"]: row for row in _sheet_rows(book["设施"], 1)}
    station = assets["余村污水处理终端"]
    assert station["管护人员"] == "王管护" and station["未修复故障"] == 1 and station["逾期维修"] == 1
    assert station["最近巡查"].date() == datetime.date(today.year, 2, 3)
    assert assets["=鲁家村道路"]["设施类型"] == "道路" and "=鲁家村道路" in quoted(book)  # a formula-like name is text
    overdue = _sheet_rows(book["逾期维修"], 1)
    assert [(row["设施名称"], row["逾期天数"]) for row in overdue] == [("余村污水处理终端", 4)]
    assert [row["逾期天数"] for row in _sheet_rows(book["逾期巡查"], 1)] == [5]


def test_english_requester_gets_english_labels(county_world):
    job = _request(county_world, "roster", "xlsx", language="en")
    assert load_workbook(_path(job)).sheetnames == ["Villages"]


# --- Requests -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, fmt, region, period, field", [
    ("census", "", "330523", "", "kind"),
    ("roster", "pdf", "330523", "", "format"),
    ("progress", "xlsx", "330522", "", "region"),  # another county
    ("progress", "xlsx", "999999", "", "region"),
    ("progress", "xlsx", "330523", "2025-13", "period"),
    ("progress", "xlsx", "330523", "2099-01", "period"),
    ("funding", "xlsx", "330523", "25", "period"),
    ("roster", "csv", "330523", "2025", "period"),
])
def test_bad_requests_name_the_field_and_write_nothing(county_world, kind, fmt, region, period, field):
    before = (ReportJob.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as error:
        services.report_request(actor=county_world["county"], kind=kind, region_code=region, format=fmt, period=period)
    assert field in error.value.field_errors
    assert (ReportJob.objects.count(), AuditEntry.objects.count()) == before


def test_ranking_defaults_to_the_latest_round_and_is_refused_without_one(county_world, monkeypatch):
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: True)
    job = services.report_request(actor=county_world["supervisor"], kind="ranking", region_code="3305")
    assert job.period == "2025"  # 湖州市 has 安吉县's 2025 round below it
    with pytest.raises(InvalidInput) as error:
        services.report_request(actor=county_world["other_county"], kind="ranking", region_code="330522")
    assert "period" in error.value.field_errors


def test_township_officials_cannot_request_reports(county_world):
    with pytest.raises(NotPermitted):
        services.report_request(actor=county_world["official"], kind="progress", region_code="330523108")
    assert not ReportJob.objects.exists()


def test_too_many_active_reports_are_refused(county_world, settings, monkeypatch):
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: False)  # nothing runs: the jobs stay queued
    settings.REPORTS_MAX_ACTIVE_PER_USER = 2
    for _ in range(2):
        services.report_request(actor=county_world["county"], kind="roster", region_code="330523")
    with pytest.raises(DomainError) as error:
        services.report_request(actor=county_world["county"], kind="roster", region_code="330523")
    assert error.value.code == "too_many_reports" and ReportJob.objects.count() == 2


def test_request_writes_an_audit_row_and_completion_another(county_world):
    job = _request(county_world, "roster")
    entries = list(AuditEntry.objects.filter(object_id=str(job.pk), content_type__model="reportjob").order_by("id"))
    assert [e.action for e in entries] == ["create", "transition"]
    assert entries[0].actor == county_world["county"] and entries[1].changes["status"] == ["running", "succeeded"]


# --- The run protocol -------------------------------------------------------------------------------

def _queued(world, monkeypatch, kind="roster"):
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: True)
    return services.report_request(actor=world["county"], kind=kind, region_code="330523")


def test_a_redelivered_task_does_not_produce_a_second_file(county_world, monkeypatch):
    job = _queued(county_world, monkeypatch)
    first = services.report_run(job_id=job.pk, task_id="t-1")
    name, finished = first.file.name, first.finished_at
    again = services.report_run(job_id=job.pk, task_id="t-1")
    again_other = services.report_run(job_id=job.pk, task_id="t-2")
    assert again.finished_at == finished == again_other.finished_at and again.file.name == name
    assert again.attempts == 1 and len(_report_files()) == 1
    assert AuditEntry.objects.filter(object_id=str(job.pk), action="transition").count() == 1


def test_a_run_that_lost_the_job_discards_its_file(county_world, monkeypatch, settings):
    """Run A is taken over by run B (A's heartbeat went stale); A finishing afterwards changes nothing."""
    job = _queued(county_world, monkeypatch)
    job_a, token_a = services._claim(job.pk, "task-a")
    ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(seconds=settings.REPORTS_STALE_SECONDS + 1))
    job_b, token_b = services._claim(job.pk, "task-b")
    assert token_a != token_b
    temp_a = Path(settings.MEDIA_ROOT) / services.temp_name(job_a, token_a)
    temp_a.parent.mkdir(parents=True, exist_ok=True)
    roster.build_csv(job_a, temp_a, lambda n: None)
    with pytest.raises(services.Superseded):
        services._finish(job_a, token_a, temp_a, 5)
    assert ReportJob.objects.get(pk=job.pk).status == ReportStatus.RUNNING and not _report_files()[:-1]
    with pytest.raises(services.Superseded):
        services._checkpoint(job.pk, token_a, 50)  # A's progress is no longer written either
    temp_a.unlink()
    temp_b = Path(settings.MEDIA_ROOT) / services.temp_name(job_b, token_b)
    rows = roster.build_csv(job_b, temp_b, lambda n: None)
    done = services._finish(job_b, token_b, temp_b, rows)
    assert done.status == ReportStatus.SUCCEEDED and done.attempts == 2
    assert [p.name for p in _report_files()] == [Path(done.file.name).name]


def test_a_fresh_run_of_another_task_is_left_alone_but_its_own_redelivery_takes_over(county_world, monkeypatch):
    job = _queued(county_world, monkeypatch)
    assert services._claim(job.pk, "task-a") is not None
    assert services._claim(job.pk, "task-b") is None  # task-a is alive (fresh heartbeat)
    again = services._claim(job.pk, "task-a")  # the same task redelivered: its worker died
    assert again is not None and ReportJob.objects.get(pk=job.pk).attempts == 2


def test_transient_errors_release_the_job_for_a_retry_then_fail_on_the_last_attempt(county_world, monkeypatch):
    job = _queued(county_world, monkeypatch)
    calls = {"n": 0}
    real = kinds.BUILDERS[("roster", "csv")]

    def flaky(job, path, tick):
        calls["n"] += 1
        Path(path).write_text("half")
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(kinds.BUILDERS, ("roster", "csv"), (real[0], flaky))
    monkeypatch.setattr(services, "BUILDERS", kinds.BUILDERS)
    with pytest.raises(OperationalError):
        services.report_run(job_id=job.pk, task_id="t", can_retry=True)
    held = ReportJob.objects.get(pk=job.pk)
    assert held.status == ReportStatus.RUNNING and held.run_token == "" and not _report_files()
    failed = services.report_run(job_id=job.pk, task_id="t", can_retry=False)
    assert failed.status == ReportStatus.FAILED and "server closed the connection" in failed.error
    assert calls["n"] == 2 and not _report_files()  # no half-written file anywhere


def test_a_crashing_builder_fails_the_job_with_its_error_and_leaves_no_file(county_world, monkeypatch):
    job = _queued(county_world, monkeypatch)

    def broken(job, path, tick):
        Path(path).write_text("partial")
        raise ValueError("division by zero in the summary")

    monkeypatch.setitem(kinds.BUILDERS, ("roster", "csv"), (lambda job: kinds.Plan(rows=1), broken))
    monkeypatch.setattr(services, "BUILDERS", kinds.BUILDERS)
    done = services.report_run(job_id=job.pk, task_id="t")
    assert done.status == ReportStatus.FAILED and "division by zero" in done.error and not _report_files()


def test_a_sheet_beyond_the_row_limit_fails_the_job_clearly(county_world, monkeypatch):
    """A workbook sheet holds 1,048,576 rows: a report that would write more fails with that said, and no file."""
    from core import workbook

    monkeypatch.setattr(workbook, "MAX_ROWS", 4)  # a header and 3 of the county's 5 villages
    job = _queued(county_world, monkeypatch, kind="roster")
    ReportJob.objects.filter(pk=job.pk).update(format="xlsx")
    done = services.report_run(job_id=job.pk, task_id="t")
    assert done.status == ReportStatus.FAILED and "村庄" in done.error and "4 行" in done.error, done.error
    assert not _report_files()


def test_the_soft_time_limit_fails_the_job_clearly(county_world, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    job = _queued(county_world, monkeypatch)

    def slow(job, path, tick):
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(kinds.BUILDERS, ("roster", "csv"), (lambda job: kinds.Plan(rows=1), slow))
    monkeypatch.setattr(services, "BUILDERS", kinds.BUILDERS)
    done = services.report_run(job_id=job.pk, task_id="t")
    assert done.status == ReportStatus.FAILED and str(settings.REPORTS_SOFT_TIME_LIMIT) in done.error


def test_progress_and_heartbeat_move_while_it_runs(county_world, monkeypatch):
    job = _queued(county_world, monkeypatch, kind="progress")
    seen = []
    real = services._checkpoint

    def spy(job_id, token, progress):
        real(job_id, token, progress)
        seen.append(ReportJob.objects.values_list("progress", "status").get(pk=job_id))

    monkeypatch.setattr(services, "_checkpoint", spy)
    services.report_run(job_id=job.pk, task_id="t")
    assert seen[0] == (0, "running") and len(seen) >= 3
    assert [p for p, _s in seen] == sorted(p for p, _s in seen) and max(p for p, _s in seen) < 100


def test_the_task_is_configured_for_redelivery():
    from reports.tasks import generate

    assert generate.acks_late and generate.reject_on_worker_lost
    assert generate.soft_time_limit == settings.REPORTS_SOFT_TIME_LIMIT and generate.max_retries >= 3
    assert OperationalError in generate.autoretry_for and generate.retry_backoff


# --- Schedule, sweep, expiry --------------------------------------------------------------------------

def test_monthly_schedule_creates_one_job_per_county_once(county_world, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: sent.append(job_id) or True)
    counties = Region.objects.filter(level="county").count()
    with _commit(execute=True):
        first = services.report_schedule_monthly(today=datetime.date(2026, 7, 1))
    with _commit(execute=True):
        again = services.report_schedule_monthly(today=datetime.date(2026, 7, 15))
    assert len(first) == counties >= 2 and again == []
    assert sorted(sent) == sorted(first)
    assert set(ReportJob.objects.values_list("period", "scheduled", "kind")) == {("2026-06", True, "progress")}


def test_beat_schedule_declares_the_report_tasks():
    from config.beat import CELERY_BEAT_SCHEDULE
    from config.celery import app

    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()}
    assert {"reports.schedule_monthly", "reports.sweep", "reports.expire"} <= tasks <= set(app.tasks)


def test_sweep_sends_lost_jobs_and_leaves_live_ones(county_world, monkeypatch, settings):
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: True)
    now = timezone.now()
    never_sent = services.report_request(actor=county_world["county"], kind="roster", region_code="330523")
    just_sent = services.report_request(actor=county_world["county"], kind="roster", region_code="330523")
    dead = services.report_request(actor=county_world["county"], kind="funding", region_code="330523")
    alive = services.report_request(actor=county_world["county"], kind="funding", region_code="330523")
    ReportJob.objects.filter(pk=never_sent.pk).update(created_at=now - datetime.timedelta(minutes=2))
    ReportJob.objects.filter(pk=just_sent.pk).update(dispatched_at=now)
    stale = now - datetime.timedelta(seconds=settings.REPORTS_STALE_SECONDS + 5)
    ReportJob.objects.filter(pk=dead.pk).update(status="running", started_at=stale, heartbeat_at=stale, run_token="x")
    ReportJob.objects.filter(pk=alive.pk).update(status="running", started_at=now, heartbeat_at=now, run_token="y")
    assert services.report_sweep(now=now) == [never_sent.pk, dead.pk]


def test_expiry_deletes_old_files_and_keeps_the_row(county_world, client, settings):
    old, recent = _request(county_world, "roster"), _request(county_world, "roster", "xlsx")
    ReportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=settings.REPORTS_RETENTION_DAYS + 1))
    leftover = Path(settings.MEDIA_ROOT) / "reports/tmp/999-dead.part"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_text("a killed run's file")
    import os

    os.utime(leftover, (0, 0))
    assert services.report_expire() == 1
    old.refresh_from_db()
    assert old.file.name == "" and old.expired_at and old.status == ReportStatus.SUCCEEDED and not leftover.exists()
    assert [p.name for p in _report_files()] == [Path(recent.file.name).name]
    client.force_login(county_world["county"])
    assert client.get(f"/reports/{old.pk}/download/").status_code == 404
    assert client.get(f"/reports/{recent.pk}/download/").status_code == 200


def test_roster_csv_on_postgresql_is_the_one_writer_s_bytes(county_world, postgres, tmp_path):
    """One path on every database (the csv module over one statement): on PostgreSQL the job's file and a second
    run give the same bytes, text neutralised, villages in code order."""
    job = _request(county_world, "roster")
    written = _path(job).read_bytes()
    rows = roster.build_csv(job, tmp_path / "again.csv", lambda n: None)
    assert rows == 5 and (tmp_path / "again.csv").read_bytes() == written
    assert b"'=HYPERLINK" in written and b"'+\xe5\x8a\x9d" in written  # =HYPERLINK... and +劝学村 neutralised
    lines = written.decode("utf-8-sig").splitlines()
    assert [line[:12] for line in lines[1:]] == ["330523001211", "330523001212", "330523108204", "330523108205",
                                                 "330523108206"]


def test_progress_workbook_costs_the_same_queries_however_many_areas(county_world, monkeypatch, tmp_path):
    """One sheet per township, but no query per township: the areas below are read in one pass."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard.stats import rebuild
    from tests.factories import VillageFactory

    job = _queued(county_world, monkeypatch, kind="progress")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            progress.build_xlsx(job, tmp_path / "p.xlsx", lambda n: None)
        return len(captured)

    before = queries()
    for township in ("330523101", "330523102", "330523103"):
        VillageFactory(township_code=township, code=f"{township}201")
    rebuild("")
    assert len(load_workbook(tmp_path / "p.xlsx").sheetnames) == 5  # before: summary, 2 townships, villages, overdue
    assert queries() == before
    assert len(load_workbook(tmp_path / "p.xlsx").sheetnames) == 8


@pytest.mark.django_db(transaction=True)
def test_the_active_report_limit_holds_under_concurrent_requests(postgres, settings, monkeypatch):
    """60 requests of one user at the same moment: exactly REPORTS_MAX_ACTIVE_PER_USER jobs are queued
    (the check and the insert are one atomic step), the rest are refused with too_many_reports."""
    import threading

    from django.db import connections

    from core.models import Role
    from tests.factories import region, user_with

    monkeypatch.setattr(services, "report_dispatch", lambda job_id: False)  # nothing runs: the jobs stay queued
    settings.REPORTS_MAX_ACTIVE_PER_USER = 5
    county = user_with("anji-report-race", (Role.COUNTY_STAFF, "330523"))
    region("330523")
    barrier = threading.Barrier(60)
    outcomes, lock = [], threading.Lock()

    def request():
        try:
            barrier.wait(timeout=30)
            services.report_request(actor=county, kind="roster", region_code="330523")
            outcome = "ok"
        except DomainError as error:
            outcome = error.code
        except Exception as error:  # noqa: BLE001 - reported below
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=request) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 60, outcomes
    assert outcomes.count("ok") == 5 and outcomes.count("too_many_reports") == 55, sorted(set(outcomes))
    assert ReportJob.objects.filter(requester=county).count() == 5


@pytest.mark.django_db(transaction=True)
def test_the_roster_is_one_snapshot(county_world, postgres, monkeypatch, tmp_path):
    """The roster's rows are one statement: a village renamed and committed by another session while the file is
    being written is not in it (the statement's snapshot); the next roster has the new name."""
    from django.db import connections

    from reports.kinds import roster as roster_kind

    job = ReportJob(kind="roster", format="csv", region_id="3305", language="zh-hans")
    roster.build_csv(job, tmp_path / "before.csv", lambda n: None)
    before = (tmp_path / "before.csv").read_bytes()
    original, renamed, calls = roster_kind.safe_row, [], []

    def rename_then_write(row):
        calls.append(row)
        if len(calls) == 2:  # the header, then the first village: the statement has run; another session commits
            other = connections.create_connection("default")
            with other.cursor() as cursor:
                cursor.execute("UPDATE villages_village SET short_name = %s WHERE code = %s", ["改名村", "330523108206"])
            other.close()
            renamed.append(True)
        return original(row)

    monkeypatch.setattr(roster_kind, "safe_row", rename_then_write)
    assert roster.build_csv(job, tmp_path / "during.csv", lambda n: None) == 5
    during = (tmp_path / "during.csv").read_bytes()
    assert renamed and during == before and "改名村".encode() not in during
    monkeypatch.setattr(roster_kind, "safe_row", original)
    roster.build_csv(job, tmp_path / "after.csv", lambda n: None)
    assert "改名村".encode() in (tmp_path / "after.csv").read_bytes()


def test_the_whole_nations_roster_is_a_superusers_and_a_roster_only(county_world):
    """region=nation: every village of every province, for a whole-country scope (superusers; no role is held above a
    province); any other kind, or any other user, is refused on the region field and nothing is queued; the database
    refuses a national job of another kind."""
    from django.db import IntegrityError, transaction

    from reports.models import NATION, ReportJob
    from tests.factories import VillageFactory, user_with

    VillageFactory(code="320481101201", township_code="320481101")  # 江苏省 too
    root = user_with("root")
    root.is_superuser = True
    root.save()
    county_world["root"] = root
    job = _request(county_world, "roster", user="root", region=NATION)
    assert job.region_id is None and job.status == ReportStatus.SUCCEEDED, job.error
    rows = list(csv.DictReader(io.StringIO(_path(job).read_bytes().decode("utf-8-sig"))))
    assert [r["村代码"] for r in rows] == list(Village.objects.order_by("code").values_list("code", flat=True))
    assert {r["村代码"][:2] for r in rows} == {"32", "33"} and job.rows == len(rows)
    assert job.area_name == "全国" and "nation" in job.file.name
    before = ReportJob.objects.count()
    for user, kind in (("root", "progress"), ("root", "funding"), ("county", "roster")):
        with pytest.raises(InvalidInput) as refused:
            services.report_request(actor=county_world[user], kind=kind, region_code=NATION)
        assert "region" in refused.value.field_errors, (user, kind)
    assert ReportJob.objects.count() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportJob.objects.create(kind="funding", format="xlsx", region=None, requester=root)
