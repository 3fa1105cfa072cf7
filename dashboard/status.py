"""The status block of a village: one function for /api/v1/villages/{code}/status/ and the bulk feed.

``village_blocks(prefix)`` computes the block of every village below a division code with a fixed number of grouped
queries (whatever the number of villages), from the village's summary figures (VillageStats, computed fresh or handed
over by the rebuild that has just computed them) and a few grouped reads (latest finalised assessment and its county
rank, open follow-ups, current construction plan, creation list entries, assets without a keeper, last inspection).
The per-village endpoint calls it for one village, live; dashboard.stats.rebuild() calls it for the villages it
rebuilds and stores the result in VillageStatus (``store_blocks``), which the bulk feed serves. Both therefore send
the output of the same function: they cannot drift.

The block depends on the village and the day only, not on the reader: every row it reads is placed at the village
itself (projects, allocations, disbursements, assessments, follow-ups, plans of the village, creation list entries,
assets, inspections, faults), and every role that may read a village reads all of its rows (core.scoping, "view" is
WITHIN for every role, the derived keeper role included). The county rank compares the village with the other
villages of its round, as it always did (assessment.selectors.village_ranks reads the round unscoped)."""
from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from assessment import selectors as assessment_selectors
from assessment.api import FollowUpSerializer
from assessment.models import Assessment, AssessmentStatus, FollowUp
from core.divisions import code_prefix_q
from funding.selectors import Figures
from maintenance.models import Asset, AssetStatus, Inspection, InspectionStatus
from maintenance.selectors import MaintenanceFigures, has_keeper_q
from planning.models import CreationListEntry, Plan, PlanKind, PlanStatus
from projects.models import DONE_STATUSES, ProjectStatus
from projects.selectors import completion
from villages.models import Village, phase_for_year

from .models import ASSET_KINDS, STATUSES, VillageStats, VillageStatus
from .targets import PlanShare, rate_of

# The key of the transaction-level advisory lock under which snapshots are stamped (PostgreSQL).
STAMP_LOCK_KEY = 0x51414E43  # "QANC"


def _dec(value):
    return None if value is None else str(value)


def _money(s: VillageStats) -> dict:
    figures = Figures(
        budget=s.budget, allocated=s.allocated, allocated_government=s.allocated_government, disbursed=s.disbursed,
        disbursed_government=s.disbursed_government, upkeep_allocated=s.upkeep_allocated,
        upkeep_disbursed=s.upkeep_disbursed,
    )
    return {
        "budget": _dec(figures.budget), "allocated": _dec(figures.allocated), "disbursed": _dec(figures.disbursed),
        "funding_gap": _dec(figures.funding_gap), "execution_rate": _dec(figures.execution_rate),
        "government": _dec(figures.allocated_government), "non_government": _dec(figures.allocated_non_government),
        "leverage_ratio": _dec(figures.leverage_ratio),
        "upkeep_allocated": _dec(figures.upkeep_allocated), "upkeep_disbursed": _dec(figures.upkeep_disbursed),
    }


def _maintenance(s: VillageStats, today: datetime.date, without_keeper: int, last_done_on) -> dict:
    """The village's upkeep (长效管护) this calendar year to date: its assets, their inspections and faults."""
    figures = MaintenanceFigures(
        assets=s.assets, inspections_expected=s.inspections_expected, inspections_on_time=s.inspections_on_time,
        inspections_done=s.inspections_done, condition_sum=s.condition_sum, overdue_inspections=s.overdue_inspections,
        faults_reported=s.faults_reported, open_faults=s.open_faults, overdue_faults=s.overdue_faults,
    )
    by_kind = {kind: n for kind in ASSET_KINDS if (n := getattr(s, f"asset_{kind}"))}
    return {
        "assets": figures.assets,
        "assets_by_kind": by_kind,
        "assets_without_keeper": without_keeper,
        "inspections": {
            "year": today.year, "due": figures.inspections_expected, "on_time": figures.inspections_on_time,
            "on_time_rate": _dec(figures.on_time_rate), "done": figures.inspections_done,
            "mean_condition": _dec(figures.mean_condition), "overdue": figures.overdue_inspections,
            "last_done_on": last_done_on,
        },
        "faults": {"reported_this_year": figures.faults_reported, "open": figures.open_faults,
                   "overdue": figures.overdue_faults},
    }


