"""factory_boy factories for every model, on real-looking division codes.

The default chain is the real one: 浙江省 33 → 湖州市 3305 → 安吉县 330523 →
天荒坪镇 330523108, and villages get codes 330523108200, ...201, ...
"""
import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from assessment.models import Assessment, AssessmentScheme, Indicator, IndicatorCategory, IndicatorScore, SchemeKind
from funding.models import Allocation, Disbursement, FundingSource, Mechanism, SourceKind
from planning.models import CreationListEntry, Plan, PlanCitation, PlanItem, PlanKind, PlanStatus, Target, TargetKind
from projects.models import ProgressPhoto, ProgressReport, Project, ProjectStatus, ProjectType
from villages.models import Region, RegionLevel, Village, VillageCategory, kind_for_code, short_name_for

REAL_NAMES = {
    "33": "浙江省",
    "3305": "湖州市",
    "330523": "安吉县",
    "330523108": "天荒坪镇",
    "330523001": "递铺街道",
    "3301": "杭州市",
    "330127": "淳安县",
    "330127106": "枫树岭镇",
    "330122": "桐庐县",
    "330122104": "江南镇",
    "32": "江苏省",
    "3205": "苏州市",
    "320581": "常熟市",
    "320581105": "海虞镇",
    "330522": "长兴县",
    "330522001": "雉城街道",
}
LEVEL_FOR_LENGTH = {2: RegionLevel.PROVINCE, 4: RegionLevel.CITY, 6: RegionLevel.COUNTY, 9: RegionLevel.TOWNSHIP}


def region(code: str, name: str | None = None) -> Region:
    """Get or create the region with this code and every region above it."""
    parent = None
    for length in (2, 4, 6, 9):
        if length > len(code):
            break
        part = code[:length]
        parent, _ = Region.objects.get_or_create(
            code=part,
            defaults={
                "name": (name if part == code and name else REAL_NAMES.get(part, f"区划{part}")),
                "level": LEVEL_FOR_LENGTH[length],
                "parent": parent,
            },
        )
    return parent


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery-staple")


def user_with(username: str, *grants: tuple[str, str]):
    """A user holding the given (role, region code) grants."""
    from core.models import RoleAssignment

    user = UserFactory(username=username)
    for role, code in grants:
        RoleAssignment.objects.get_or_create(user=user, role=role, region=region(code))
    return user


class VillageFactory(DjangoModelFactory):
    class Meta:
        model = Village
        django_get_or_create = ("code",)

    class Params:
        township_code = "330523108"

    township = factory.LazyAttribute(lambda o: region(o.township_code))
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.township.code}{200 + n % 200:03d}")
    name = factory.Sequence(lambda n: f"试点{n}村村委会")
    short_name = factory.LazyAttribute(lambda o: short_name_for(o.name))
    kind = factory.LazyAttribute(lambda o: kind_for_code(o.code))
    category = VillageCategory.RENOVATION
    population = 1200
    households = 400


class PlanFactory(DjangoModelFactory):
    """A village's construction plan (村庄建设规划), current, version 1."""

    class Meta:
        model = Plan

    kind = PlanKind.CONSTRUCTION
    village = factory.SubFactory(VillageFactory)
    area_code = factory.LazyAttribute(lambda o: o.village.code if o.village else o.region.code)
    title = factory.LazyAttribute(lambda o: f"{(o.village.short_name if o.village else o.region.name)}村庄建设规划")
    version = 1
    approved_on = datetime.date(2023, 6, 1)
    approved_by = "安吉县人民政府"
    valid_from = datetime.date(2023, 1, 1)
    valid_until = datetime.date(2027, 12, 31)
    status = PlanStatus.CURRENT


class PlanItemFactory(DjangoModelFactory):
    class Meta:
        model = PlanItem

    plan = factory.SubFactory(PlanFactory)
    village = factory.LazyAttribute(lambda o: o.plan.village)
    kind = ProjectType.SEWAGE
    name = factory.Sequence(lambda n: f"规划项目{n}")
    quantity = Decimal("2.50")
    estimated_cost = Decimal("500000.00")
    planned_year = 2024


