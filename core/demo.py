"""A sample programme for demonstrations: ``python manage.py seed_demo``.

Builds a deterministic, plausible renovation programme on the real villages
of one county (安吉县 330523 by default) that ``import_divisions`` has loaded:

- projects of every type and in every status on about 60 % of the village
  committees, each with a lifecycle timeline consistent with
  ``projects.models.TRANSITIONS`` and, once building started, a progress
  history;
- funding sources of every kind and mechanism, allocations within each
  source's total and region, disbursements within each allocation and within
  the rules of the mechanism (先建后补 only after acceptance, 以奖代补 only
  after the village passed that year's assessment), and one reversal pair;
- two finalised annual assessment rounds (2024, 2025) of every village
  committee, with the bottom group (末位) followed up;
- demo users (``DEMO_USERS``) for the roles that come later.

Every figure is invented: project descriptions and funding-source notes carry
``SAMPLE_MARK`` (示例数据). Randomness comes only from ``random.Random`` seeded
with the ``seed`` argument, and dates only from ``REFERENCE_DATE``, so a run on a
fresh database with the same seed writes the same rows. A second run for a
county that already has its sample programme writes nothing. The rows are
written directly (bulk_create), not through the services: they are sample data.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from assessment.models import (
    PASSING_GRADES,
    Assessment,
    AssessmentScheme,
    AssessmentStatus,
    FollowUp,
    FollowUpStatus,
    Indicator,
    IndicatorCategory,
    IndicatorScore,
    SchemeKind,
)
from funding.models import Allocation, Disbursement, FundingSource, Mechanism, SourceKind
from projects.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    MaintenanceBody,
    ProgressReport,
    Project,
    ProjectStatus,
    ProjectTransition,
    ProjectType,
)
from villages.models import Region, RegionLevel, Village, VillageKind

# --- Fixed points -------------------------------------------------------------

# "Today" for the sample programme: every date is computed from it, never from the clock.
REFERENCE_DATE = date(2026, 6, 30)
DEFAULT_COUNTY = "330523"  # 安吉县
DEFAULT_SEED = 2003  # the year the programme started
SAMPLE_MARK = "示例数据"

DEMO_PASSWORD = "qiancun-demo-2024"
# (username, role, region code, display name): seed_demo grants each its role.
DEMO_USERS = [
    ("county_anji", "county_staff", "330523", "王建华"),
    ("township_tianhuangping", "township_official", "330523108", "潘立新"),
    ("township_dipu", "township_official", "330523001", "沈丽萍"),
    ("supervisor_huzhou", "supervisor", "3305", "徐国平"),
    ("api_client", "api_client", "33", "省乡村数据平台"),
]
DEMO_SUPERUSER = ("admin", "系统管理员")

# Villages named in the programme's own materials: always given projects when present.
FEATURED_VILLAGES = ("330523108204", "330523001211")  # 余村, 鲁家村

# Annual assessment rounds: (year, finalised at, follow-ups closed by now?).
ASSESSMENT_ROUNDS = [
    (2024, date(2025, 4, 18), True),
    (2025, date(2026, 4, 20), False),
]
SAMPLE_ROUND_YEAR = 2025
FOLLOW_UP_DAYS = 90
FISCAL_YEARS = (2024, 2025, 2026)

VILLAGE_SHARE = 0.6  # of the village committees get projects
MIN_PROJECTS = max(len(ProjectType), len(ProjectStatus) + 4)


class DemoDataMissing(Exception):
    """The county or its villages are not in the database."""


# --- Catalogues -----------------------------------------------------------------


@dataclass(frozen=True)
class TypeSpec:
    phrases: tuple[str, ...]
    budget: tuple[int, int]  # yuan
    duration: tuple[int, int]  # days of construction
    weight: int  # how common
    summary: str


TYPE_SPECS: dict[str, TypeSpec] = {
    ProjectType.GARBAGE: TypeSpec(
        ("垃圾分类收集点建设项目", "垃圾分类资源化站点建设", "再生资源回收站建设"),
        (50_000, 400_000), (45, 150), 8, "新建垃圾分类收集点和转运设施，推行垃圾分类积分制"),
    ProjectType.SEWAGE: TypeSpec(
        ("污水管网改造工程", "农村生活污水治理提标改造工程", "污水处理终端提升工程"),
        (500_000, 3_000_000), (180, 400), 10, "新建和改造污水收集管网，提升终端处理设施"),
    ProjectType.TOILET: TypeSpec(
        ("公厕改造提升工程", "农户卫生厕所改造项目", "旅游厕所新建工程"),
        (80_000, 600_000), (45, 150), 6, "改造公共厕所和农户卫生厕所，落实日常保洁"),
    ProjectType.DRINKING_WATER: TypeSpec(
        ("饮用水提标改造工程", "供水管网延伸工程", "水源地保护工程"),
        (300_000, 2_000_000), (120, 300), 5, "延伸城乡供水管网，改造老旧管道，保障饮水安全"),
    ProjectType.ROAD: TypeSpec(
        ("村道硬化工程", "通组道路提升工程", "沥青路面改造工程"),
        (400_000, 2_500_000), (120, 360), 10, "硬化和拓宽村内道路，完善排水和安全设施"),
    ProjectType.GREENING: TypeSpec(
        ("村庄绿化提升工程", "口袋公园建设项目", "道路沿线绿化工程"),
        (100_000, 800_000), (60, 180), 6, "补植乡土树种，建设口袋公园和沿路绿化带"),
    ProjectType.LIGHTING: TypeSpec(
        ("路灯亮化工程", "太阳能路灯安装工程", "村庄夜景亮化提升工程"),
        (60_000, 500_000), (30, 120), 5, "安装节能路灯，消除村内照明盲区"),
    ProjectType.APPEARANCE: TypeSpec(
        ("村容村貌整治提升工程", "沿街立面改造工程", "沿溪环境综合整治工程"),
        (300_000, 2_000_000), (120, 300), 8, "拆除违章搭建，改造沿街立面，整治沿溪环境"),
    ProjectType.COURTYARD: TypeSpec(
        ("美丽庭院创建项目", "清洁庭院示范户建设", "庭院微改造项目"),
        (50_000, 300_000), (45, 150), 6, "引导农户开展庭院整治，落实门前三包"),
    ProjectType.HOUSING: TypeSpec(
        ("农村危房改造项目", "困难户危旧房治理改造", "D级危房拆除重建项目"),
        (100_000, 900_000), (90, 240), 4, "鉴定并改造农村危房，保障困难群众住房安全"),
    ProjectType.WATER_CONSERVANCY: TypeSpec(
        ("山塘除险加固工程", "溪道综合治理工程", "农田灌溉渠道改造工程"),
        (300_000, 2_500_000), (150, 400), 5, "加固山塘堤坝，清淤疏浚溪道，改造灌溉渠系"),
    ProjectType.PUBLIC_FACILITIES: TypeSpec(
        ("居家养老服务照料中心建设", "便民服务中心改造工程", "村卫生室标准化建设"),
        (300_000, 1_800_000), (120, 300), 5, "建设和改造村级公共服务设施，方便群众办事就医"),
    ProjectType.CULTURE_HALL: TypeSpec(
        ("文化礼堂建设工程", "文化礼堂提升改造工程", "农家书屋与文化礼堂提升项目"),
        (400_000, 2_000_000), (120, 300), 6, "建设文化礼堂，展示村史村规和家规家训"),
    ProjectType.DIGITAL: TypeSpec(
        ("数字乡村平台建设项目", "智慧安防全覆盖工程", "未来乡村数字化场景建设"),
        (150_000, 1_200_000), (90, 240), 4, "建设数字乡村平台和物联感知设施"),
    ProjectType.INDUSTRY: TypeSpec(
        ("特色农产品加工基地建设", "乡村旅游配套设施建设", "生态农业示范园建设", "民宿集聚区配套工程"),
        (500_000, 3_000_000), (180, 400), 6, "培育特色产业，带动村集体经济增收和农民就业"),
}

# Who looks after an accepted facility (长效管护): body, and the title of the one named person.
MAINTENANCE = {
    ProjectType.SEWAGE: (MaintenanceBody.CONTRACTED_COMPANY, "污水设施运维负责人"),
    ProjectType.DRINKING_WATER: (MaintenanceBody.CONTRACTED_COMPANY, "供水设施管护员"),
    ProjectType.ROAD: (MaintenanceBody.TOWNSHIP_DEPARTMENT, "村级道长"),
    ProjectType.WATER_CONSERVANCY: (MaintenanceBody.TOWNSHIP_DEPARTMENT, "村级河长"),
    ProjectType.GREENING: (MaintenanceBody.VILLAGE_COLLECTIVE, "村级林长"),
    ProjectType.GARBAGE: (MaintenanceBody.VILLAGE_COLLECTIVE, "保洁队长"),
}
DEFAULT_MAINTENANCE = (MaintenanceBody.VILLAGE_COLLECTIVE, "管护责任人")

# How often each status occurs, beyond the forced coverage.
STATUS_WEIGHTS = {
    ProjectStatus.DRAFT: 5,
    ProjectStatus.SUBMITTED: 6,
    ProjectStatus.RETURNED: 3,
    ProjectStatus.APPROVED: 10,
    ProjectStatus.UNDER_CONSTRUCTION: 25,
    ProjectStatus.COMPLETED: 12,
    ProjectStatus.ACCEPTED: 30,
    ProjectStatus.SUSPENDED: 4,
    ProjectStatus.CANCELLED: 5,
}
# Every status at least once, and a few kinds the demo needs more than one of.
FORCED_STATUSES = list(ProjectStatus) + [
    ProjectStatus.UNDER_CONSTRUCTION,
    ProjectStatus.UNDER_CONSTRUCTION,
    ProjectStatus.RETURNED,
    ProjectStatus.ACCEPTED,
]

# The first projects of a featured village: it is a model, with work done and going on.
FEATURED_STATUSES = [ProjectStatus.ACCEPTED, ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.ACCEPTED]

# Days between two moves, by move (from, to).
GAP_DAYS = {
    (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED): (3, 20),
    (ProjectStatus.DRAFT, ProjectStatus.CANCELLED): (15, 60),
    (ProjectStatus.SUBMITTED, ProjectStatus.APPROVED): (10, 40),
    (ProjectStatus.SUBMITTED, ProjectStatus.RETURNED): (5, 20),
    (ProjectStatus.RETURNED, ProjectStatus.SUBMITTED): (7, 30),
    (ProjectStatus.RETURNED, ProjectStatus.CANCELLED): (10, 40),
    (ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION): (10, 60),
    (ProjectStatus.APPROVED, ProjectStatus.CANCELLED): (30, 150),
    (ProjectStatus.SUSPENDED, ProjectStatus.UNDER_CONSTRUCTION): (30, 90),
    (ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED): (15, 60),
    (ProjectStatus.COMPLETED, ProjectStatus.UNDER_CONSTRUCTION): (10, 30),
}
# Days before the reference date of a project's latest move, by its status.
ANCHOR_DAYS = {
    ProjectStatus.DRAFT: (3, 60),
    ProjectStatus.SUBMITTED: (2, 25),
    ProjectStatus.RETURNED: (3, 45),
    ProjectStatus.APPROVED: (5, 120),
    ProjectStatus.UNDER_CONSTRUCTION: (30, 420),
    ProjectStatus.COMPLETED: (5, 90),
    ProjectStatus.ACCEPTED: (20, 700),
    ProjectStatus.SUSPENDED: (15, 150),
    ProjectStatus.CANCELLED: (10, 400),
}
# Moves made by the county (approval, acceptance, ...); the township makes the others.
COUNTY_MOVES = {
    ProjectStatus.APPROVED,
    ProjectStatus.RETURNED,
    ProjectStatus.ACCEPTED,
    ProjectStatus.SUSPENDED,
    ProjectStatus.CANCELLED,
}

RETURN_REASONS = (
    "预算测算依据不足，请补充工程量清单后重新报送",
    "项目选址与村庄规划不符，请调整后重新申报",
    "缺少村民代表大会决议材料，请补齐后重新报送",
    "用地手续不全，请补办后再报",
)
SUSPEND_REASONS = (
    "汛期暂停施工，待汛期结束后复工",
    "政策处理（征地协调）未完成，暂停施工",
    "设计方案调整，暂停施工待重新审批",
)
CANCEL_REASONS = (
    "与相邻村同类项目合并实施",
    "村民代表大会未通过，项目撤销",
    "资金渠道调整，项目取消",
)
MOVE_NOTES = {
    ProjectStatus.SUBMITTED: "",
    ProjectStatus.APPROVED: "经县级审核，同意立项",
    ProjectStatus.UNDER_CONSTRUCTION: "施工单位进场，开工建设",
    ProjectStatus.COMPLETED: "工程完工，申请验收",
    ProjectStatus.ACCEPTED: "验收合格，移交长效管护",
}
PROBLEMS = (
    "受连续降雨影响，工期有所滞后",
    "部分农户协调工作进展较慢",
    "主要材料价格上涨，需优化施工方案控制造价",
    "施工场地狭窄，交叉作业影响进度",
)

SURNAMES = "王李张陈刘杨黄吴周徐孙胡朱高林何郭马罗潘沈钱蒋俞汪叶金方施章程邵"
GIVEN_NAME_CHARS = "建国华明伟军平林春海志强丽芳红英文忠良新荣勇洪云峰杰敏静燕霞德福根水法宝祥"

INDICATORS = [
    (IndicatorCategory.ENVIRONMENT, "垃圾分类与资源化利用", 12, "垃圾分类覆盖率、资源化利用率和垃圾分类积分制落实情况"),
    (IndicatorCategory.ENVIRONMENT, "生活污水治理", 10, "污水管网覆盖率和终端设施正常运行率"),
    (IndicatorCategory.ENVIRONMENT, "卫生厕所普及", 8, "农户卫生厕所普及率和公厕日常管理"),
    (IndicatorCategory.INFRASTRUCTURE, "村道硬化与亮化", 8, "村内道路硬化、路灯覆盖和道路养护"),
    (IndicatorCategory.INFRASTRUCTURE, "饮用水安全", 7, "供水保证率和水质达标情况"),
    (IndicatorCategory.PUBLIC_SERVICES, "文化礼堂与公共服务", 10, "文化礼堂、养老照料、便民服务设施的建设和使用"),
    (IndicatorCategory.INDUSTRY, "产业培育与集体经济增收", 10, "特色产业发展和村集体经营性收入增长"),
    (IndicatorCategory.CIVILITY, "村规民约与乡风文明", 8, "村规民约、家规家训和移风易俗"),
    (IndicatorCategory.CIVILITY, "门前三包与美丽庭院", 7, "门前三包落实率和美丽庭院创建比例"),
    (IndicatorCategory.GOVERNANCE, "基层治理与村务公开", 10, "村务公开、民主决策和矛盾调解"),
    (IndicatorCategory.MAINTENANCE, "长效管护机制落实", 10, "管护主体、管护制度和管护经费落实，道长制河长制运行"),
]

SECTORAL_TYPES = {
    ProjectType.GARBAGE, ProjectType.SEWAGE, ProjectType.TOILET, ProjectType.DRINKING_WATER,
    ProjectType.HOUSING, ProjectType.WATER_CONSERVANCY,
}
ENTERPRISE_TYPES = {ProjectType.INDUSTRY, ProjectType.DIGITAL}
FUNDABLE_STATUSES = {
    ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.SUSPENDED,
    ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED,
}


# --- Entry point --------------------------------------------------------------


def seed_demo(*, county_code: str = DEFAULT_COUNTY, seed: int = DEFAULT_SEED) -> dict:
    """Seed the sample programme of a county; return counts of what it holds.

    The result has ``created`` (False when the county already had its sample
    programme and nothing was written) and one count per kind of row.
    """
    county = _county(county_code)
    villages = list(
        Village.objects.within(county_code)
        .filter(kind=VillageKind.VILLAGE_COMMITTEE)
        .select_related("township")
        .order_by("code")
    )
    if not villages:
        raise DemoDataMissing(
            f"No village committees of {county.name} ({county_code}) are in the database: run import_divisions first."
        )
    with transaction.atomic():
        if already_seeded(county):
            return {"created": False, **sample_counts(county_code)}
        users = _seed_users()
        actors = _Actors(users, county_code)
        plans = _seed_projects(random.Random(f"{seed}:projects"), county, villages, actors)
        lagging = _lagging_village(random.Random(f"{seed}:lagging"), plans)
        results = _seed_assessments(random.Random(f"{seed}:assessment"), county, villages, actors, lagging)
        _seed_funding(random.Random(f"{seed}:funding"), county, villages, plans, results, actors, lagging)
        _sample_places(random.Random(f"{seed}:places"), villages)
        from dashboard.stats import rebuild

        rebuild(county_code)  # the seed writes in bulk, past the services: refresh the dashboards' figures
    return {"created": True, **sample_counts(county_code)}


# 安吉县 lies around 30.64° N, 119.68° E; other counties get the same spread around their seat.
PLACE_CENTRES = {"330523": (30.64, 119.68)}


def _sample_places(rng, villages) -> None:
    """Sample population, households and coordinates for villages that have none (the division data
    carries neither): plausible for a county of Zhejiang, marked as sample data by the seed's output."""
    centre = PLACE_CENTRES.get(villages[0].code[:6], (30.0 + rng.random(), 119.5 + rng.random()))
    changed = []
    for village in villages:
        if village.population is None:
            village.population = rng.randint(800, 4200)
            village.households = max(1, round(village.population / rng.uniform(2.6, 3.4)))
        if village.latitude is None or village.longitude is None:
            village.latitude = Decimal(str(round(centre[0] + rng.uniform(-0.22, 0.22), 6)))
            village.longitude = Decimal(str(round(centre[1] + rng.uniform(-0.28, 0.28), 6)))
        changed.append(village)
    Village.objects.bulk_update(changed, ["population", "households", "latitude", "longitude"], batch_size=500)


