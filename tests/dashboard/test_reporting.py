"""Reporting discipline (按时上报率, issue 21 item 3): which projects are expected to report in a month, which did,
which did on time; the figures per township and county in the summary rows and on the dashboard."""
import datetime
import zoneinfo
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Role
from dashboard import selectors, stats
from dashboard.models import TownshipMonth
from projects.models import ProgressReport, ProjectStatus, ProjectTransition
from tests.factories import ProgressReportFactory, ProjectFactory, VillageFactory, user_with
from villages.models import Region

S = ProjectStatus
LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date.today()
D = datetime.timedelta


def _last_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - D(days=1)).replace(day=1)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)


def _report(project, day: datetime.date, entered: datetime.datetime):
    report = ProgressReportFactory(project=project, report_date=day, percent_complete=50)
    ProgressReport.objects.filter(pk=report.pk).update(created_at=entered)
    return report


def _project(village, status, start=None, end=None, **kw):
    extra = {"actual_start": start, "actual_end": end, **kw}
    if status == S.ACCEPTED:
        extra.update(maintenance_body="village_collective", maintenance_owner="村委会", accepted_on=end)
    return ProjectFactory(village=village, status=status, planned_start=datetime.date(2020, 1, 1),
                          planned_end=datetime.date(2030, 1, 1), plan_citation=None, **extra)


def scenario(month: datetime.date) -> dict:
    """Projects around ``month`` in 递铺街道 and 天荒坪镇 (安吉县), each a case of the rule. Returns them by name."""
    last = stats.month_after(month) - D(days=1)
    deadline = stats.reporting_deadline(month)
    assert deadline == last + D(days=stats.REPORTING_GRACE_DAYS)
    a = VillageFactory(township_code="330523108", code="330523108201")
    b = VillageFactory(township_code="330523001", code="330523001201")
    VillageFactory(township_code="330522001", code="330522001201")  # another county: nothing expected
    p = {}
    # Opened mid-month: expected; reported in the month, entered that day (and a second report entered late:
    # the first one counts).
    p["mid_month"] = _project(a, S.UNDER_CONSTRUCTION, month + D(days=14))
    _report(p["mid_month"], month + D(days=19), _at(month + D(days=19), 10))
    _report(p["mid_month"], month + D(days=24), _at(deadline + D(days=15), 9))
    # Cancelled before the month (started before): not expected; its report of the month before does not count.
    p["cancelled_before"] = _project(a, S.CANCELLED, month - D(days=60))
    ProjectTransition.objects.create(project=p["cancelled_before"], from_status=S.UNDER_CONSTRUCTION, to_status=S.CANCELLED,
                                     at=_at(month - D(days=20), 11), reason="撤销")
    _report(p["cancelled_before"], month - D(days=25), _at(month - D(days=25), 9))
    # Accepted before the month: not expected.
    p["accepted_before"] = _project(a, S.ACCEPTED, month - D(days=200), month - D(days=9))
    # Reported in the month but entered after the deadline (local date: 01:00 in Beijing is the day before in UTC).
    p["late"] = _project(a, S.UNDER_CONSTRUCTION, month - D(days=90))
    _report(p["late"], last, _at(deadline + D(days=1), 1))
    # Entered on the deadline, late in the evening: on time.
    p["on_deadline"] = _project(a, S.UNDER_CONSTRUCTION, month - D(days=30))
    _report(p["on_deadline"], month + D(days=9), _at(deadline, 23, 30))
    # Its only report dated in another month (the next): expected, not reported.
    p["other_month"] = _project(a, S.UNDER_CONSTRUCTION, month - D(days=30))
    _report(p["other_month"], stats.month_after(month), _at(stats.month_after(month), 9))
    # A draft: not expected.
    p["draft"] = _project(a, S.DRAFT)
    # Suspended since before the month: still expected (documented), not reported.
    p["suspended"] = _project(a, S.SUSPENDED, month - D(days=40))
    # Cancelled during the month: expected (it was open during part of it), not reported.
    p["cancelled_during"] = _project(a, S.CANCELLED, month - D(days=50))
    ProjectTransition.objects.create(project=p["cancelled_during"], from_status=S.UNDER_CONSTRUCTION, to_status=S.CANCELLED,
                                     at=_at(month + D(days=9), 11), reason="撤销")
    # Completed early in the month: expected; reported on time.
    p["completed_during"] = _project(a, S.COMPLETED, month - D(days=100), month + D(days=4))
    _report(p["completed_during"], month + D(days=3), _at(month + D(days=3), 16))
    # Approved, not started: not expected.
    p["approved"] = _project(a, S.APPROVED)
    # 递铺街道: one project opened on the first, reported on time.
    p["b"] = _project(b, S.UNDER_CONSTRUCTION, month)
    _report(p["b"], last, _at(last, 18))
    return p


def _figures(township: str, month: datetime.date) -> tuple:
    row = TownshipMonth.objects.filter(township_id=township, month=month).first()
    return (row.expected, row.reported, row.on_time, row.reports) if row else None