def plan_item_for(project: Project) -> PlanItem:
    """An item of the village's current construction plan (made if missing) of the project's kind of work."""
    plan = Plan.objects.filter(area_code=project.village_id, kind=PlanKind.CONSTRUCTION, status=PlanStatus.CURRENT).first()
    if plan is None:
        plan = PlanFactory(village=project.village)
    item = plan.items.filter(kind=project.type).first()
    return item or PlanItemFactory(plan=plan, kind=project.type)


class PlanCitationFactory(DjangoModelFactory):
    class Meta:
        model = PlanCitation

    item = factory.LazyAttribute(lambda o: plan_item_for(o.project))


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    region = factory.LazyFunction(lambda: region("330523"))
    year = 2024
    kind = TargetKind.SEWAGE
    quantity = Decimal("120.00")


class CreationListEntryFactory(DjangoModelFactory):
    class Meta:
        model = CreationListEntry

    village = factory.SubFactory(VillageFactory)
    county = factory.LazyAttribute(lambda o: region(o.village.code[:6]))
    year = 2024
    category = VillageCategory.DEMONSTRATION


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    village = factory.SubFactory(VillageFactory)
    type = ProjectType.SEWAGE
    name = factory.Sequence(lambda n: f"污水治理工程{n}")
    budget = Decimal("500000.00")
    planned_start = datetime.date(2024, 3, 1)
    planned_end = datetime.date(2024, 12, 31)
    status = ProjectStatus.DRAFT
    responsible_person = "张建国"
    # Every project carries out an item of its village's plan (规划先行: planning.rules); ``plan_citation=None``
    # makes one that cites nothing.
    plan_citation = factory.RelatedFactory(PlanCitationFactory, factory_related_name="project")


def project_in(status: str, **kw) -> Project:
    """A project in ``status`` with what that status requires of the row: an actual start once building has
    begun, an actual end once completed, the maintenance arrangement once accepted (see Project's constraints)."""
    S = ProjectStatus
    extra = {}
    if status in (S.UNDER_CONSTRUCTION, S.SUSPENDED, S.COMPLETED, S.ACCEPTED):
        extra["actual_start"] = datetime.date(2024, 3, 5)
    if status in (S.COMPLETED, S.ACCEPTED):
        extra["actual_end"] = datetime.date(2024, 11, 1)
    if status == S.ACCEPTED:
        extra.update(maintenance_body="village_collective", maintenance_owner="村委会")
    return ProjectFactory(status=status, **{**extra, **kw})


class ProgressReportFactory(DjangoModelFactory):
    class Meta:
        model = ProgressReport

    project = factory.SubFactory(ProjectFactory, status=ProjectStatus.UNDER_CONSTRUCTION, actual_start=datetime.date(2024, 3, 5))
    report_date = datetime.date(2024, 6, 1)
    percent_complete = 40
    amount_spent = Decimal("150000.00")
    narrative = "管网铺设完成四成。"


class ProgressPhotoFactory(DjangoModelFactory):
    class Meta:
        model = ProgressPhoto

    report = factory.SubFactory(ProgressReportFactory)
    image = factory.django.ImageField(width=64, height=48, format="JPEG", filename="site.jpg")
    thumbnail = factory.django.ImageField(width=32, height=24, format="JPEG", filename="site-thumb.jpg")
    content_type = "image/jpeg"
    size_bytes = factory.LazyAttribute(lambda o: o.image.size if hasattr(o.image, "size") else 1000)


class FundingSourceFactory(DjangoModelFactory):
    class Meta:
        model = FundingSource

    name = factory.Sequence(lambda n: f"县级财政预算{n}")
    kind = SourceKind.COUNTY_BUDGET
    mechanism = Mechanism.DIRECT_GRANT
    region = factory.LazyFunction(lambda: region("330523"))
    fiscal_year = 2024
    total_amount = Decimal("1000000.00")


class AllocationFactory(DjangoModelFactory):
    class Meta:
        model = Allocation

    source = factory.SubFactory(FundingSourceFactory)
    project = factory.SubFactory(ProjectFactory, status=ProjectStatus.APPROVED)
    amount = Decimal("100000.00")
    allocated_on = datetime.date(2024, 4, 1)