def _county(county_code: str) -> Region:
    if not (len(county_code) == 6 and county_code.isdigit()):
        raise DemoDataMissing(f"{county_code!r} is not a county code (six digits, e.g. 330523).")
    county = Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).select_related("parent__parent").first()
    if county is None:
        raise DemoDataMissing(f"County {county_code} is not in the database: run import_divisions first.")
    return county


def source_mark(county_code: str) -> str:
    """The start of every sample funding source's note, naming the county it was seeded for."""
    return f"{SAMPLE_MARK}［{county_code}］"


def scheme_name(county: Region, year: int) -> str:
    return f"{county.name}{year}年度村庄整治考核"


def already_seeded(county: Region) -> bool:
    return (
        FundingSource.objects.filter(note__startswith=source_mark(county.code)).exists()
        or AssessmentScheme.objects.filter(
            region=county, year=SAMPLE_ROUND_YEAR, name=scheme_name(county, SAMPLE_ROUND_YEAR)
        ).exists()
        or Project.objects.within(county.code).filter(description__contains=SAMPLE_MARK).exists()
    )


def sample_counts(county_code: str) -> dict[str, int]:
    """Rows of the county's sample programme, by kind."""
    projects = Project.objects.within(county_code).filter(description__contains=SAMPLE_MARK)
    sources = FundingSource.objects.filter(note__startswith=source_mark(county_code))
    assessments = Assessment.objects.filter(village__code__startswith=county_code, scheme__region_id=county_code)
    usernames = [username for username, *_ in DEMO_USERS] + [DEMO_SUPERUSER[0]]
    return {
        "village_committees": Village.objects.within(county_code).filter(kind=VillageKind.VILLAGE_COMMITTEE).count(),
        "villages_with_projects": projects.order_by().values("village").distinct().count(),
        "projects": projects.count(),
        "project_transitions": ProjectTransition.objects.filter(project__in=projects).count(),
        "progress_reports": ProgressReport.objects.filter(project__in=projects).count(),
        "funding_sources": sources.count(),
        "allocations": Allocation.objects.filter(source__in=sources).count(),
        "disbursements": Disbursement.objects.filter(allocation__source__in=sources).count(),
        "assessment_schemes": AssessmentScheme.objects.filter(region_id=county_code).count(),
        "indicators": Indicator.objects.filter(scheme__region_id=county_code).count(),
        "assessments": assessments.count(),
        "indicator_scores": IndicatorScore.objects.filter(assessment__in=assessments).count(),
        "follow_ups": FollowUp.objects.filter(assessment__in=assessments).count(),
        "demo_users": get_user_model().objects.filter(username__in=usernames).count(),
    }


