"""A small county for report tests: two townships, villages with projects in every state (some overdue),
money from several kinds of source, and a finalised annual round with a bottom group."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment.models import Assessment, FollowUp
from core.models import Role
from dashboard.stats import rebuild
from funding.models import SourceKind
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    AssessmentSchemeFactory,
    AssetFactory,
    DisbursementFactory,
    DoneInspectionFactory,
    FaultFactory,
    FundingSourceFactory,
    InspectionFactory,
    KeeperAssignmentFactory,
    KeeperFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    region,
    user_with,
)

D = Decimal
S = ProjectStatus


@pytest.fixture
def county_world(db, eager_celery):
    today = timezone.localdate()
    villages = [
        VillageFactory(code="330523108204", name="余村村委会", township_code="330523108"),
        VillageFactory(code="330523108205", name="=HYPERLINK(\"http://x\")村委会", township_code="330523108"),
        VillageFactory(code="330523108206", name="大溪村村委会", township_code="330523108"),
        VillageFactory(code="330523001211", name="鲁家村村委会", township_code="330523001"),
        VillageFactory(code="330523001212", name="+劝学村村委会", township_code="330523001"),
    ]
    region("330522001")
    long_ago = today - datetime.timedelta(days=400)
    past = dict(planned_start=long_ago, planned_end=today - datetime.timedelta(days=20))
    future = dict(planned_start=long_ago, planned_end=today + datetime.timedelta(days=200))
    projects = [
        ProjectFactory(village=villages[0], status=S.UNDER_CONSTRUCTION, actual_start=long_ago, percent_complete=40,
                       budget=D("800000.00"), name="-污水管网工程", **past),  # overdue
        ProjectFactory(village=villages[0], status=S.ACCEPTED, actual_start=long_ago, actual_end=today, percent_complete=100,
                       budget=D("300000.00"), maintenance_body="village_collective", maintenance_owner="余村村委会", **future),
        ProjectFactory(village=villages[1], status=S.APPROVED, budget=D("120000.50"), **past),  # overdue
        ProjectFactory(village=villages[2], status=S.UNDER_CONSTRUCTION, actual_start=long_ago, percent_complete=70,
                       budget=D("450000.00"), **future),
        ProjectFactory(village=villages[3], status=S.CANCELLED, budget=D("999999.00"), **future),
        ProjectFactory(village=villages[3], status=S.SUBMITTED, budget=D("200000.00"), **future),
    ]
    ProgressReportFactory(project=projects[0], report_date=today.replace(day=1), percent_complete=40)
    ProgressReportFactory(project=projects[3], report_date=today.replace(day=1), percent_complete=70)
    county_fund = FundingSourceFactory(name="县级财政", kind=SourceKind.COUNTY_BUDGET, region=region("330523"),
                                       total_amount=D("5000000.00"), fiscal_year=today.year)
    province_fund = FundingSourceFactory(name="@省级专项", kind=SourceKind.PROVINCIAL_SPECIAL, region=region("33"),
                                         total_amount=D("9000000.00"), fiscal_year=today.year - 1)
    a1 = AllocationFactory(source=county_fund, project=projects[0], amount=D("400000.00"))
    a2 = AllocationFactory(source=province_fund, project=projects[0], amount=D("250000.25"))
    a3 = AllocationFactory(source=county_fund, project=projects[3], amount=D("300000.00"))
    DisbursementFactory(allocation=a1, amount=D("150000.00"))
    DisbursementFactory(allocation=a2, amount=D("100000.10"))
    DisbursementFactory(allocation=a3, amount=D("50000.00"))
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"))
    finalised = dict(status="finalised", finalised_at=timezone.now(), scheme=scheme, period="2025")
    scores = [D("91.5"), D("78.0"), D("78.0"), D("62.5"), D("48.0")]
    grades = ["excellent", "pass", "pass", "pass", "fail"]
    assessments = [Assessment.objects.create(village=v, total_score=s, grade=g, **finalised)
                   for v, s, g in zip(villages, scores, grades)]
    FollowUp.objects.create(assessment=assessments[4], village=villages[4], rank=5, ranked_among=5,
                            due_date=today - datetime.timedelta(days=3))
    Assessment.objects.create(village=villages[0], total_score=D("70"), grade="pass", **{**finalised, "period": "2024"})
    # Upkeep (the maintenance report): a station of 余村 inspected on time and late, overdue now, with an overdue
    # repair; a road of 鲁家村 (named like a formula) inspected once, with a fault repaired.
    jan = datetime.date(today.year, 1, 1)
    station = AssetFactory(village=villages[0], name="余村污水处理终端", commissioned_on=jan - datetime.timedelta(days=400))
    road = AssetFactory(village=villages[3], kind="road", unit="km", quantity=D("2.5"), name="=鲁家村道路",
                        commissioned_on=jan - datetime.timedelta(days=400))
    KeeperAssignmentFactory(asset=station, keeper=KeeperFactory(name="王管护", region=villages[0].township))
    DoneInspectionFactory(asset=station, due_on=jan, done_on=jan, condition=4)
    DoneInspectionFactory(asset=station, due_on=jan + datetime.timedelta(days=30), done_on=jan + datetime.timedelta(days=33), condition=2)
    InspectionFactory(asset=station, due_on=today - datetime.timedelta(days=5))
    FaultFactory(asset=station, severity="urgent", reported_on=today - datetime.timedelta(days=6), deadline=today - datetime.timedelta(days=4))
    DoneInspectionFactory(asset=road, due_on=jan, done_on=jan, condition=5)
    FaultFactory(asset=road, severity="minor", reported_on=jan, deadline=jan + datetime.timedelta(days=30), status="verified",
                 repaired_on=jan + datetime.timedelta(days=2), verified_on=jan + datetime.timedelta(days=3))
    rebuild("")
    return {
        "villages": villages, "projects": projects, "today": today,
        "county": user_with("county_anji", (Role.COUNTY_STAFF, "330523")),
        "other_county": user_with("county_cx", (Role.COUNTY_STAFF, "330522")),
        "official": user_with("official_thp", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "supervisor": user_with("supervisor_hz", (Role.SUPERVISOR, "3305")),
    }
