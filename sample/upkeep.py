"""Long-term maintenance of the sample programme (长效管护): a year of upkeep of the county's assets.

The accepted projects left their assets (and named keepers) behind when they were accepted
(maintenance.receivers). To them the seed adds facilities built before the portal, registered by hand by the
township's official with a keeper from the township's roster; then it lets a year pass, a week at a time: the
inspection schedule opens the inspections falling due (maintenance.services.inspections_open_due, as the nightly
beat task does), and the keeper (the demo keeper ``keeper_yucun`` for 余村's assets) or the township's official
records each, mostly on time, some late, a few much later; a poor condition reports a fault, which is repaired
(with a photo) and verified by the township, most within their deadline, a few still open or overdue at the
reference day. A few faults are reported directly. Everything goes through the services, dated on the timeline.
"""
from __future__ import annotations

import io
import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from maintenance import services
from maintenance.models import (
    CHECKLISTS,
    Asset,
    AssetKind,
    AssetUnit,
    Fault,
    Inspection,
    InspectionStatus,
    KeeperAssignment,
    chief_for,
)
from villages.models import Region, Village

from .base import Timeline, _Actors, _backdate, _person

# Facilities built before the portal, registered by hand: (kind, unit, quantity range, name).
PRE_PORTAL = (
    (AssetKind.PUBLIC_TOILET, AssetUnit.STATIONS, (1, 2), "公厕"),
    (AssetKind.ROAD, AssetUnit.KM, (1, 6), "村内主干道"),
    (AssetKind.STREET_LIGHTS, AssetUnit.UNITS, (20, 120), "路灯"),
    (AssetKind.WASTE_STATION, AssetUnit.STATIONS, (1, 1), "垃圾分类收集点"),
    (AssetKind.SEWER_NETWORK, AssetUnit.KM, (2, 9), "污水收集管网"),
)
PRE_PORTAL_SHARE = 0.3  # of the village committees
DEMO_KEEPER = ("keeper_yucun", "胡德明", "余村")  # username, name, the village whose assets they keep
CONDITIONS = {5: 34, 4: 36, 3: 18, 2: 9, 1: 3}  # weights of the condition found
FAULT_WORDS = {
    AssetKind.SEWAGE_STATION: "提升泵故障，出水浑浊", AssetKind.SEWER_NETWORK: "检查井堵塞，污水外溢",
    AssetKind.PUBLIC_TOILET: "水箱漏水，冲水不畅", AssetKind.ROAD: "路面破损，出现坑洼",
    AssetKind.STREET_LIGHTS: "多盏路灯不亮", AssetKind.WASTE_STATION: "分类桶破损，清运不及时",
    AssetKind.CULTURAL_HALL: "屋顶渗水", AssetKind.GREENERY: "苗木枯死，需补植", AssetKind.OTHER: "设施损坏",
}