# --- Helpers ----------------------------------------------------------------------

_TZ = ZoneInfo(settings.TIME_ZONE)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _at(day: date, rng: random.Random) -> datetime:
    """A working-hours moment of a day, in the portal's time zone."""
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 10, 20, 30, 40, 50))), tzinfo=_TZ)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=_TZ)


def _person(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_NAME_CHARS) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(SURNAMES) + given


def _yuan(amount, step: int = 1000) -> Decimal:
    """Round down to a whole step of yuan (at least one step)."""
    steps = (Decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_DOWN)
    return max(steps, Decimal(1)) * step


def _weighted_sample(rng: random.Random, weights: dict, k: int) -> list:
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        keys = list(pool)
        pick = rng.choices(keys, weights=[pool[key] for key in keys])[0]
        chosen.append(pick)
        del pool[pick]
    return chosen


def _backdate(model, objs, **fields) -> None:
    """Write auto_now(_add) timestamps set to the sample timeline (bulk_create stamps the clock).

    Only for the few hundred rows whose times a dashboard shows (projects,
    sources, schemes, follow-ups): bulk_update is the slowest part of the seed.
    Ledger entries, reports and assessments keep the clock's time; their own
    dates (allocated_on, paid_on, report_date, finalised_at) carry the timeline."""
    if objs:
        model.objects.bulk_update(objs, list(fields), batch_size=500)


class _Actors:
    """Who did what: the demo user of the township, else of the county, else nobody."""

    def __init__(self, users: dict, county_code: str):
        self.by_region = {
            region: users[username]
            for username, role, region, _name in DEMO_USERS
            if role in ("county_staff", "township_official") and username in users
        }
        self.county = self.by_region.get(county_code)

    def township(self, township_code: str):
        return self.by_region.get(township_code, self.county)

    def for_move(self, to_status: str, township_code: str):
        return self.county if to_status in COUNTY_MOVES else self.township(township_code)


