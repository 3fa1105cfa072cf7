"""Supervision in the sample programme (督查): the county's visits of the last half year, most unannounced (四不两直),
and one of the city's; each finds problems in some of the villages visited (with a photo); the township rectifies
most of those past or near their deadline (with a photo), the visit's office re-checks them and closes most,
reopening a few; the rest are still to be rectified, some of them overdue. Everything through the services, by the
accounts that hold the roles the gate asks for (sample.base._Actors)."""
from __future__ import annotations

import datetime
import random

from oversight import services
from oversight.models import ProblemCategory, ProblemSeverity, VisitKind
from projects.models import Project, ProjectStatus
from villages.models import Region, Village

from .base import Timeline, _Actors
from .upkeep import _photo

FINDINGS = {
    ProblemCategory.SANITATION: "村口及主干道两侧垃圾堆放，保洁不到位",
    ProblemCategory.SEWAGE: "终端出水浑浊，检查井盖破损",
    ProblemCategory.TOILETS: "公厕无人保洁，洗手设施损坏",
    ProblemCategory.WASTE: "分类垃圾桶混投，清运不及时",
    ProblemCategory.ROADS: "村道路面坑洼，排水沟堵塞",
    ProblemCategory.GREENING: "新植苗木大面积枯死，未补植",
    ProblemCategory.PROGRESS: "项目进度滞后于计划，现场停工",
    ProblemCategory.QUALITY: "管网回填不实，路面沉降",
    ProblemCategory.FUNDS: "资金拨付凭证不全",
    ProblemCategory.UPKEEP: "设施无管护记录，管护人员不在岗",
}
RECTIFIED = "已落实整改，现场已复原并建立台账"
INSPECTORS = ("县农业农村局督查组", "县“千万工程”专班督查组", "县纪委监委、县农业农村局联合督查组")


def seed_supervision(rng: random.Random, county: Region, villages: list[Village], actors: _Actors, line: Timeline) -> int:
    """Return the number of problems found."""
    today = line.today
    offices = [(county, actors.county, inspectors) for inspectors in INSPECTORS]
    city = county.parent
    offices.append((city, actors.for_region(city.code), f"{city.name}美丽乡村督查组"))
    found = 0
    for number, (office, inspector, names) in enumerate(offices):
        visited_on = today - datetime.timedelta(days=170 - number * 45 + rng.randint(0, 10))
        visited = rng.sample(villages, min(len(villages), rng.randint(3, 5)))
        projects = list(Project.objects.filter(village__in=visited, status=ProjectStatus.UNDER_CONSTRUCTION)[:3])
        visit = services.visit_record(
            actor=inspector, region=office, kind=VisitKind.ANNOUNCED if number == 1 else VisitKind.UNANNOUNCED,
            visited_on=visited_on, inspectors=names, summary=f"{visited_on:%Y年%m月}督查，直奔现场、直面问题。",
            villages=visited, projects=projects,
        )
        for village in visited:
            for _ in range(rng.choice((0, 1, 1, 2))):
                category = rng.choice(list(FINDINGS))
                project = next((p for p in projects if p.village_id == village.code), None) if category in (
                    ProblemCategory.PROGRESS, ProblemCategory.QUALITY) else None
                problem = services.finding_add(
                    actor=inspector, visit=visit, village=village, project=project, category=category,
                    severity=rng.choices(list(ProblemSeverity), weights=(6, 3, 1))[0], description=FINDINGS[category],
                    deadline=visited_on + datetime.timedelta(days=rng.choice((15, 30, 30, 45))), photos=[_photo(rng)],
                )
                found += 1
                _follow(rng, problem, inspector, actors, today)
    return found


def _follow(rng: random.Random, problem, inspector, actors: _Actors, today: datetime.date) -> None:
    """What became of a problem: most of those whose deadline is near or past are rectified, and most of those
    re-checked and closed; a few reopened; the rest still open (some overdue)."""
    if problem.deadline > today + datetime.timedelta(days=10) or rng.random() < 0.25:
        return
    official = actors.township(problem.township_id)
    rectified_on = min(today, problem.found_on + datetime.timedelta(days=rng.randint(5, 25)))
    services.problem_rectify(actor=official, problem=problem, rectified_on=rectified_on, rectification=RECTIFIED,
                             photos=[_photo(rng)])
    if rng.random() < 0.2:
        return  # waiting for the office's re-check
    if rng.random() < 0.15:
        services.problem_reopen(actor=inspector, problem=problem, reason="复查发现整改不彻底，问题仍然存在")
        return
    closed_on = min(today, rectified_on + datetime.timedelta(days=rng.randint(3, 10)))
    services.problem_close(actor=inspector, problem=problem, on_date=closed_on, note="复查合格，予以销号")


def seed_bulletin(county: Region, actors: _Actors, line: Timeline):
    """The county's bulletin (通报) of last month, composed from the figures, approved and published (its PDF)."""
    from bulletins import services as bulletins

    end = line.today.replace(day=1) - datetime.timedelta(days=1)
    bulletin = bulletins.bulletin_compose(actor=actors.county, region=county, period_start=end.replace(day=1),
                                          period_end=end, today=line.today)
    bulletins.bulletin_approve(actor=actors.county, bulletin=bulletin)
    return bulletins.bulletin_publish(actor=actors.county, bulletin=bulletin)
