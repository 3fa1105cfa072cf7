"""The sample programme's plans and targets (规划先行): a construction plan for every village with projects (its
items are the work its projects carry out, and some work still ahead), a layout plan for the county, a few plans
revised with a reason, a handful of projects outside the plan with the county's exception, yearly targets from the
province down to the townships for the reference year and the year before (one township breakdown left not
adding up, as it happens), and the county's creation lists (创建名单). Everything through planning.services."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from planning.models import CREATION_CATEGORIES, CREATION_KINDS, PlanItem, Target, TargetKind
from planning.services import (
    citation_set,
    creation_list_add,
    exception_decide,
    plan_create,
    plan_item_add,
    plan_revise,
    target_break_down,
    target_set,
)
from projects.models import OUTPUT_UNITS, OutputUnit, Project, ProjectStatus, ProjectType
from villages.models import Region, Village, VillageCategory

from .base import SAMPLE_MARK, Timeline, _Actors

# Output of one project of each unit: (low, high, step).
OUTPUT_RANGES = {
    OutputUnit.HOUSEHOLDS: (20, 240, 1),
    OutputUnit.KM: (0.5, 8, 0.1),
    OutputUnit.STATIONS: (1, 6, 1),
    OutputUnit.LAMPS: (20, 200, 1),
    OutputUnit.SQUARE_METRES: (500, 9000, 10),
    OutputUnit.SITES: (1, 3, 1),
}
OUT_OF_PLAN_SHARE = 0.06
REVISED_SHARE = 0.12
OUT_OF_PLAN_REASONS = ("汛期山洪冲毁村道，应急抢修", "上级专项资金新增下达，规划编制时未列入", "村民代表大会新提出的急需项目")
REVISION_REASONS = ("污水管网走向随新村道调整", "按县村庄布局规划修编结果同步调整", "新增美丽庭院创建任务")


def planned_output(rng: random.Random, project_type: str) -> Decimal:
    low, high, step = OUTPUT_RANGES[OUTPUT_UNITS[project_type]]
    steps = int(round((high - low) / step))
    value = Decimal(str(low)) + Decimal(str(step)) * rng.randint(0, steps)
    return value.quantize(Decimal("0.01"))


def accepted_output(rng: random.Random, planned: Decimal) -> Decimal:
    """What the county accepts: about what was planned, a little more or less."""
    return (planned * Decimal(str(rng.uniform(0.9, 1.05)))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def seed_plans(rng: random.Random, county: Region, villages: list[Village], projects: list[Project], actors: _Actors,
               line: Timeline) -> dict[int, PlanItem | None]:
    """The plans, before the projects are written: {index of the project in ``projects``: the item it carries out,
    or None for a project outside the plan}. ``projects`` are the unsaved projects of the sample (works.py)."""
    by_village: dict[str, list[int]] = defaultdict(list)
    for index, project in enumerate(projects):
        by_village[project.village_id].append(index)
    start_year = min(p.planned_start.year for p in projects) if projects else line.today.year
    valid_from, valid_until = date(start_year, 1, 1), date(line.today.year + 3, 12, 31)
    layout = plan_create(actor=actors.county, area=county, data={
        "title": f"{county.name}村庄布局规划（{start_year}—{line.today.year + 3}年）", "approved_on": date(start_year, 1, 1),
        "approved_by": f"{county.name}人民政府", "valid_from": valid_from, "valid_until": valid_until,
    })
    plan_item_add(actor=actors.county, plan=layout, data={
        "village": None, "kind": ProjectType.SEWAGE, "name": f"{county.name}污水处理厂至乡镇主干管（{SAMPLE_MARK}）",
        "quantity": Decimal("36.50"), "estimated_cost": Decimal("42000000"), "planned_year": line.today.year,
    })
    cited: dict[int, PlanItem | None] = {}
    village_by_code = {v.code: v for v in villages}
    for code in sorted(by_village):
        village = village_by_code[code]
        official = actors.township(village.township_id)
        plan = plan_create(actor=official, area=village, data={
            "title": f"{village.short_name}村庄建设规划", "approved_on": date(start_year, 1, 1),
            "approved_by": f"{village.township.name}人民政府", "valid_from": valid_from, "valid_until": valid_until,
        })
        for index in by_village[code]:
            project = projects[index]
            if rng.random() < OUT_OF_PLAN_SHARE:
                cited[index] = None
                continue
            cited[index] = plan_item_add(actor=official, plan=plan, data={
                "village": village, "kind": project.type, "name": project.name, "quantity": project.planned_output,
                "estimated_cost": project.budget, "planned_year": project.planned_start.year,
            })
        # Work still ahead: an item for next year that no project carries out yet.
        kind = rng.choice(ProjectType.values)
        plan_item_add(actor=official, plan=plan, reason="", data={
            "village": village, "kind": kind, "name": f"{village.short_name}{ProjectType(kind).label}（远期）",
            "quantity": planned_output(rng, kind), "estimated_cost": Decimal(rng.randrange(200_000, 1_500_000, 1000)),
            "planned_year": min(line.today.year + 1, valid_until.year),
        })
    return cited


def cite(rng: random.Random, project: Project, item: PlanItem | None, actors: _Actors, official, *, stays_draft: bool) -> None:
    """Right after the project is created: cite its item, or ask for an exception outside the plan, which the
    county approves before the project goes further (a project that stays a draft may still be waiting)."""
    if item is not None:
        citation_set(actor=official, project=project, item=item)
        return
    citation = citation_set(actor=official, project=project, out_of_plan_reason=rng.choice(OUT_OF_PLAN_REASONS))
    if not stays_draft or rng.random() < 0.5:
        exception_decide(actor=actors.county, citation=citation, approve=True, note="同意列入规划外实施")


def revise_some_plans(rng: random.Random, villages: list[Village], actors: _Actors, line: Timeline) -> int:
    """A few villages revise their plan (a new version, with the reason): the projects follow their items."""
    from planning.models import Plan, PlanKind, PlanStatus

    plans = list(Plan.objects.filter(kind=PlanKind.CONSTRUCTION, status=PlanStatus.CURRENT,
                                      area_code__in=[v.code for v in villages]).select_related("village__township").order_by("area_code"))
    revised = 0
    for plan in plans:
        if rng.random() >= REVISED_SHARE:
            continue
        plan_revise(actor=actors.township(plan.village.township_id), plan=plan, reason=rng.choice(REVISION_REASONS), data={
            "title": plan.title + "（修编）", "approved_on": date(line.today.year - 1, 6, 30), "approved_by": plan.approved_by,
            "valid_from": plan.valid_from, "valid_until": plan.valid_until,
        })
        revised += 1
    return revised


def seed_targets(rng: random.Random, county: Region, actors: _Actors, line: Timeline) -> None:
    """Targets for the reference year and the one before, from the province down to the county's townships: the
    county's about what its accepted projects make (some behind, some ahead), its city's and province's as many
    times more as they hold counties; each level breaks down to all its children."""
    city, province = county.parent, county.parent.parent
    supervisor_province = actors.for_region(province.code)
    supervisor_city = actors.for_region(city.code)
    townships = list(Region.objects.filter(parent=county).order_by("code"))
    for year in (line.today.year - 1, line.today.year):
        accepted = dict(
            Project.objects.filter(village__code__startswith=county.code, status=ProjectStatus.ACCEPTED, accepted_on__year=year)
            .values_list("type").annotate(total=Sum("actual_output")).order_by()
        )
        by_township = defaultdict(Decimal)
        for township_id, kind, total in (
            Project.objects.filter(village__code__startswith=county.code).exclude(status=ProjectStatus.CANCELLED)
            .values_list("village__township_id", "type").annotate(total=Sum("planned_output")).order_by()
        ):
            by_township[(township_id, kind)] += total or 0
        kinds = sorted(accepted) or [ProjectType.SEWAGE, ProjectType.TOILET]
        for kind in kinds:
            step = _step(kind)
            spread = (1.0, 1.4) if year == line.today.year else (0.8, 1.3)  # the year not over yet: most are behind
            county_quantity = _round(accepted.get(kind, 0) * Decimal(str(rng.uniform(*spread))) or Decimal(10), step)
            counties_in_city = Region.objects.filter(parent=city).count()
            cities_in_province = Region.objects.filter(parent=province).count()
            city_quantity = _round(county_quantity * counties_in_city * Decimal(str(rng.uniform(0.9, 1.1))), step)
            province_quantity = _round(city_quantity * cities_in_province * Decimal(str(rng.uniform(0.9, 1.1))), step)
            province_target = target_set(actor=supervisor_province, region=province, year=year, kind=kind, quantity=province_quantity)
            _split(rng, supervisor_province, province_target, {city.code: city_quantity}, step)
            city_target = Target.objects.get(region=city, year=year, kind=kind)
            _split(rng, supervisor_city, city_target, {county.code: county_quantity}, step)
            county_target = Target.objects.get(region=county, year=year, kind=kind)
            weights = {t.code: by_township.get((t.code, kind), Decimal(0)) for t in townships}
            shares = _shares(county_quantity, weights, step)
            if kind == kinds[0] and year == line.today.year and shares:
                # One breakdown that does not add up yet (a township's share still under discussion): the page shows it.
                first = next(iter(shares))
                shares[first] = max(Decimal(0), shares[first] - max(step, _round(county_quantity * Decimal("0.1"), step)))
            target_break_down(actor=actors.county, parent=county_target, quantities=shares)
        demo = target_set(actor=supervisor_city, region=county, year=year, kind=TargetKind.NEW_DEMONSTRATION,
                          quantity=Decimal(rng.randint(2, 4)))
        target_break_down(actor=actors.county, parent=demo, quantities={
            t.code: Decimal(1) for t in townships[: int(demo.quantity)]
        })


def _step(kind: str) -> Decimal:
    """Households, stations, lamps, sites and villages are counted in whole numbers; km and m² to the hundredth."""
    unit = OutputUnit.VILLAGES if kind in CREATION_KINDS else OUTPUT_UNITS[kind]
    return Decimal("0.01") if unit in (OutputUnit.KM, OutputUnit.SQUARE_METRES) else Decimal(1)


def _split(rng, actor, parent, given: dict[str, Decimal], step: Decimal) -> None:
    """Break ``parent`` down to all its children: ``given`` for the named ones, the rest shared among the others."""
    children = list(Region.objects.filter(parent_id=parent.region_id).order_by("code").values_list("code", flat=True))
    rest = parent.quantity - sum(given.values())
    others = [code for code in children if code not in given]
    weights = {code: Decimal(str(rng.uniform(0.5, 1.5))) for code in others}
    quantities = {**_shares(max(rest, Decimal(0)), weights, step), **given}
    target_break_down(actor=actor, parent=parent, quantities=quantities)


def _shares(total: Decimal, weights: dict[str, Decimal], step: Decimal) -> dict[str, Decimal]:
    """``total`` shared by ``weights`` (equal shares when none weighs), rounded, the rounding left to the last."""
    if not weights:
        return {}
    weight_sum = sum(weights.values())
    if not weight_sum:
        weights = {code: Decimal(1) for code in weights}
        weight_sum = Decimal(len(weights))
    codes = sorted(weights)
    shares = {code: _round(total * weights[code] / weight_sum, step) for code in codes[:-1]}
    shares[codes[-1]] = max(Decimal(0), total - sum(shares.values()))
    return shares


def _round(value, step: Decimal = Decimal("0.01")) -> Decimal:
    return Decimal(value).quantize(step, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def seed_creation_lists(rng: random.Random, county: Region, villages: list[Village], actors: _Actors, line: Timeline) -> None:
    """The county's creation lists for the reference year and the one before: renovation villages put up for
    示范村, demonstration villages for 精品村, a boutique village for 未来乡村."""
    wanted = {
        VillageCategory.DEMONSTRATION: (VillageCategory.RENOVATION, 4),
        VillageCategory.BOUTIQUE: (VillageCategory.DEMONSTRATION, 2),
        VillageCategory.FUTURE: (VillageCategory.BOUTIQUE, 1),
    }
    assert {c for c, _l in CREATION_CATEGORIES} == set(wanted)
    for year in (line.today.year - 1, line.today.year):
        for category, (from_category, count) in wanted.items():
            candidates = [v for v in villages if v.category == from_category]
            chosen = rng.sample(candidates, min(count, len(candidates)))
            if chosen:
                creation_list_add(actor=actors.county, county=county, year=year, category=category, villages=chosen,
                                  note=f"{year}年{VillageCategory(category).label}创建名单")