# --- Users --------------------------------------------------------------------------


def _seed_users() -> dict:
    """Create the demo users that are missing; never touch existing accounts."""
    User = get_user_model()
    wanted = [(username, name) for username, _role, _region, name in DEMO_USERS] + [DEMO_SUPERUSER]
    users = {user.username: user for user in User.objects.filter(username__in=[u for u, _ in wanted])}
    missing = [(username, name) for username, name in wanted if username not in users]
    if missing:
        # One hash for all: PBKDF2 costs most of a second a call, and the demo
        # password is published anyway (identical hashes reveal nothing more).
        hashed = make_password(DEMO_PASSWORD)
        for username, name in missing:
            is_admin = username == DEMO_SUPERUSER[0]
            user = User(username=username, first_name=name, is_staff=is_admin, is_superuser=is_admin)
            user.password = hashed
            user.save()
            users[username] = user
    _grant_demo_roles(users)
    return users


def _grant_demo_roles(users: dict) -> None:
    """Give each demo user its role, through the audited service (a grant that exists is kept)."""
    from core.services import role_grant

    present = set(Region.objects.filter(code__in=[code for _u, _r, code, _n in DEMO_USERS]).values_list("code", flat=True))
    for username, role, region_code, _name in DEMO_USERS:
        if username in users and region_code in present:
            role_grant(actor=None, user=users[username], role=role, region_code=region_code)


# --- Projects -----------------------------------------------------------------------


@dataclass
class _ProjectPlan:
    project: Project
    village: Village
    path: list[str]
    dates: list[date]
    stale: bool = False
    overdue: bool = False
    reports: list[tuple[date, int]] = field(default_factory=list)

    def date_of(self, status: str, last: bool = False) -> date | None:
        indexes = [i for i, s in enumerate(self.path) if s == status]
        if not indexes:
            return None
        return self.dates[indexes[-1] if last else indexes[0]]

    @property
    def approved_on(self) -> date | None:
        return self.date_of(ProjectStatus.APPROVED)

    @property
    def accepted_on(self) -> date | None:
        return self.date_of(ProjectStatus.ACCEPTED)


def _seed_projects(rng: random.Random, county: Region, villages: list[Village], actors: _Actors) -> list[_ProjectPlan]:
    slots = _project_slots(rng, villages)
    first_building = next(i for i, (_v, _t, s) in enumerate(slots) if s == ProjectStatus.UNDER_CONSTRUCTION)
    used_names: set[str] = set()
    plans = []
    for index, (village, project_type, status) in enumerate(slots):
        # One project under construction is certainly overdue and without a recent report.
        forced = index == first_building
        plans.append(_plan_project(rng, village, project_type, status, used_names, actors, forced=forced))
    reports = _plan_reports(rng, plans, actors)  # sets each project's percent and last report
    Project.objects.bulk_create([plan.project for plan in plans], batch_size=500)
    _write_timelines(rng, plans, actors)
    ProgressReport.objects.bulk_create(reports, batch_size=1000)
    # Project times follow the sample timeline (bulk_create stamped them with the clock).
    for plan in plans:
        plan.project.created_at = _noon(plan.dates[0])
        latest = max([plan.dates[-1]] + [day for day, _ in plan.reports])
        plan.project.updated_at = datetime.combine(latest, time(18, 30), tzinfo=_TZ)
    _backdate(Project, [plan.project for plan in plans], created_at=True, updated_at=True)
    return plans


def _project_slots(rng: random.Random, villages: list[Village]) -> list[tuple[Village, str, str]]:
    """(village, type, status) of every project: ~60 % of the villages, 2-4 projects each,
    every type and status covered."""
    featured = [v for v in villages if v.code in FEATURED_VILLAGES]
    others = [v for v in villages if v.code not in FEATURED_VILLAGES]
    target = max(1, round(len(villages) * VILLAGE_SHARE))
    chosen = featured + rng.sample(others, max(0, min(len(others), target - len(featured))))
    chosen.sort(key=lambda v: v.code)
    type_weights = {t: spec.weight for t, spec in TYPE_SPECS.items()}
    pairs = []
    for village in chosen:
        count = rng.choice((3, 4)) if village.code in FEATURED_VILLAGES else rng.choice((2, 2, 3, 3, 4))
        pairs += [[village, t] for t in _weighted_sample(rng, type_weights, count)]
    index = 0
    while len(pairs) < MIN_PROJECTS:  # a county with very few villages
        pairs.append([chosen[index % len(chosen)], rng.choices(list(type_weights), list(type_weights.values()))[0]])
        index += 1
    all_types = list(ProjectType)
    rng.shuffle(all_types)
    for position, project_type in zip(rng.sample(range(len(pairs)), len(all_types)), all_types):
        pairs[position][1] = project_type
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=len(pairs))
    # The model villages show finished and ongoing work; the forced coverage goes elsewhere if it can.
    free = list(range(len(pairs)))
    for village in featured:
        own = [i for i, (v, _t) in enumerate(pairs) if v is village]
        for i, status in zip(own, FEATURED_STATUSES):
            statuses[i] = status
        if len(free) - len(own) >= len(FORCED_STATUSES):
            free = [i for i in free if i not in own]
    for position, status in zip(rng.sample(free, len(FORCED_STATUSES)), FORCED_STATUSES):
        statuses[position] = status
    return [(village, project_type, status) for (village, project_type), status in zip(pairs, statuses)]


def _lifecycle(rng: random.Random, status: str) -> list[str]:
    """The statuses a project passed through, from draft to ``status``, by TRANSITIONS."""
    S = ProjectStatus

    def approval():
        path = [S.DRAFT, S.SUBMITTED]
        if rng.random() < 0.2:
            path += [S.RETURNED, S.SUBMITTED]
        return path + [S.APPROVED]

    def building():
        path = approval() + [S.UNDER_CONSTRUCTION]
        if rng.random() < 0.12:
            path += [S.SUSPENDED, S.UNDER_CONSTRUCTION]
        return path

    if status == S.DRAFT:
        return [S.DRAFT]
    if status == S.SUBMITTED:
        return [S.DRAFT, S.SUBMITTED] + ([S.RETURNED, S.SUBMITTED] if rng.random() < 0.15 else [])
    if status == S.RETURNED:
        return [S.DRAFT, S.SUBMITTED, S.RETURNED] + ([S.SUBMITTED, S.RETURNED] if rng.random() < 0.2 else [])
    if status == S.APPROVED:
        return approval()
    if status == S.UNDER_CONSTRUCTION:
        return building()
    if status == S.SUSPENDED:
        return approval() + [S.UNDER_CONSTRUCTION, S.SUSPENDED]
    if status == S.COMPLETED:
        return building() + [S.COMPLETED]
    if status == S.ACCEPTED:
        path = building() + [S.COMPLETED]
        if rng.random() < 0.1:  # acceptance found faults: rework (返工整改)
            path += [S.UNDER_CONSTRUCTION, S.COMPLETED]
        return path + [S.ACCEPTED]
    if status == S.CANCELLED:
        return rng.choice(
            ([S.DRAFT, S.CANCELLED], [S.DRAFT, S.SUBMITTED, S.RETURNED, S.CANCELLED], approval() + [S.CANCELLED])
        )
    raise ValueError(status)