def _photo(rng: random.Random) -> SimpleUploadedFile:
    """A small JPEG of a plain colour (a stand-in for the repair photo a keeper takes)."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (rng.randint(40, 200), rng.randint(80, 200), rng.randint(40, 160))).save(buffer, "JPEG")
    return SimpleUploadedFile("repair.jpg", buffer.getvalue(), content_type="image/jpeg")


def _demo_keeper_user():
    User = get_user_model()
    user = User.objects.filter(username=DEMO_KEEPER[0]).first()
    if user is None:
        from .people import DEMO_PASSWORD

        user = User(username=DEMO_KEEPER[0], first_name=DEMO_KEEPER[1])
        user.password = make_password(DEMO_PASSWORD)
        user.save()
    return user


def _register_pre_portal(rng, villages, actors, line: Timeline):
    """Facilities built before the portal, registered by the township's official a year and a half ago, each kept
    by a keeper of the township's roster; returns the keeper of 余村's sewage station (the demo keeper's), if any."""
    registered_on = line.today - timedelta(days=400)
    demo_keeper = None
    for village in villages:
        if rng.random() >= PRE_PORTAL_SHARE and village.short_name != DEMO_KEEPER[2]:
            continue
        official = actors.township(village.township_id)
        kind, unit, (low, high), word = rng.choice(PRE_PORTAL)
        if village.short_name == DEMO_KEEPER[2]:
            kind, unit, (low, high), word = AssetKind.SEWAGE_STATION, AssetUnit.STATIONS, (1, 1), "污水处理终端"
        asset = services.asset_register(actor=official, village=village, data={
            "kind": kind, "name": f"{village.short_name}{word}", "quantity": Decimal(rng.randint(low, high)), "unit": unit,
            "commissioned_on": date(rng.randint(2008, 2016), rng.randint(1, 12), rng.randint(1, 28)),
            "owner_kind": "village_collective", "owner_name": f"{village.short_name}股份经济合作社",
            "maintenance_body": "village_collective", "latitude": village.latitude, "longitude": village.longitude,
        })
        keeper = services.keeper_create(actor=official, region=village.township, data={
            "name": _person(rng), "phone": f"139{rng.randint(10000000, 99999999)}", "organisation": f"{village.short_name}村委会",
        })
        services.keeper_assign(actor=official, asset=asset, keeper=keeper, chief_type=chief_for(kind), starts_on=registered_on)
        asset.created_at = line.stamp(registered_on, time(10, 0))
        _backdate(Asset, [asset], created_at=None)
        if village.short_name == DEMO_KEEPER[2]:
            demo_keeper = (village, keeper)
    return demo_keeper


def _link_demo_keeper(demo_keeper):
    """The demo keeper's portal account is the keeper of 余村's sewage station (a keeper who sees only 余村)."""
    if demo_keeper is None:
        return None
    village, keeper = demo_keeper
    user = _demo_keeper_user()
    services.keeper_update(actor=_official_of(village), keeper=keeper, data={"user": user, "name": DEMO_KEEPER[1]})
    return user


_OFFICIALS: dict[str, object] = {}


def _official_of(village):
    return _OFFICIALS[village.township_id]


def _fault_lifecycle(rng, fault: Fault, official, line: Timeline) -> None:
    """Repair and verify a fault as a township would: most within the deadline, some late, some not yet."""
    allowed = (fault.deadline - fault.reported_on).days
    started = fault.reported_on + timedelta(days=rng.randint(0, 1))
    late = rng.random() < 0.15
    repaired = fault.reported_on + timedelta(days=rng.randint(allowed + 1, allowed + 15) if late else rng.randint(0, max(0, allowed)))
    verified = repaired + timedelta(days=rng.randint(1, 5))
    if started > line.today:
        return
    services.fault_start_repair(actor=official, fault=fault, on_date=started)
    if repaired > line.today or repaired < started:
        return
    fault = services.fault_mark_repaired(actor=official, fault=fault, repaired_on=repaired, notes="已完成维修，恢复正常使用",
                                         photos=[_photo(rng)])
    if verified <= line.today:
        services.fault_verify(actor=official, fault=fault, on_date=verified)


def _record(rng, inspection: Inspection, done_on: date, actor, official, line: Timeline) -> None:
    asset = inspection.asset
    condition = rng.choices(list(CONDITIONS), weights=list(CONDITIONS.values()))[0]
    items = [key for key, _label in CHECKLISTS[asset.kind]]
    checklist = {key: condition >= 4 or rng.random() < 0.6 for key in items}
    found = None
    if condition <= 2 or (condition == 3 and rng.random() < 0.15):
        severity = "urgent" if condition == 1 else ("major" if condition == 2 else "minor")
        found = {"severity": severity, "description": FAULT_WORDS[asset.kind]}
    done = services.inspection_record(
        actor=actor, asset=asset, done_on=done_on, condition=condition, checklist=checklist,
        notes="" if condition >= 4 else "已记录问题，通知维修", latitude=asset.latitude, longitude=asset.longitude, fault=found,
    )
    for fault in done.faults.all():
        _fault_lifecycle(rng, fault, official, line)


def _run_the_year(rng, county: Region, keeper_user, line: Timeline) -> None:
    """A year of inspections, a week at a time: the schedule opens what falls due; each is recorded on time (most),
    late, or much later; what is not done by the reference day stays due (overdue if past its date)."""
    start = line.today - timedelta(days=364)
    fate: dict[int, date] = {}
    keeper_assets = set(
        KeeperAssignment.objects.filter(keeper__user=keeper_user, ends_on__isnull=True).values_list("asset_id", flat=True)
    ) if keeper_user else set()
    day = start
    while day <= line.today:
        services.inspections_open_due(today=day, county_code=county.code)
        week_end = min(day + timedelta(days=6), line.today)
        due = (Inspection.objects.filter(status=InspectionStatus.DUE, asset__village__code__startswith=county.code)
               .select_related("asset", "asset__village").order_by("due_on", "id"))
        for inspection in due:
            if inspection.pk not in fate:
                roll = rng.random()
                shift = rng.randint(-3, 0) if roll < 0.8 else (rng.randint(1, 14) if roll < 0.95 else rng.randint(30, 75))
                last = inspection.asset.commissioned_on
                fate[inspection.pk] = max(inspection.due_on + timedelta(days=shift), last, start)
            done_on = fate[inspection.pk]
            if done_on <= week_end:
                official = _official_of(inspection.asset.village)
                actor = keeper_user if inspection.asset_id in keeper_assets else official
                _record(rng, inspection, done_on, actor, official, line)
        day += timedelta(days=7)


def _direct_faults(rng, county: Region, line: Timeline) -> None:
    """A few faults reported directly (a villager's call), a few of them still open."""
    assets = list(Asset.objects.filter(village__code__startswith=county.code, status="in_service").select_related("village").order_by("pk"))
    for asset in rng.sample(assets, min(len(assets), max(2, len(assets) // 12))):
        reported = line.today - timedelta(days=rng.randint(0, 120))
        if reported < asset.commissioned_on:
            continue
        official = _official_of(asset.village)
        fault = services.fault_report(actor=official, asset=asset, severity=rng.choice(["minor", "major"]),
                                      description=FAULT_WORDS[asset.kind], reported_on=reported)
        if rng.random() < 0.7:
            _fault_lifecycle(rng, fault, official, line)


def _seed_upkeep(rng: random.Random, county: Region, villages: list[Village], actors: _Actors, line: Timeline) -> None:
    _OFFICIALS.clear()
    _OFFICIALS.update({code: actors.township(code) for code in {v.township_id for v in villages}})
    # The accepted projects' assets entered the portal on their acceptance day.
    accepted = list(Asset.objects.filter(village__code__startswith=county.code, project__isnull=False))
    for asset in accepted:
        asset.created_at = line.stamp(asset.commissioned_on, time(16, 0))
    _backdate(Asset, accepted, created_at=None)
    keeper_user = _link_demo_keeper(_register_pre_portal(rng, villages, actors, line))
    _run_the_year(rng, county, keeper_user, line)
    _direct_faults(rng, county, line)
