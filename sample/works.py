"""The projects of the sample programme: which villages, types and statuses, each project's
lifecycle and dates, its timeline and its progress reports."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_DOWN, Decimal

from core import scoping
from core.models import Role
from projects.models import (
    DONE_STATUSES,
    LIFECYCLE_ACTIONS,
    OPEN_STATUSES,
    LifecycleAction,
    MaintenanceBody,
    ProgressReport,
    Project,
    ProjectStatus,
    ProjectTransition,
    ProjectType,
)
from projects.services import progress_report_create, project_create, project_transition
from villages.models import Region, Village

from .base import (
    FEATURED_VILLAGES,
    SAMPLE_MARK,
    Timeline,
    _Actors,
    _at,
    _backdate,
    _days,
    _noon,
    _person,
    _weighted_sample,
)
from .plans import accepted_output, cite, planned_output, seed_plans

VILLAGE_SHARE = 0.6  # of the village committees get projects
# How many projects fall behind, as a county would see it: a handful overdue (past the planned end, work not
# finished), a few silent (no progress report in 30 days), a few approved long ago and never started.
OVERDUE_SHARE = {ProjectStatus.UNDER_CONSTRUCTION: 0.05, ProjectStatus.SUSPENDED: 0.25}
STALE_SHARE = 0.1  # of the projects under construction
STALLED_SHARE = 0.08  # of the approved projects
MIN_PROJECTS = max(len(ProjectType), len(ProjectStatus) + 4)

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
# Days before the reference day of a project's latest move, by its status (at least one: no move is dated on the
# reference day itself, whose timestamps could lie ahead of the clock).
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


# --- Projects -----------------------------------------------------------------------


@dataclass
class _ProjectPlan:
    project: Project
    village: Village
    path: list[str]
    dates: list[date]
    stale: bool = False
    overdue: bool = False
    fresh: bool = False  # reports on the reference day itself (a model village's work under way)
    reports: list[tuple[date, int]] = field(default_factory=list)
    report_rows: list[ProgressReport] = field(default_factory=list)  # planned, written by progress_report_create
    moves: list[tuple[datetime, str]] = field(default_factory=list)  # (when, reason) of each status in ``path``

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


def _seed_projects(
    rng: random.Random, county: Region, villages: list[Village], actors: _Actors, line: Timeline
) -> list[_ProjectPlan]:
    slots = _project_slots(rng, villages)
    first_building = next(i for i, (_v, _t, s) in enumerate(slots) if s == ProjectStatus.UNDER_CONSTRUCTION)
    used_names: set[str] = set()
    plans = []
    for index, (village, project_type, status) in enumerate(slots):
        # One project under construction is certainly overdue and without a recent report.
        forced = index == first_building
        plan = _plan_project(rng, village, project_type, status, used_names, line.today, forced=forced)
        # The model villages' work under way is reported on the reference day itself, so that this month's figures
        # (the dashboard's trend) are never empty, even on the first of a month.
        plan.fresh = not forced and status == ProjectStatus.UNDER_CONSTRUCTION and village.code in FEATURED_VILLAGES
        plans.append(plan)
    _plan_reports(rng, plans, line.today)  # sets each project's percent and last report
    _plan_moves(rng, plans)
    plan_rng = random.Random(rng.random())
    items = seed_plans(plan_rng, county, villages, [plan.project for plan in plans], actors, line)
    for index, plan in enumerate(plans):
        plan.project = _write_project(plan, actors, item=items[index], rng=plan_rng)
    _backdate_projects(plans, line)
    return plans


# A progress report on the day of one of these moves is written before it: the project is closed afterwards.
CLOSING = {ProjectStatus.ACCEPTED, ProjectStatus.CANCELLED}


def _townships_move(action: LifecycleAction) -> bool:
    """Is the action the township official's (submit, start, ...), not the county's (approve, accept, ...)?"""
    return Role.TOWNSHIP_OFFICIAL in scoping.PERMISSIONS[action.permission]


def _action(from_status: str, to_status: str) -> LifecycleAction:
    return next(a for a in LIFECYCLE_ACTIONS.values() if from_status in a.sources and a.target == to_status)


def _write_project(plan: _ProjectPlan, actors: _Actors, *, item, rng) -> Project:
    """The project's life through the services, in date order: created as a draft citing its plan item (or outside
    the plan, with the county's exception), each move of its path (dated ``on_date``: the start and completion
    dates follow the timeline), each progress report."""
    planned = plan.project
    township = actors.township(plan.village.township_id)
    project = project_create(
        actor=township, village=plan.village,
        data={f: getattr(planned, f) for f in ("type", "name", "description", "budget", "planned_output", "planned_start",
                                                 "planned_end", "responsible_person")},
    )
    cite(rng, project, item, actors, township, stays_draft=len(plan.path) == 1)
    events = []  # (date, order, move index or report)
    for index in range(1, len(plan.path)):
        events.append((plan.dates[index], 1 if plan.path[index] in CLOSING else 0, index, None))
    for row in plan.report_rows:
        events.append((row.report_date, 0.5, 0, row))
    for day, _order, index, row in sorted(events, key=lambda e: e[:3]):
        if row is not None:
            progress_report_create(
                actor=township, project=project, report_date=row.report_date, percent_complete=row.percent_complete,
                amount_spent=row.amount_spent, narrative=row.narrative, problems=row.problems,
            )
            continue
        action = _action(plan.path[index - 1], plan.path[index])
        maintenance = output = None
        if action.target == ProjectStatus.ACCEPTED:
            maintenance = {f: getattr(planned, f) for f in ("maintenance_body", "maintenance_owner", "property_owner")}
            output = accepted_output(rng, planned.planned_output)
        project = project_transition(
            actor=township if _townships_move(action) else actors.county, project=project, action=action.name,
            reason=plan.moves[index][1], maintenance=maintenance, actual_output=output, on_date=day,
        )
    project.refresh_from_db()
    return project


def _backdate_projects(plans: list[_ProjectPlan], line: Timeline) -> None:
    """The services stamp the clock; the sample's rows carry its timeline: each move at its planned moment,
    each project created on its first day and last changed at its latest move or report."""
    transitions = []
    by_project = {plan.project.pk: plan for plan in plans}
    rows = ProjectTransition.objects.filter(project__in=list(by_project)).order_by("project_id", "pk")
    seen: dict[int, int] = {}
    for row in rows:
        index = seen.get(row.project_id, 0)
        seen[row.project_id] = index + 1
        row.at = by_project[row.project_id].moves[index][0]
        transitions.append(row)
    _backdate(ProjectTransition, transitions, at=True)
    for plan in plans:
        plan.project.created_at = _noon(plan.dates[0])
        latest = max([plan.dates[-1]] + [day for day, _ in plan.reports])
        plan.project.updated_at = line.stamp(latest, time(18, 30))
    _backdate(Project, [plan.project for plan in plans], created_at=True, updated_at=True)


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


def _timeline(
    rng: random.Random, status: str, spec: TypeSpec, long_running: bool, today: date
) -> tuple[list[str], list[date], bool]:
    """The lifecycle and the date of each of its moves, counted back from the latest move (some days before the
    reference day ``today``); and whether an approved project was approved long ago and never started."""
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
    stalled = status == S.APPROVED and rng.random() < STALLED_SHARE  # approved long ago, never started
    if stalled:
        anchor = (250, 400)
    dates = [today - _days(rng.randint(*anchor))]
    for gap in reversed(gaps):
        dates.insert(0, dates[0] - _days(gap))
    return path, dates, stalled


def _plan_project(rng, village, project_type, status, used_names, today: date, *, forced: bool) -> _ProjectPlan:
    S = ProjectStatus
    spec = TYPE_SPECS[project_type]
    stale = forced or (status == S.UNDER_CONSTRUCTION and rng.random() < STALE_SHARE)
    overdue = forced or (status in OVERDUE_SHARE and rng.random() < OVERDUE_SHARE[status])
    path, dates, stalled = _timeline(rng, status, spec, long_running=stale or overdue, today=today)
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
            planned_end = max(min(planned_end, today - _days(rng.randint(5, 60))), planned_start + _days(45))
        if planned_end >= today or not overdue:
            planned_end = max(planned_end, today + _days(rng.randint(10, 120)))
    elif status == S.APPROVED and not stalled:  # approved lately: its work lies ahead
        planned_end = max(planned_end, today + _days(rng.randint(30, 150)))

    name = _project_name(rng, village, spec, used_names)
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
        planned_output=planned_output(rng, project_type),
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
    plan.overdue = status in OPEN_STATUSES and planned_end < today
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


def _plan_moves(rng: random.Random, plans: list[_ProjectPlan]) -> None:
    """The moment and the note of each move of each project's path (the first is its creation as a draft)."""
    S = ProjectStatus
    for plan in plans:
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
            plan.moves.append((_at(on, rng), reason))
            previous = status


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


def _progress_dates(rng: random.Random, plan: _ProjectPlan, today: date) -> list[tuple[date, bool]]:
    """Report dates, each with whether it closes the work (a completion report)."""
    S = ProjectStatus
    status = plan.project.status
    open_until = today - _days(rng.randint(31, 75) if plan.stale else rng.randint(0, 12))
    if plan.fresh:
        open_until = today
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


def _plan_reports(rng: random.Random, plans: list[_ProjectPlan], today: date) -> None:
    S = ProjectStatus
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
        percent = 0
        report_dates = _progress_dates(rng, plan, today)
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
            plan.report_rows.append(
                ProgressReport(
                    project=project,
                    report_date=day,
                    percent_complete=percent,
                    amount_spent=(project.budget * percent * cost_factor / 100).quantize(Decimal("0.01"), ROUND_DOWN),
                    narrative=_narrative(percent),
                    problems=problems,
                )
            )
            plan.reports.append((day, percent))
        if plan.reports:
            project.last_reported_on, project.percent_complete = plan.reports[-1]


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
