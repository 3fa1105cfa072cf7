"""The funding ledger of the sample programme: sources of every kind and mechanism, allocations within
each source, payments within each allocation and the rules of its mechanism, and one reversal pair."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from funding.models import Allocation, FundingSource, Mechanism, SourceKind
from funding.services import allocation_create, allocation_reverse, disbursement_create, funding_source_create
from projects.models import ProjectStatus, ProjectType
from villages.models import Region, Village

from .base import (
    FEATURED_VILLAGES,
    FUNDABLE_STATUSES,
    SAMPLE_MARK,
    Timeline,
    _Actors,
    _backdate,
    _days,
    _yuan,
    source_mark,
)
from .rounds import _RoundResult
from .works import _ProjectPlan

SECTORAL_TYPES = {
    ProjectType.GARBAGE, ProjectType.SEWAGE, ProjectType.TOILET, ProjectType.DRINKING_WATER,
    ProjectType.HOUSING, ProjectType.WATER_CONSERVANCY,
}
ENTERPRISE_TYPES = {ProjectType.INDUSTRY, ProjectType.DIGITAL}

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

    def __init__(self, rng: random.Random, county: Region, actors: _Actors, round_year: int):
        self.rng = rng
        self.round_year = round_year  # from this fiscal year on, the province pays rewards in lieu of subsidies
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
            if year >= self.round_year:
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
        )


def _seed_funding(rng, county, villages, plans, results, actors, lagging: str | None, line: Timeline) -> None:
    fundable = [p for p in plans if p.project.status in FUNDABLE_STATUSES]
    sources = _Sources(rng, county, actors, line.round_year)
    village_money = _village_money_plan(rng, fundable)
    entries = []
    for plan in fundable:
        entries += _allocate(rng, sources, plan, village_money, lagging, line)
    _ensure_every_kind(sources, villages, village_money, line)
    _mistaken_entry(rng, entries)
    for entry in entries:
        entry.payments = _payments(rng, entry, results, line.today)
    _write_ledger(rng, county, sources, entries, actors, line)


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


def _allocate(rng, sources: _Sources, plan: _ProjectPlan, village_money, lagging: str | None, line: Timeline) -> list[_Entry]:
    """The project's funding mix: shares of its budget from each source, never more than the budget. The province's
    money before the older round's year is a special fund (direct grant), from the latest round's year on a reward
    in lieu of subsidy (以奖代补), paid once the village passed that year's assessment."""
    K = SourceKind
    project = plan.project
    approved = plan.approved_on
    fiscal_years, latest = line.fiscal_years, line.round_year
    older = latest - 1
    year = min(max(approved.year, fiscal_years[0]), fiscal_years[-1])
    # (kind, fiscal year, village or None, share of the budget)
    shares: list[tuple[str, int, Village | None, float]] = [(K.COUNTY_BUDGET, year, None, rng.uniform(0.3, 0.45))]
    if project.type in SECTORAL_TYPES:
        shares.append((K.INTEGRATED_SECTORAL, year, None, rng.uniform(0.15, 0.25)))
    if approved.year <= older and rng.random() < 0.8:
        shares.append((K.PROVINCIAL_SPECIAL, older, None, rng.uniform(0.1, 0.2)))
    elif approved.year == latest and (rng.random() < 0.7 or plan.village.code == lagging):
        shares.append((K.PROVINCIAL_SPECIAL, latest, None, rng.uniform(0.1, 0.15)))
    building = project.status in (ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED)
    if building and rng.random() < (0.8 if project.status == ProjectStatus.ACCEPTED else 0.5):
        shares.append((K.CITY_MATCHING, latest, None, rng.uniform(0.08, 0.15)))
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
        if amount <= 0 or on > line.today:
            continue
        left -= amount
        entries.append(_Entry(source=sources.get(kind, fiscal_year, village), plan=plan, amount=amount, on=on))
    return entries


def _ensure_every_kind(sources: _Sources, villages, village_money, line: Timeline) -> None:
    """A source of every kind even where no project drew on it (a small county)."""
    present = {kind for kind, _year, _village in sources.by_key}
    for kind in SourceKind:
        if kind in present:
            continue
        village = None
        if kind in village_money:
            codes = sorted(village_money[kind]) or [villages[0].code]
            village = next(v for v in villages if v.code == codes[0])
        year = line.round_year if kind != SourceKind.PROVINCIAL_SPECIAL else line.round_year - 1
        sources.get(kind, year, village)
    if not any(s.mechanism == Mechanism.REWARD_IN_LIEU for s in sources.by_key.values()):
        sources.get(SourceKind.PROVINCIAL_SPECIAL, line.round_year)


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


