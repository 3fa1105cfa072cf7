"""The world of the access matrix, shared with the browser crawl (tests/browser/test_csp.py): one of
every object of the portal around 余村 (330523108204, 天荒坪镇, 安吉县) and a user of every kind."""
import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from core.models import Role, RoleAssignment
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProgressPhotoFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    api_token,
    region,
)

PASSWORD = "correct-horse-battery-staple"

# user kind → (role, region) granted to it
GRANTS = {
    "official": (Role.TOWNSHIP_OFFICIAL, "330523108"),  # 天荒坪镇, where the village is
    "neighbour": (Role.TOWNSHIP_OFFICIAL, "330523001"),  # 递铺街道, same county
    "county": (Role.COUNTY_STAFF, "330523"),  # 安吉县
    "other_county": (Role.COUNTY_STAFF, "330522"),  # 长兴县
    "supervisor": (Role.SUPERVISOR, "3305"),  # 湖州市
    "api_client": (Role.API_CLIENT, "33"),
}


def build_world():
    """One of everything around 余村 (天荒坪镇, 安吉县), and a user of each kind of GRANTS (password PASSWORD)."""
    village = VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    region("330522")
    base = dict(village=village, planned_start=datetime.date(2024, 3, 1), planned_end=datetime.date(2026, 12, 31))
    world = {
        "village": village,
        "draft": ProjectFactory(status=ProjectStatus.DRAFT, **base),
        "submitted": ProjectFactory(status=ProjectStatus.SUBMITTED, **base),
        "building": ProjectFactory(
            status=ProjectStatus.UNDER_CONSTRUCTION, actual_start=datetime.date(2024, 3, 5), budget=Decimal("500000"), **base
        ),
    }
    world["photo"] = ProgressPhotoFactory(report=ProgressReportFactory(project=world["building"]))
    world["source"] = FundingSourceFactory(name="2024年县级财政预算", region=region("330523"), total_amount=Decimal("1000000"))
    world["allocation"] = AllocationFactory(source=world["source"], project=world["building"], amount=Decimal("300000"))
    world["spare_allocation"] = AllocationFactory(source=world["source"], project=world["building"], amount=Decimal("20000"))
    world["payment"] = DisbursementFactory(allocation=world["allocation"], amount=Decimal("100000"), paid_on=datetime.date(2024, 5, 1))
    world.update(_assessment_world(village))
    world["report"] = _report(region("330523108"))
    User = get_user_model()
    for kind, (role, code) in GRANTS.items():
        user = User.objects.create_user(kind, password=PASSWORD)
        RoleAssignment.objects.create(user=user, role=role, region=region(code))
        api_token(user)  # something for the account pages to revoke
    return world


def _report(township):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from reports.models import ReportJob

    job = ReportJob(kind="roster", format="csv", region=township, scheduled=True, status="succeeded", progress=100,
                    started_at=timezone.now(), finished_at=timezone.now(), rows=1)
    job.file.save("reports/test/roster.csv", ContentFile("村代码\n330523108204\n".encode()), save=False)
    job.save()
    return job


def _assessment_world(village):
    from django.utils import timezone

    from assessment.models import Assessment, FollowUp, SchemeKind
    from tests.factories import AssessmentSchemeFactory, IndicatorFactory

    scheme = AssessmentSchemeFactory(name="2025年度考核", year=2025, region=region("330523"))
    indicator = IndicatorFactory(scheme=scheme, name="综合", max_score=Decimal("100"))
    done = dict(status="finalised", total_score=Decimal("55"), grade="fail", finalised_at=timezone.now())
    finalised = Assessment.objects.create(scheme=scheme, village=village, period="2025-H2", **done)
    acceptance_scheme = AssessmentSchemeFactory(name="示范村验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"))
    return {
        "scheme": scheme,
        "indicator": indicator,
        "submitted_assessment": Assessment.objects.create(
            scheme=scheme, village=village, period="2025", status="submitted", total_score=Decimal("70"), grade="pass"
        ),
        "draft_assessment": Assessment.objects.create(scheme=scheme, village=village, period="2025-H1"),
        "finalised_assessment": finalised,
        "follow_up": FollowUp.objects.create(
            assessment=finalised, village=village, rank=1, ranked_among=1, due_date=datetime.date(2025, 12, 31)
        ),
        "acceptance": Assessment.objects.create(
            scheme=acceptance_scheme, village=village, period="2025", status="finalised", total_score=Decimal("88"),
            grade="good", finalised_at=timezone.now(),
        ),
    }