def _share(s: VillageStats) -> dict:
    share = PlanShare(projects=s.cited_projects, in_plan=s.in_plan_projects, out_of_plan=s.out_of_plan_projects)
    return {"projects": share.projects, "in_plan": share.in_plan, "out_of_plan": share.out_of_plan,
            "share": _dec(share.share)}


def _within(prefix: str, path: str) -> Q:
    """Rows below ``prefix``: one village exactly (its key), or every village under a region's code (as a range of
    codes, which the code's index serves: core.divisions.code_prefix_q)."""
    return Q(**{path: prefix}) if len(prefix) == 12 else code_prefix_q(path, prefix)


def village_blocks(prefix: str, today: datetime.date | None = None, stats: list[VillageStats] | None = None) -> dict[str, dict]:
    """{village code: status block} for every village below ``prefix`` (a village code: that village), as
    JSON-ready values (strings, numbers, None, lists and dicts). ``stats``: the villages' summary rows just computed
    (dashboard.stats.compute_village_stats), else computed here. A fixed number of queries (about a dozen, plus one per
    assessment round the villages' latest assessments belong to)."""
    from .stats import compute_village_stats  # stats imports this module

    today = today or timezone.localdate()
    if stats is None:
        stats = compute_village_stats(prefix, today)
    by_code = {s.village_id: s for s in stats}
    villages = Village.objects.filter(_within(prefix, "code")).values_list("code", "short_name", "category", "joined_year")

    latest: dict[str, Assessment] = {}
    finalised = (
        Assessment.objects.filter(_within(prefix, "village__code"), status=AssessmentStatus.FINALISED)
        .select_related("scheme").only("pk", "village_id", "scheme_id", "scheme__name", "scheme__kind", "period",
                                       "total_score", "grade", "status", "finalised_at")
        .order_by("village_id", "-period", "-finalised_at", "-pk")
    )
    for assessment in finalised:
        latest.setdefault(assessment.village_id, assessment)
    ranks = assessment_selectors.village_ranks(list(latest.values()))

    follow_ups = defaultdict(list)
    open_rows = (
        FollowUp.objects.filter(_within(prefix, "village__code")).filter(assessment_selectors.open_follow_ups_q())
        .order_by("village_id", "due_date", "pk")
    )
    for row in FollowUpSerializer(open_rows, many=True).data:
        follow_ups[row["village"]].append(dict(row))

    plans: dict[str, Plan] = {}
    current = (
        Plan.objects.filter(_within(prefix, "area_code"), kind=PlanKind.CONSTRUCTION, status=PlanStatus.CURRENT)
        .annotate(n_items=Count("items", distinct=True),
                  n_done=Count("items", filter=Q(items__citations__project__status=ProjectStatus.ACCEPTED), distinct=True))
        .order_by("area_code", "-version", "pk")
    )
    for plan in current:
        plans.setdefault(plan.area_code, plan)

    entries = defaultdict(list)
    for village_id, year, category in (
        CreationListEntry.objects.filter(_within(prefix, "village__code"))
        .order_by("village_id", "-year", "category").values_list("village_id", "year", "category")
    ):
        entries[village_id].append({"year": year, "category": category})

    without_keeper = dict(
        Asset.objects.filter(_within(prefix, "village__code"), status=AssetStatus.IN_SERVICE).exclude(has_keeper_q())
        .values("village_id").annotate(n=Count("pk")).order_by().values_list("village_id", "n")
    )
    last_done = dict(
        Inspection.objects.filter(_within(prefix, "asset__village__code"), status=InspectionStatus.DONE)
        .values("asset__village_id").annotate(last=Max("done_on")).order_by().values_list("asset__village_id", "last")
    )

    blocks = {}
    for code, short_name, category, joined_year in villages.order_by("code"):
        s = by_code.get(code) or VillageStats(village_id=code)
        by_status = {status: getattr(s, f"status_{status}") for status in STATUSES}
        live_completion = completion(s.percent_sum, s.live_projects)
        assessment = latest.get(code)
        rank = ranks.get(assessment.pk) if assessment else None
        plan = plans.get(code)
        blocks[code] = {
            "code": code,
            "short_name": short_name,
            "category": category,
            "phase": phase_for_year(joined_year),
            "projects": {
                "total": s.projects,
                "by_status": by_status,
                "completed": sum(by_status[str(status)] for status in DONE_STATUSES),
                "completion": float(live_completion) if live_completion is not None else None,
            },
            "money": _money(s),
            "latest_assessment": None if assessment is None else {
                "id": assessment.pk, "scheme": assessment.scheme.name, "scheme_kind": assessment.scheme.kind,
                "period": assessment.period, "total_score": str(assessment.total_score), "grade": assessment.grade,
                "rank": rank[0] if rank else None, "ranked_among": rank[1] if rank else None,
            },
            "rank": rank[0] if rank else None,
            "open_follow_ups": follow_ups.get(code, []),
            "maintenance": _maintenance(s, today, without_keeper.get(code, 0), last_done.get(code)),
            "plan": {
                "current": None if plan is None else {
                    "id": plan.pk, "title": plan.title, "version": plan.version, "approved_on": plan.approved_on,
                    "valid_until": plan.valid_until, "items": plan.n_items, "items_done": plan.n_done,
                    "completion": _dec(rate_of(plan.n_done, plan.n_items)),
                },
                "share": _share(s),
                "creation_list": entries.get(code, []),
            },
        }
    # JSON-ready: dates as ISO strings, exactly as the API renders them.
    return json.loads(json.dumps(blocks, cls=DjangoJSONEncoder))