def _payments(rng, entry: _Entry, results: dict[int, _RoundResult], today: date) -> list[tuple[Decimal, date]]:
    """Payments out of an allocation, within the amount and the rules of the source's mechanism, none after the
    reference day ``today``: a payment whose day has not come is not made yet (a subsidy some weeks after the
    acceptance, a reward some weeks after the round, the balance some weeks after the acceptance). Work under way is
    paid as it advances; a model village's work reported today was paid today too (the current month's figures)."""
    S = ProjectStatus
    project, source = entry.plan.project, entry.source
    start = entry.on + _days(5)
    if source.mechanism == Mechanism.BUILD_THEN_SUBSIDIZE:
        if project.status != S.ACCEPTED:
            return []
        day = max(start, entry.plan.accepted_on + _days(rng.randint(10, 45)))
        return [(entry.amount, day)] if day <= today else []
    if source.mechanism == Mechanism.REWARD_IN_LIEU:
        result = results.get(source.fiscal_year)
        if result is None or project.village_id not in result.passed:
            return []
        day = max(start, result.finalised_on + _days(rng.randint(10, 50)))
        return [(entry.amount, day)] if day <= today else []
    # Direct grant: paid as the work advances, the balance after acceptance.
    settled = False
    if project.status == S.APPROVED:
        fraction, count, end = (rng.uniform(0.2, 0.3), 1, today) if rng.random() < 0.3 else (0, 0, None)
    elif project.status in (S.UNDER_CONSTRUCTION, S.SUSPENDED):
        fraction = min(0.9, project.percent_complete / 100 + 0.1)
        count, end = rng.randint(1, 3), project.last_reported_on
    elif project.status == S.COMPLETED:
        fraction, count, end = rng.uniform(0.8, 0.9), rng.randint(2, 3), today
    else:
        paid_off = max(entry.plan.accepted_on, start) + _days(rng.randint(5, 40))
        settled = paid_off <= today
        fraction, count, end = (1.0 if settled else 0.9), rng.randint(2, 4), min(today, paid_off)
    if not count or end is None or end < start:
        return []
    target = _yuan(entry.amount * Decimal(str(round(fraction, 4))), 100)
    target = min(target, entry.amount)
    span = (end - start).days
    count = min(count, span + 1)
    days = sorted(rng.sample(range(span + 1), count))
    if settled or entry.plan.fresh:
        days[-1] = span  # the balance after acceptance; the model village's work, with today's report
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


# The ledger refuses an entry dated before the source's fiscal year or more than LEDGER_BACKDATE_DAYS ago without a
# reason: the sample's entries are dated on its timeline, and say so.
BACKDATED = f"按示例时间线补录（{SAMPLE_MARK}）"


def _write_ledger(rng, county: Region, sources: _Sources, entries: list[_Entry], actors: _Actors, line: Timeline) -> None:
    """Sources, allocations (with the one mistaken entry reversed and booked again) and payments, through the
    funding services: the balance checks, the mechanism rules and the audit rows are the real ones."""
    # Totals: what the entries need (counting the mistaken one) plus unallocated headroom.
    booked: dict[int, Decimal] = {}
    for entry in entries:
        booked[id(entry.source)] = booked.get(id(entry.source), Decimal(0)) + entry.amount + (entry.mistaken or 0)
    planned = list(sources.by_key.values())
    for source in planned:
        need = booked.get(id(source))
        if need:
            headroom = Decimal(str(round(rng.uniform(1.05, 1.25), 3)))
            source.total_amount = Decimal(math.ceil(need * headroom / 10_000) * 10_000)
        else:
            source.total_amount = Decimal(rng.randrange(200_000, 1_000_001, 10_000))
    planned.sort(key=lambda s: (s.fiscal_year, s.region_id, s.kind, s.name))
    saved: dict[int, FundingSource] = {}
    for source in planned:
        saved[id(source)] = funding_source_create(
            actor=actors.for_region(source.region_id),
            data={f: getattr(source, f) for f in ("name", "kind", "mechanism", "region", "beneficiary_region", "village",
                                                   "fiscal_year", "total_amount", "document_no", "note")},
        )
    for entry in entries:
        entry.source = saved[id(entry.source)]

    clerk = actors.county
    for entry in sorted(entries, key=lambda e: e.on):  # stable: entries of one day in their planned order
        project = entry.plan.project
        if entry.mistaken:
            mistaken = allocation_create(
                actor=clerk, source=entry.source, project=project, amount=entry.mistaken, allocated_on=entry.mistaken_on,
                reason=BACKDATED,
            )
            reversal = allocation_reverse(
                actor=clerk, allocation=mistaken,
                reason=f"金额录入错误（多录100,000元），冲销后按{entry.amount:,.2f}元重新下达。（{SAMPLE_MARK}）",
            )
            Allocation.objects.filter(pk=reversal.pk).update(allocated_on=entry.on)  # reversed that day, on the timeline
        entry.allocation = allocation_create(
            actor=clerk, source=entry.source, project=project, amount=entry.amount, allocated_on=entry.on, reason=BACKDATED,
        )

    number = 0
    for entry in sorted(entries, key=lambda e: (e.on, e.allocation.pk)):
        for amount, day in entry.payments:
            number += 1
            disbursement_create(
                actor=clerk, allocation=entry.allocation, amount=amount, paid_on=day,
                voucher_no=f"{county.code}-{day.year}-{number:05d}", reason=BACKDATED,
            )

    rows = list(saved.values())
    for source in rows:
        source.created_at = source.updated_at = line.stamp(min(date(source.fiscal_year, 1, 2), line.today), time(12, 0))
    _backdate(FundingSource, rows, created_at=True, updated_at=True)