def _timeline(rng: random.Random, status: str, spec: TypeSpec, long_running: bool) -> tuple[list[str], list[date]]:
    """The lifecycle and the date of each of its moves, counted back from the latest move."""
    S = ProjectStatus
    path = _lifecycle(rng, status)
    work_days = rng.randint(*spec.duration)
    gaps, built, completions = [], 0, 0
    for prev, nxt in zip(path, path[1:]):
        if (prev, nxt) == (S.UNDER_CONSTRUCTION, S.COMPLETED):
            gap = max(20, work_days - built) if completions == 0 else rng.randint(20, 60)
            completions += 1
        elif (prev, nxt) == (S.UNDER_CONSTRUCTION, S.SUSPENDED):
            gap = rng.randint(30, 150) if status == S.SUSPENDED else rng.randint(20, max(21, work_days // 2))
        else:
            gap = rng.randint(*GAP_DAYS[(prev, nxt)])
        if prev == S.UNDER_CONSTRUCTION:
            built += gap
        gaps.append(gap)
    anchor = ANCHOR_DAYS[status]
    if status == S.UNDER_CONSTRUCTION:  # building for about as long as the work takes, or longer
        if long_running:
            anchor = (max(120, work_days * 4 // 5), min(500, max(150, work_days * 3 // 2)))
        else:
            anchor = (20, max(30, work_days * 9 // 10))
    elif status == S.APPROVED and rng.random() < 0.15:  # approved long ago, never started
        anchor = (250, 400)
    dates = [REFERENCE_DATE - _days(rng.randint(*anchor))]
    for gap in reversed(gaps):
        dates.insert(0, dates[0] - _days(gap))
    return path, dates


def _plan_project(rng, village, project_type, status, used_names, actors, *, forced: bool) -> _ProjectPlan:
    S = ProjectStatus
    spec = TYPE_SPECS[project_type]
    stale = forced or (status == S.UNDER_CONSTRUCTION and rng.random() < 0.2)
    overdue = forced or (status == S.UNDER_CONSTRUCTION and rng.random() < 0.3) or (
        status == S.SUSPENDED and rng.random() < 0.5
    )
    path, dates = _timeline(rng, status, spec, long_running=stale or overdue)
    plan = _ProjectPlan(project=None, village=village, path=path, dates=dates, stale=stale)
    created = dates[0]
    actual_start = plan.date_of(S.UNDER_CONSTRUCTION)
    actual_end = plan.date_of(S.COMPLETED, last=True) if status in DONE_STATUSES else None

    if actual_start:
        planned_start = max(created + _days(7), actual_start - _days(rng.randint(0, 25)))
    elif status == S.APPROVED:
        planned_start = dates[-1] + _days(rng.randint(15, 60))
    elif status == S.CANCELLED:
        planned_start = created + _days(rng.randint(40, 100))
    else:
        planned_start = dates[-1] + _days(rng.randint(30, 120))
    planned_end = planned_start + _days(rng.randint(*spec.duration))
    if actual_end:
        built = (actual_end - actual_start).days
        planned_end = planned_start + _days(max(30, round(built * rng.uniform(0.85, 1.15))))
    elif status in (S.UNDER_CONSTRUCTION, S.SUSPENDED):
        if overdue:
            planned_end = max(min(planned_end, REFERENCE_DATE - _days(rng.randint(5, 60))), planned_start + _days(45))
        if planned_end >= REFERENCE_DATE or not overdue:
            planned_end = max(planned_end, REFERENCE_DATE + _days(rng.randint(10, 120)))

    name = _project_name(rng, village, spec, used_names)
    township_actor = actors.township(village.township_id)
    project = Project(
        village=village,
        type=project_type,
        name=name,
        description=f"{name}：{spec.summary}。（{SAMPLE_MARK}：演示用虚构项目，金额和进度均非真实数据）",
        budget=Decimal(rng.randrange(spec.budget[0], spec.budget[1] + 1, 1000)),
        planned_start=planned_start,
        planned_end=planned_end,
        actual_start=actual_start,
        actual_end=actual_end,
        status=status,
        responsible_person=_person(rng),
        created_by=township_actor,
        updated_by=actors.for_move(status, village.township_id) if len(path) > 1 else township_actor,
    )
    if status == S.ACCEPTED:
        body, title = MAINTENANCE.get(project_type, DEFAULT_MAINTENANCE)
        project.maintenance_body = body
        project.maintenance_owner = f"{_person(rng)}（{title}）"
        project.property_owner = (
            f"{village.township.name}人民政府" if body == MaintenanceBody.TOWNSHIP_DEPARTMENT
            else f"{village.short_name}股份经济合作社"
        )
    plan.project = project
    plan.overdue = status in OPEN_STATUSES and planned_end < REFERENCE_DATE
    return plan


def _project_name(rng, village: Village, spec: TypeSpec, used: set[str]) -> str:
    phrases = list(spec.phrases)
    rng.shuffle(phrases)
    for phrase in phrases:
        name = f"{village.short_name}{phrase}"
        if name not in used:
            used.add(name)
            return name
    name = f"{village.short_name}{phrases[0]}（二期）"
    used.add(name)
    return name


def _write_timelines(rng: random.Random, plans: list[_ProjectPlan], actors: _Actors) -> None:
    S = ProjectStatus
    rows = []
    for plan in plans:
        township = plan.village.township_id
        previous = ""
        for status, on in zip(plan.path, plan.dates):
            if status == S.DRAFT and previous == "":
                reason = ""
            elif status == S.RETURNED:
                reason = rng.choice(RETURN_REASONS)
            elif status == S.SUSPENDED:
                reason = rng.choice(SUSPEND_REASONS)
            elif status == S.CANCELLED:
                reason = rng.choice(CANCEL_REASONS)
            elif status == S.UNDER_CONSTRUCTION and previous == S.SUSPENDED:
                reason = "具备复工条件，恢复施工"
            elif status == S.UNDER_CONSTRUCTION and previous == S.COMPLETED:
                reason = "验收发现质量问题，返工整改"
            else:
                reason = MOVE_NOTES.get(status, "")
            rows.append(
                ProjectTransition(
                    project=plan.project,
                    from_status=previous,
                    to_status=status,
                    actor=actors.for_move(status, township),
                    at=_at(on, rng),
                    reason=reason,
                )
            )
            previous = status
    ProjectTransition.objects.bulk_create(rows, batch_size=1000)


def _build_windows(plan: _ProjectPlan) -> list[tuple[date, date | None]]:
    """Spans under construction before the first completion: (start, end or None while open)."""
    S = ProjectStatus
    windows = []
    for i, status in enumerate(plan.path):
        if status == S.COMPLETED:
            break
        if status == S.UNDER_CONSTRUCTION:
            windows.append((plan.dates[i], plan.dates[i + 1] if i + 1 < len(plan.path) else None))
    return windows


def _progress_dates(rng: random.Random, plan: _ProjectPlan) -> list[tuple[date, bool]]:
    """Report dates, each with whether it closes the work (a completion report)."""
    S = ProjectStatus
    status = plan.project.status
    open_until = REFERENCE_DATE - _days(rng.randint(31, 75) if plan.stale else rng.randint(0, 12))
    dates = []
    for start, end in _build_windows(plan):
        until = end or open_until
        day = start + _days(rng.randint(7, 21))
        while day < until:
            dates.append((day, False))
            day += _days(rng.randint(14, 35))
    if status == S.UNDER_CONSTRUCTION:
        dates.append((open_until, False))
    elif status == S.SUSPENDED:
        dates.append((plan.dates[-1], False))  # the report that records the stop
    else:
        dates.append((plan.date_of(S.COMPLETED), True))
        if plan.date_of(S.COMPLETED, last=True) != plan.date_of(S.COMPLETED):
            dates.append((plan.date_of(S.COMPLETED, last=True), True))
    unique = []
    for day, final in dates:
        if not unique or day > unique[-1][0]:
            unique.append((day, final))
    return unique


def _plan_reports(rng: random.Random, plans: list[_ProjectPlan], actors: _Actors) -> list[ProgressReport]:
    S = ProjectStatus
    rows = []
    for plan in plans:
        project = plan.project
        if project.status not in (S.UNDER_CONSTRUCTION, S.SUSPENDED, S.COMPLETED, S.ACCEPTED):
            continue
        windows = _build_windows(plan)
        done = project.status in (S.COMPLETED, S.ACCEPTED)
        needed = sum(((end - start).days for start, end in windows), 0) if done else None
        planned = max(30, (project.planned_end - project.planned_start).days)
        speed = rng.uniform(0.5, 0.85) if plan.overdue else rng.uniform(0.75, 1.1)
        cost_factor = Decimal(str(round(rng.uniform(0.86, 0.99), 3)))
        reporter = actors.township(plan.village.township_id)
        percent = 0
        report_dates = _progress_dates(rng, plan)
        for day, final in report_dates:
            built = sum(((min(day, end or day) - start).days for start, end in windows if start <= day), 0)
            if final:
                value = 100
            elif done:
                value = min(99, max(1, round(100 * built / max(1, needed))))
            else:
                value = min(95, max(1, round(100 * built * speed / planned)))
            percent = max(percent, value)
            problems = ""
            if percent < 100 and (rng.random() < 0.15 or (plan.overdue and day == report_dates[-1][0])):
                problems = rng.choice(PROBLEMS)
            if project.status == S.SUSPENDED and day == plan.dates[-1]:
                problems = "项目暂停施工，待复工条件具备后恢复"
            rows.append(
                ProgressReport(
                    project=project,
                    report_date=day,
                    percent_complete=percent,
                    amount_spent=(project.budget * percent * cost_factor / 100).quantize(Decimal("0.01"), ROUND_DOWN),
                    narrative=_narrative(percent),
                    problems=problems,
                    reporter=reporter,
                )
            )
            plan.reports.append((day, percent))
        if plan.reports:
            project.last_reported_on, project.percent_complete = plan.reports[-1]
    return rows


def _narrative(percent: int) -> str:
    if percent >= 100:
        stage = "工程全部完工，进入验收准备"
    elif percent >= 80:
        stage = "主体工程基本完成，正在收尾和清理场地"
    elif percent >= 50:
        stage = "主体工程过半，配套设施同步施工"
    elif percent >= 20:
        stage = "主体工程施工中"
    else:
        stage = "完成施工准备和基础工作"
    return f"{stage}，累计完成{percent}%。"


# --- Assessment ---------------------------------------------------------------------


@dataclass
class _RoundResult:
    finalised_on: date
    passed: set[str]  # village codes


def _lagging_village(rng: random.Random, plans: list[_ProjectPlan]) -> str | None:
    """A village that fails the assessment although it has a project approved that year, so
    that its reward in lieu of subsidy (以奖代补) is allocated but withheld."""
    candidates = sorted({
        p.village.code for p in plans
        if p.project.status in FUNDABLE_STATUSES and p.approved_on.year == SAMPLE_ROUND_YEAR
        and p.village.code not in FEATURED_VILLAGES
    })
    return rng.choice(candidates) if candidates else None


def _seed_assessments(rng, county, villages, actors, lagging: str | None) -> dict[int, _RoundResult]:
    """Each village has a quality (share of the points it tends to earn) that drifts a little
    from round to round; the model villages score high, the lagging one fails."""
    quality = {
        v.code: rng.uniform(0.93, 0.97) if v.code in FEATURED_VILLAGES else min(0.97, max(0.45, rng.gauss(0.78, 0.1)))
        for v in villages
    }
    results = {}
    for year, finalised_on, closed in ASSESSMENT_ROUNDS:
        drift = {code: rng.gauss(0.015, 0.04) for code in quality} if year > ASSESSMENT_ROUNDS[0][0] else {}
        for code, value in drift.items():
            quality[code] = min(0.98, max(0.4, quality[code] + value))
        if lagging:
            quality[lagging] = min(quality[lagging], rng.uniform(0.4, 0.5))
        results[year] = _seed_round(rng, county, villages, actors, year, finalised_on, closed, quality)
    return results


def _seed_round(rng, county, villages, actors, year, finalised_on, closed, quality) -> _RoundResult:
    scheme = AssessmentScheme.objects.create(
        name=scheme_name(county, year),
        kind=SchemeKind.ANNUAL,
        year=year,
        region=county,
        excellent_min=90,
        good_min=80,
        pass_min=60,
        bottom_percent=5,
        bottom_min=3,
        follow_up_days=FOLLOW_UP_DAYS,
    )
    indicators = Indicator.objects.bulk_create(
        Indicator(scheme=scheme, category=category, name=name, description=standard, max_score=Decimal(points), order=i)
        for i, (category, name, points, standard) in enumerate(INDICATORS, start=1)
    )
    finalised_at = datetime.combine(finalised_on, time(10, 0), tzinfo=_TZ)
    assessments, scores = [], []
    for village in villages:
        assessment = Assessment(
            scheme=scheme, village=village, period=str(year), status=AssessmentStatus.FINALISED,
            assessor=actors.county, finalised_at=finalised_at,
        )
        total = Decimal(0)
        for indicator in indicators:
            share = min(1.0, max(0.2, quality[village.code] + rng.gauss(0, 0.07)))
            score = (Decimal(round(share * float(indicator.max_score) * 2)) / 2).quantize(Decimal("0.01"))
            score = min(score, indicator.max_score)
            total += score
            scores.append(
                IndicatorScore(assessment=assessment, indicator=indicator, score=score, max_score=indicator.max_score)
            )
        assessment.total_score = total
        assessment.grade = scheme.grade_for(total)
        assessments.append(assessment)
    Assessment.objects.bulk_create(assessments, batch_size=500)
    IndicatorScore.objects.bulk_create(scores, batch_size=1000)
    _follow_ups(rng, scheme, assessments, finalised_on, closed)
    scheme.created_at = scheme.updated_at = _noon(date(year, 3, 1))
    _backdate(AssessmentScheme, [scheme], created_at=True, updated_at=True)
    return _RoundResult(
        finalised_on=finalised_on,
        passed={a.village_id for a in assessments if a.grade in PASSING_GRADES},
    )


def bottom_group(scheme: AssessmentScheme, assessments: list[Assessment]) -> list[tuple[Assessment, int]]:
    """The lowest-ranked assessments and their rank (1 = best; ties share a rank).

    The group has ceil(bottom_percent % of the villages ranked) members, at
    least ``bottom_min``, and takes in everyone tied with its last member.
    """
    from assessment.selectors import bottom_group as rule  # the same rule as assessment.services.round_finalise

    group = rule([a.total_score for a in assessments], scheme.bottom_percent, scheme.bottom_min)
    return sorted(((assessments[i], rank) for i, rank in group), key=lambda pair: (pair[1], pair[0].village_id))


def _follow_ups(rng, scheme, assessments, finalised_on: date, closed: bool) -> list[FollowUp]:
    rows = []
    for assessment, rank in bottom_group(scheme, assessments):
        follow_up = FollowUp(
            assessment=assessment,
            village_id=assessment.village_id,
            rank=rank,
            ranked_among=len(assessments),
            due_date=finalised_on + _days(scheme.follow_up_days),
            status=FollowUpStatus.OPEN,
        )
        if closed:
            follow_up.talk_held_on = finalised_on + _days(rng.randint(7, 20))
            follow_up.talk_notes = "县农业农村局约谈村党组织书记和村委会主任，通报考核排名，指出垃圾分类和长效管护短板。"
            follow_up.rectified_on = follow_up.talk_held_on + _days(rng.randint(30, 70))
            follow_up.rectification = "制定整改清单，落实保洁队伍和管护经费，完成垃圾分类点位改造。"
            follow_up.reinspected_on = follow_up.rectified_on + _days(rng.randint(5, 20))
            follow_up.reinspection_notes = "复查合格，整改到位。"
            follow_up.status = FollowUpStatus.CLOSED
        rows.append(follow_up)
    FollowUp.objects.bulk_create(rows)
    for follow_up in rows:
        follow_up.created_at = _noon(finalised_on)
        follow_up.updated_at = _noon(follow_up.reinspected_on or finalised_on)
    _backdate(FollowUp, rows, created_at=True, updated_at=True)
    return rows


# --- Funding ------------------------------------------------------------------------


@dataclass
class _Entry:
    """A planned allocation and the payments out of it."""

    source: FundingSource
    plan: _ProjectPlan
    amount: Decimal
    on: date
    payments: list[tuple[Decimal, date]] = field(default_factory=list)
    allocation: Allocation | None = None
    mistaken: Decimal | None = None  # a first entry of this amount was reversed on ``on``
    mistaken_on: date | None = None


class _Sources:
    """The county's funding sources, created on first use, keyed by kind, year and village."""

    def __init__(self, rng: random.Random, county: Region, actors: _Actors):
        self.rng = rng
        self.county = county
        self.city = county.parent
        self.province = county.parent.parent
        self.actors = actors
        self.by_key: dict[tuple, FundingSource] = {}

    def get(self, kind: str, year: int, village: Village | None = None) -> FundingSource:
        key = (kind, year, village.code if village else None)
        if key not in self.by_key:
            self.by_key[key] = self._new(kind, year, village)
        return self.by_key[key]

    def _new(self, kind: str, year: int, village: Village | None) -> FundingSource:
        county, city, province = self.county, self.city, self.province
        K = SourceKind
        mechanism = Mechanism.DIRECT_GRANT
        region = county
        if kind == K.PROVINCIAL_SPECIAL:
            region = province
            if year >= SAMPLE_ROUND_YEAR:
                name, mechanism = f"{year}年省级千万工程以奖代补资金（{county.name}）", Mechanism.REWARD_IN_LIEU
            else:
                name = f"{year}年省级美丽乡村建设专项资金（{county.name}）"
        elif kind == K.CITY_MATCHING:
            region, mechanism = city, Mechanism.BUILD_THEN_SUBSIDIZE
            name = f"{year}年{city.name}村庄整治先建后补资金（{county.name}）"
        elif kind == K.COUNTY_BUDGET:
            name = f"{county.name}{year}年村庄整治县级财政预算"
        elif kind == K.INTEGRATED_SECTORAL:
            name = f"{county.name}{year}年整合涉农资金（农村人居环境）"
        elif kind == K.ENTERPRISE:
            name = f"{county.name}{year}年社会资本参与乡村产业项目"
        else:
            label = {K.VILLAGE_COLLECTIVE: "村集体投入", K.FARMER: "农民自筹及投工投劳折资", K.SOCIAL_DONATION: "乡贤捐赠"}[kind]
            name = f"{village.township.name}{village.short_name}{label}（{year}年）"
        document_no = f"{region.name[0]}财农〔{year}〕{self.rng.randint(5, 120)}号" if kind in (
            K.PROVINCIAL_SPECIAL, K.CITY_MATCHING, K.COUNTY_BUDGET, K.INTEGRATED_SECTORAL
        ) else ""
        return FundingSource(
            name=name, kind=kind, mechanism=mechanism, region=region, village=village, fiscal_year=year,
            # Provincial and city money is earmarked for the county it was appropriated to.
            beneficiary_region=county if region != county else None,
            total_amount=Decimal(0), document_no=document_no,
            note=f"{source_mark(county.code)}：{county.name}千万工程演示用虚构资金，金额非真实拨款。",
            created_by=self.actors.county,
        )


def _seed_funding(rng, county, villages, plans, results, actors, lagging: str | None) -> None:
    fundable = [p for p in plans if p.project.status in FUNDABLE_STATUSES]
    sources = _Sources(rng, county, actors)
    village_money = _village_money_plan(rng, fundable)
    entries = []
    for plan in fundable:
        entries += _allocate(rng, sources, plan, village_money, lagging)
    _ensure_every_kind(sources, villages, village_money)
    _mistaken_entry(rng, entries)
    for entry in entries:
        entry.payments = _payments(rng, entry, results)
    _write_ledger(rng, county, sources, entries, actors)


def _village_money_plan(rng, fundable: list[_ProjectPlan]) -> dict[str, set[str]]:
    """Which villages put in money of their own, by kind: village codes."""
    codes = sorted({p.village.code for p in fundable})
    featured = [c for c in codes if c in FEATURED_VILLAGES]
    others = [c for c in codes if c not in FEATURED_VILLAGES]

    def some(k):
        return set(featured) | set(rng.sample(others, min(k, len(others))))

    return {
        SourceKind.VILLAGE_COLLECTIVE: some(4),
        SourceKind.FARMER: some(3),
        SourceKind.SOCIAL_DONATION: set(featured[:1]) | set(rng.sample(others, min(2, len(others)))),
    }


def _allocate(rng, sources: _Sources, plan: _ProjectPlan, village_money, lagging: str | None) -> list[_Entry]:
    """The project's funding mix: shares of its budget from each source, never more than the budget."""
    K = SourceKind
    project = plan.project
    approved = plan.approved_on
    year = min(max(approved.year, FISCAL_YEARS[0]), FISCAL_YEARS[-1])
    # (kind, fiscal year, village or None, share of the budget)
    shares: list[tuple[str, int, Village | None, float]] = [(K.COUNTY_BUDGET, year, None, rng.uniform(0.3, 0.45))]
    if project.type in SECTORAL_TYPES:
        shares.append((K.INTEGRATED_SECTORAL, year, None, rng.uniform(0.15, 0.25)))
    if approved.year <= 2024 and rng.random() < 0.8:
        shares.append((K.PROVINCIAL_SPECIAL, 2024, None, rng.uniform(0.1, 0.2)))
    elif approved.year == SAMPLE_ROUND_YEAR and (rng.random() < 0.7 or plan.village.code == lagging):
        shares.append((K.PROVINCIAL_SPECIAL, SAMPLE_ROUND_YEAR, None, rng.uniform(0.1, 0.15)))
    building = project.status in (ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED)
    if building and rng.random() < (0.8 if project.status == ProjectStatus.ACCEPTED else 0.5):
        shares.append((K.CITY_MATCHING, SAMPLE_ROUND_YEAR, None, rng.uniform(0.08, 0.15)))
    if project.type in ENTERPRISE_TYPES and rng.random() < 0.7:
        shares.append((K.ENTERPRISE, year, None, rng.uniform(0.2, 0.35)))
    for kind, (low, high) in (
        (K.VILLAGE_COLLECTIVE, (0.05, 0.12)), (K.FARMER, (0.03, 0.08)), (K.SOCIAL_DONATION, (0.05, 0.1))
    ):
        if plan.village.code in village_money[kind]:
            shares.append((kind, year, plan.village, rng.uniform(low, high)))
    entries, left = [], project.budget
    for kind, fiscal_year, village, share in shares:
        amount = min(_yuan(project.budget * Decimal(str(round(share, 4)))), left)
        on = max(approved + _days(rng.randint(3, 30)), date(fiscal_year, 1, 1) + _days(rng.randint(5, 40)))
        if amount <= 0 or on > REFERENCE_DATE:
            continue
        left -= amount
        entries.append(_Entry(source=sources.get(kind, fiscal_year, village), plan=plan, amount=amount, on=on))
    return entries


def _ensure_every_kind(sources: _Sources, villages, village_money) -> None:
    """A source of every kind even where no project drew on it (a small county)."""
    present = {kind for kind, _year, _village in sources.by_key}
    for kind in SourceKind:
        if kind in present:
            continue
        village = None
        if kind in village_money:
            codes = sorted(village_money[kind]) or [villages[0].code]
            village = next(v for v in villages if v.code == codes[0])
        year = SAMPLE_ROUND_YEAR if kind != SourceKind.PROVINCIAL_SPECIAL else 2024
        sources.get(kind, year, village)
    if not any(s.mechanism == Mechanism.REWARD_IN_LIEU for s in sources.by_key.values()):
        sources.get(SourceKind.PROVINCIAL_SPECIAL, SAMPLE_ROUND_YEAR)


def _mistaken_entry(rng, entries: list[_Entry]) -> None:
    """One allocation first booked with 100,000 yuan too much, reversed, and booked again."""
    candidates = [
        e for e in entries
        if e.source.kind == SourceKind.COUNTY_BUDGET and e.on - e.plan.approved_on >= _days(3)
    ]
    if not candidates:
        return
    entry = rng.choice(candidates)
    entry.mistaken = entry.amount + Decimal(100_000)
    entry.mistaken_on = max(entry.plan.approved_on + _days(1), entry.on - _days(rng.randint(2, 8)))


def _payments(rng, entry: _Entry, results: dict[int, _RoundResult]) -> list[tuple[Decimal, date]]:
    """Payments out of an allocation, within the amount and the rules of the source's mechanism."""
    S = ProjectStatus
    project, source = entry.plan.project, entry.source
    start = entry.on + _days(5)
    if source.mechanism == Mechanism.BUILD_THEN_SUBSIDIZE:
        if project.status != S.ACCEPTED:
            return []
        day = min(REFERENCE_DATE, max(start, entry.plan.accepted_on + _days(rng.randint(10, 45))))
        return [(entry.amount, day)]
    if source.mechanism == Mechanism.REWARD_IN_LIEU:
        result = results.get(source.fiscal_year)
        if result is None or project.village_id not in result.passed:
            return []
        day = min(REFERENCE_DATE, max(start, result.finalised_on + _days(rng.randint(10, 50))))
        return [(entry.amount, day)]
    # Direct grant: paid as the work advances, the balance after acceptance.
    if project.status == S.APPROVED:
        fraction, count, end = (rng.uniform(0.2, 0.3), 1, REFERENCE_DATE) if rng.random() < 0.3 else (0, 0, None)
    elif project.status in (S.UNDER_CONSTRUCTION, S.SUSPENDED):
        fraction = min(0.9, project.percent_complete / 100 + 0.1)
        count, end = rng.randint(1, 3), project.last_reported_on
    elif project.status == S.COMPLETED:
        fraction, count, end = rng.uniform(0.8, 0.9), rng.randint(2, 3), REFERENCE_DATE
    else:
        paid_off = max(entry.plan.accepted_on, start) + _days(rng.randint(5, 40))
        fraction, count, end = 1.0, rng.randint(2, 4), min(REFERENCE_DATE, paid_off)
    if not count or end is None or end < start:
        return []
    target = _yuan(entry.amount * Decimal(str(round(fraction, 4))), 100)
    target = min(target, entry.amount)
    span = (end - start).days
    count = min(count, span + 1)
    days = sorted(rng.sample(range(span + 1), count))
    if project.status == S.ACCEPTED:
        days[-1] = span  # the balance is paid after acceptance
        days = sorted(set(days))
    weights = [rng.uniform(0.5, 1.5) for _ in days]
    payments, paid = [], Decimal(0)
    for i, (offset, weight) in enumerate(zip(days, weights)):
        if i == len(days) - 1:
            amount = target - paid
        else:
            amount = min(_yuan(target * Decimal(str(round(weight / sum(weights), 4))), 100), target - paid)
        if amount > 0:
            payments.append((amount, start + _days(offset)))
            paid += amount
    return payments


def _write_ledger(rng, county: Region, sources: _Sources, entries: list[_Entry], actors: _Actors) -> None:
    # Totals: what the entries need (counting the mistaken one) plus unallocated headroom.
    booked: dict[int, Decimal] = {}
    for entry in entries:
        booked[id(entry.source)] = booked.get(id(entry.source), Decimal(0)) + entry.amount + (entry.mistaken or 0)
    all_sources = list(sources.by_key.values())
    for source in all_sources:
        need = booked.get(id(source))
        if need:
            headroom = Decimal(str(round(rng.uniform(1.05, 1.25), 3)))
            source.total_amount = Decimal(math.ceil(need * headroom / 10_000) * 10_000)
        else:
            source.total_amount = Decimal(rng.randrange(200_000, 1_000_001, 10_000))
    all_sources.sort(key=lambda s: (s.fiscal_year, s.region_id, s.kind, s.name))
    FundingSource.objects.bulk_create(all_sources)

    county_actor = actors.county
    mistaken = {}
    for entry in entries:
        if entry.mistaken:
            mistaken[id(entry)] = Allocation(
                source=entry.source, project=entry.plan.project, amount=entry.mistaken,
                allocated_on=entry.mistaken_on, created_by=county_actor,
            )
        entry.allocation = Allocation(
            source=entry.source, project=entry.plan.project, amount=entry.amount,
            allocated_on=entry.on, created_by=county_actor,
        )
    Allocation.objects.bulk_create(list(mistaken.values()) + [e.allocation for e in entries], batch_size=1000)
    reversals = []
    for entry in entries:
        original = mistaken.get(id(entry))
        if original:
            reversals.append(
                Allocation(
                    source=entry.source, project=entry.plan.project, amount=-original.amount, allocated_on=entry.on,
                    reverses=original, created_by=county_actor,
                    reason=f"金额录入错误（多录100,000元），冲销后按{entry.amount:,.2f}元重新下达。（{SAMPLE_MARK}）",
                )
            )
    Allocation.objects.bulk_create(reversals)

    payments, number = [], 0
    for entry in sorted(entries, key=lambda e: (e.on, e.allocation.pk)):
        for amount, day in entry.payments:
            number += 1
            payments.append(
                Disbursement(
                    allocation=entry.allocation, amount=amount, paid_on=day,
                    voucher_no=f"{county.code}-{day.year}-{number:05d}", created_by=county_actor,
                )
            )
    Disbursement.objects.bulk_create(payments, batch_size=1000)

    for source in all_sources:
        source.created_at = source.updated_at = _noon(date(source.fiscal_year, 1, 2))
    _backdate(FundingSource, all_sources, created_at=True, updated_at=True)