def village_block(code: str, today: datetime.date | None = None) -> dict:
    """The status block of one village, computed now (GET /api/v1/villages/{code}/status/)."""
    return village_blocks(code, today)[code]


def block_text(block: dict) -> str:
    """The block as the feed sends it: compact JSON (UTF-8 text, keys in the block's order)."""
    return json.dumps(block, ensure_ascii=False, separators=(",", ":"))


def _stamp() -> datetime.datetime:
    """A ``changed_at`` later than every committed one, taken under a lock held until this transaction commits.

    Two rebuilds (of two townships) stamping at once take turns, so stamps increase in commit order: a reader that
    has seen every row up to the largest committed stamp W will find every later change at ``changed_at > W``.
    The clock of the machine is not trusted to move forward: the stamp is at least the largest one plus 1 µs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STAMP_LOCK_KEY])
    last = VillageStatus.objects.aggregate(last=Max("changed_at"))["last"]
    now = timezone.now()
    if last is not None and now <= last:
        now = last + datetime.timedelta(microseconds=1)
    return now


def store_blocks(prefix: str, today: datetime.date, stats: list[VillageStats] | None = None) -> int:
    """Compute the blocks of the villages below ``prefix`` and store those whose digest changed (new villages
    included), with a fresh ``changed_at``. Inside the rebuild's transaction. Returns the villages whose block
    changed."""
    blocks = village_blocks(prefix, today, stats)
    existing = dict(VillageStatus.objects.filter(_within(prefix, "village__code")).values_list("village_id", "digest"))
    changed = {}
    for code, block in blocks.items():
        text = block_text(block)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if existing.get(code) != digest:
            changed[code] = (text, digest)
    if not changed:
        return 0
    stamp = _stamp()
    replaced = [code for code in changed if code in existing]
    for start in range(0, len(replaced), 5000):
        VillageStatus.objects.filter(village_id__in=replaced[start:start + 5000]).delete()
    VillageStatus.objects.bulk_create(
        [VillageStatus(village_id=code, block=text, digest=digest, changed_at=stamp, computed_on=today)
         for code, (text, digest) in changed.items()],
        batch_size=1000,
    )
    return len(changed)


def watermark() -> datetime.datetime | None:
    """The largest committed ``changed_at`` (see _stamp): every later change is stamped after it."""
    return VillageStatus.objects.aggregate(last=Max("changed_at"))["last"]
