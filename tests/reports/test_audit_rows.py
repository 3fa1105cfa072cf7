"""The audit rows of the reports app's services (tests/audit_rows.py)."""
import datetime

import pytest
from django.utils.translation import gettext

from core.models import AuditAction, Role
from reports import services
from reports.models import ReportJob
from tests.audit_rows import ABSENT, Row, run_case
from tests.factories import VillageFactory, region, user_with

A = AuditAction


@pytest.fixture
def county(db):
    VillageFactory(code="330523108204", name="余村村委会")
    region("330522")
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def queued(county, monkeypatch):
    """A roster job of 安吉县, queued (its task is not sent)."""
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: True)
    return services.report_request(actor=county, kind="roster", region_code="330523", format="csv")


def report_request(county, monkeypatch):
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: True)
    job = services.report_request(actor=county, kind="roster", region_code="330523", format="csv", language="zh-hans")
    return [Row(county, A.CREATE, job, created=True, fields={
        "kind": [None, "roster"], "format": [None, "csv"], "region": [None, "330523"], "requester": [None, county.pk],
        "status": [None, "queued"], "language": [None, "zh-hans"], "scheduled": [None, False],
    })]


def report_run(queued, start, monkeypatch):
    start()
    done = services.report_run(job_id=queued.pk, task_id="t-1")
    assert done.status == "succeeded"
    services.report_run(job_id=queued.pk, task_id="t-2")  # a redelivery: nothing to do, no row
    # A run that fails: its row says so, with the error as the note.
    failing = services.report_request(actor=queued.requester, kind="roster", region_code="330523", format="csv")
    plan, _build = services.BUILDERS[("roster", "csv")]

    def broken(job, temp, tick):
        raise ValueError("磁盘已满")

    monkeypatch.setitem(services.BUILDERS, ("roster", "csv"), (plan, broken))
    failed = services.report_run(job_id=failing.pk, task_id="t-3")
    assert failed.status == "failed"
    return [
        Row(None, A.TRANSITION, done, changes={"status": ["running", "succeeded"]},
            note=f"{done.rows} rows, {done.size} bytes, attempt 1"),
        Row(queued.requester, A.CREATE, failing, created=True),
        Row(None, A.TRANSITION, failing, changes={"status": ["running", "failed"]}, note=failed.error[:500]),
    ]


def report_schedule_monthly(county, monkeypatch):
    monkeypatch.setattr(services, "report_dispatch", lambda job_id: True)
    ids = services.report_schedule_monthly(today=datetime.date(2026, 7, 1))
    assert services.report_schedule_monthly(today=datetime.date(2026, 7, 15)) == []  # scheduled already: no rows
    jobs = list(ReportJob.objects.filter(pk__in=ids).order_by("pk"))
    assert [job.region_id for job in jobs] == ["330522", "330523"]
    return [Row(None, A.CREATE, job, created=True, note=gettext("monthly schedule"), fields={
        "kind": [None, "progress"], "region": [None, job.region_id], "period": [None, "2026-06"], "scheduled": [None, True],
        "requester": ABSENT,
    }) for job in jobs]


CASES = {f.__name__: f for f in (report_request, report_run, report_schedule_monthly)}
NO_AUDIT_ROW = {
    "report_dispatch": "marks when a job's task was put on the broker (dispatched_at): queue bookkeeping, no actor; "
                       "the job's own rows record its creation and its outcome",
    "report_sweep": "sends lost jobs' tasks again through report_dispatch: queue bookkeeping, no actor",
    "report_expire": "deletes report files past REPORTS_RETENTION_DAYS and marks their jobs expired (expired_at): "
                     "retention housekeeping of the beat schedule, no actor; expired_at is the record",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)