def test_the_rule_per_township_and_month(db):
    month = _last_month(TODAY)
    p = scenario(month)
    stats.rebuild("")
    expected = stats.expected_months("330523", TODAY)
    open_in_month = {name for name, project in p.items() if project.pk in expected and expected[project.pk][1] <= month <= expected[project.pk][2]}
    assert open_in_month == {"mid_month", "late", "on_deadline", "other_month", "suspended", "cancelled_during",
                             "completed_during", "b"}
    # 天荒坪镇: 7 expected; reported: mid_month, late, on_deadline, completed_during; on time: all but late.
    # Reports dated in the month: 2 + 1 + 1 + 1.
    assert _figures("330523108", month) == (7, 4, 3, 5)
    assert _figures("330523001", month) == (1, 1, 1, 1)
    # The month before: the projects open then (not mid_month, opened later; cancelled_before, cancelled then, and
    # reported; accepted_before, finished then).
    before = _last_month(month)
    assert _figures("330523108", before)[:2] == (8, 1)
    assert _figures("330522001", month) is None  # nothing expected, nothing reported: no row
    # An open project stays expected up to today's month, and not after.
    assert expected[p["b"].pk][1:] == (month, TODAY.replace(day=1))
    assert expected[p["completed_during"].pk][2] == month and expected[p["mid_month"].pk][1] == month


def test_a_report_entered_late_counts_as_reported_not_on_time(db):
    month = datetime.date(2024, 3, 1)
    village = VillageFactory(township_code="330523108", code="330523108201")
    project = _project(village, S.UNDER_CONSTRUCTION, datetime.date(2024, 1, 1))
    report = _report(project, datetime.date(2024, 3, 31), _at(datetime.date(2024, 4, 5), 23, 59))
    stats.rebuild("")
    assert _figures("330523108", month) == (1, 1, 1, 1)
    ProgressReport.objects.filter(pk=report.pk).update(created_at=_at(datetime.date(2024, 4, 6), 0, 1))
    stats.rebuild("")
    assert _figures("330523108", month) == (1, 1, 0, 1)
    assert stats.reporting_rate(1, 1) == Decimal("100.0") and stats.reporting_rate(0, 0) is None
    assert stats.reporting_rate(2, 3) == Decimal("66.7")


def test_the_dashboard_shows_last_months_rates_per_region_and_area(client, db):
    month = _last_month(TODAY)
    scenario(month)
    stats.rebuild("")
    root = user_with("root")
    root.is_superuser = True
    root.save()
    county = selectors.dashboard(user=root, region=Region.objects.get(code="330523"), today=TODAY)
    assert county.reporting_month == month
    r = county.totals.reporting
    assert (r.expected, r.reported, r.on_time) == (8, 5, 4)
    assert (r.rate, r.on_time_rate) == (Decimal("62.5"), Decimal("50.0"))
    areas = {c.code: c.reporting for c in county.children}
    assert (areas["330523108"].on_time_rate, areas["330523108"].rate) == (Decimal("42.9"), Decimal("57.1"))
    assert areas["330523001"].on_time_rate == Decimal("100.0")
    township = selectors.dashboard(user=root, region=Region.objects.get(code="330523108"), today=TODAY)
    assert township.totals.reporting.on_time_rate == Decimal("42.9")
    assert all(c.reporting is None for c in township.children)  # villages: no per-village figure
    other = selectors.dashboard(user=root, region=Region.objects.get(code="330522"), today=TODAY)
    assert other.totals.reporting.on_time_rate is None
    province = selectors.dashboard(user=root, region=Region.objects.get(code="33"), today=TODAY)
    assert {c.code: c.reporting.on_time for c in province.children} == {"3305": 4}
    # A month later, the same rows are the month before last: other figures.
    later = selectors.dashboard(user=root, region=Region.objects.get(code="330523"), today=stats.month_after(TODAY.replace(day=1)))
    assert later.totals.reporting.expected == 6  # this month's: the projects still open

    client.force_login(user_with("anji", (Role.COUNTY_STAFF, "330523")))
    page = client.get(reverse("dashboard:region", args=["330523"])).content.decode()
    assert "50.0%" in page and "62.5%" in page and f"{month:%Y-%m}" in page
    # The areas' rates, in the last column.
    assert 'data-value="42.9">42.9%</td></tr>' in page and 'data-value="100.0">100.0%</td></tr>' in page
    client.force_login(user_with("hz", (Role.SUPERVISOR, "3305")))
    page = client.get(reverse("dashboard:region", args=["330522"])).content.decode()
    assert 'data-value="-1">—</td></tr>' in page  # 330522001: nothing expected
    assert page.count("<th") == client.get(reverse("dashboard:region", args=["330522001"])).content.decode().count("<th") + 1


def test_the_figures_cost_no_query_more(client, db):
    """The rates come with the trend's query: the same queries at every scope, with the rows or without."""
    root = user_with("root")
    root.is_superuser = True
    root.save()
    client.force_login(root)
    scopes = ["33", "3305", "330523", "330523108"]

    def counts():
        result = []
        for code in scopes:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("dashboard:region", args=[code])).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    scenario(_last_month(TODAY))
    stats.rebuild("")
    TownshipMonth.objects.all().delete()
    without = counts()
    stats.rebuild("")
    assert TownshipMonth.objects.filter(expected__gt=0).count() > 10
    assert counts() == without and len(set(without)) == 1