class DisbursementFactory(DjangoModelFactory):
    class Meta:
        model = Disbursement

    allocation = factory.SubFactory(AllocationFactory)
    amount = Decimal("50000.00")
    paid_on = datetime.date(2024, 5, 1)
    voucher_no = factory.Sequence(lambda n: f"AJ2024-{n:05d}")


class AssessmentSchemeFactory(DjangoModelFactory):
    class Meta:
        model = AssessmentScheme

    name = factory.Sequence(lambda n: f"年度村庄整治考核{n}")
    kind = SchemeKind.ANNUAL
    year = 2024
    region = factory.LazyFunction(lambda: region("330523"))


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    scheme = factory.SubFactory(AssessmentSchemeFactory)
    category = IndicatorCategory.ENVIRONMENT
    name = factory.Sequence(lambda n: f"垃圾分类覆盖率{n}")
    max_score = Decimal("20")


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = Assessment

    scheme = factory.SubFactory(AssessmentSchemeFactory)
    village = factory.SubFactory(VillageFactory)
    period = "2024"


class IndicatorScoreFactory(DjangoModelFactory):
    class Meta:
        model = IndicatorScore

    assessment = factory.SubFactory(AssessmentFactory)
    indicator = factory.SubFactory(IndicatorFactory, scheme=factory.SelfAttribute("..assessment.scheme"))
    score = Decimal("15")
    max_score = factory.SelfAttribute("indicator.max_score")


def api_token(user) -> str:
    """A new API token for ``user`` (django-rest-knox; the string to send as ``Authorization: Token <token>``)."""
    from knox.models import AuthToken

    _row, token = AuthToken.objects.create(user=user)
    return token


class AssetFactory(DjangoModelFactory):
    class Meta:
        model = "maintenance.Asset"

    kind = "sewage_station"
    village = factory.SubFactory(VillageFactory)
    name = factory.Sequence(lambda n: f"污水处理终端{n}")
    quantity = Decimal("1")
    unit = "stations"
    commissioned_on = datetime.date(2020, 6, 1)
    owner_kind = "village_collective"
    owner_name = "村股份经济合作社"
    maintenance_body = "village_collective"


class KeeperFactory(DjangoModelFactory):
    class Meta:
        model = "maintenance.Keeper"

    name = factory.Sequence(lambda n: f"管护员{n}")
    phone = "13800000000"
    organisation = "村委会"
    region = factory.LazyFunction(lambda: region("330523108"))


class KeeperAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = "maintenance.KeeperAssignment"

    keeper = factory.SubFactory(KeeperFactory)
    chief_type = "station"
    asset = factory.SubFactory(AssetFactory)
    starts_on = datetime.date(2021, 1, 1)


class InspectionFactory(DjangoModelFactory):
    class Meta:
        model = "maintenance.Inspection"

    asset = factory.SubFactory(AssetFactory)
    due_on = datetime.date(2025, 6, 1)


class DoneInspectionFactory(InspectionFactory):
    status = "done"
    done_on = factory.LazyAttribute(lambda o: o.due_on)
    condition = 4
    checklist = factory.LazyFunction(lambda: {"equipment_running": True, "effluent_clear": True})


class InspectionPhotoFactory(DjangoModelFactory):
    class Meta:
        model = "maintenance.InspectionPhoto"

    inspection = factory.SubFactory(DoneInspectionFactory)
    image = factory.django.ImageField(width=64, height=48, format="JPEG", filename="station.jpg")
    thumbnail = factory.django.ImageField(width=32, height=24, format="JPEG", filename="station-thumb.jpg")
    content_type = "image/jpeg"
    size_bytes = factory.LazyAttribute(lambda o: o.image.size if hasattr(o.image, "size") else 1000)


class FaultFactory(DjangoModelFactory):
    class Meta:
        model = "maintenance.Fault"

    asset = factory.SubFactory(AssetFactory)
    severity = "major"
    description = "进水泵异响，出水浑浊"
    reported_on = datetime.date(2025, 6, 1)
    deadline = factory.LazyAttribute(lambda o: o.reported_on + datetime.timedelta(days=7))


class FaultPhotoFactory(DjangoModelFactory):
    class Meta:
        model = "maintenance.FaultPhoto"

    fault = factory.SubFactory(FaultFactory)
    stage = "reported"
    image = factory.django.ImageField(width=64, height=48, format="JPEG", filename="fault.jpg")
    thumbnail = factory.django.ImageField(width=32, height=24, format="JPEG", filename="fault-thumb.jpg")
    content_type = "image/jpeg"
    size_bytes = factory.LazyAttribute(lambda o: o.image.size if hasattr(o.image, "size") else 1000)


class VisitFactory(DjangoModelFactory):
    """A county's unannounced supervision visit to a village (督查)."""

    class Meta:
        model = "oversight.Visit"
        skip_postgeneration_save = True

    region = factory.LazyFunction(lambda: region("330523"))
    kind = "unannounced"
    visited_on = datetime.date(2025, 9, 10)
    inspectors = "县督查组 王明、李华"

    @factory.post_generation
    def villages(self, create, extracted, **kwargs):
        if create and extracted:
            self.villages.set(extracted)


class ProblemFactory(DjangoModelFactory):
    """A problem in the register (问题清单), found on a visit to its village: to be rectified."""

    class Meta:
        model = "oversight.Problem"

    village = factory.SubFactory(VillageFactory)
    visit = factory.LazyAttribute(lambda o: VisitFactory(region=region(o.village.code[:6]), villages=[o.village]))
    township = factory.LazyAttribute(lambda o: o.village.township)
    category = "sanitation"
    severity = "general"
    description = "村口垃圾堆放未清理"
    found_on = factory.LazyAttribute(lambda o: o.visit.visited_on)
    deadline = factory.LazyAttribute(lambda o: o.found_on + datetime.timedelta(days=30))


class ProblemPhotoFactory(DjangoModelFactory):
    class Meta:
        model = "oversight.ProblemPhoto"

    problem = factory.SubFactory(ProblemFactory)
    stage = "found"
    image = factory.django.ImageField(width=64, height=48, format="JPEG", filename="problem.jpg")
    thumbnail = factory.django.ImageField(width=32, height=24, format="JPEG", filename="problem-thumb.jpg")
    content_type = "image/jpeg"
    size_bytes = factory.LazyAttribute(lambda o: o.image.size if hasattr(o.image, "size") else 1000)


class BulletinFactory(DjangoModelFactory):
    """A draft bulletin (通报) of 安吉县's office."""

    class Meta:
        model = "bulletins.Bulletin"

    region = factory.LazyFunction(lambda: region("330523"))
    period_start = datetime.date(2025, 9, 1)
    period_end = datetime.date(2025, 9, 30)
    title = "安吉县关于2025年9月农村人居环境整治工作的通报"
    body = "一、项目进展。\n二、督查发现问题。"


class PublishedBulletinFactory(BulletinFactory):
    status = "published"
    approved_at = factory.LazyFunction(timezone.now)
    published_at = factory.LazyFunction(timezone.now)
    pdf = factory.django.FileField(filename="bulletin.pdf", data=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def open_county(code: str = "330523"):
    """The county's village pages opened to the public (public.CountyPublication)."""
    from disclosure.models import CountyPublication

    return CountyPublication.objects.update_or_create(county=region(code), defaults={"villages_public": True})[0]


class ExemplarFactory(DjangoModelFactory):
    """A draft exemplary case (典型案例)."""

    class Meta:
        model = "disclosure.Exemplar"

    village = factory.SubFactory(VillageFactory)
    title = "余村：从“卖石头”到“卖风景”"
    summary = "关停矿山、修复生态，发展乡村旅游。"
    story = "余村曾以开矿为主要收入来源。\n\n村里关停矿山，发展乡村旅游。"


class PublishedExemplarFactory(ExemplarFactory):
    status = "published"
    published_at = factory.LazyFunction(timezone.now)


class ExemplarPhotoFactory(DjangoModelFactory):
    class Meta:
        model = "disclosure.ExemplarPhoto"

    exemplar = factory.SubFactory(PublishedExemplarFactory)
    image = factory.django.ImageField(width=64, height=48, format="JPEG", filename="case.jpg")
    thumbnail = factory.django.ImageField(width=32, height=24, format="JPEG", filename="case-thumb.jpg")
    content_type = "image/jpeg"
    size_bytes = factory.LazyAttribute(lambda o: o.image.size if hasattr(o.image, "size") else 1000)
