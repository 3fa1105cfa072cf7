"""The inspection and fault pages (issue 19, items 3-4 and 7-8): an inspection recorded on the phone form with a real
photo and a fault found, a fault taken through its lifecycle on its page, refusals shown on their fields, the
county's intervals, the to-do list, a keeper with a portal account who reaches their villages only, and constant
query counts for the lists."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEntry, Role
from maintenance.models import Fault, FaultPhoto, FaultStatus, Inspection, InspectionInterval, InspectionPhoto, Keeper
from tests.clock import at_day
from tests.factories import (
    AssetFactory,
    DoneInspectionFactory,
    FaultFactory,
    InspectionFactory,
    KeeperAssignmentFactory,
    KeeperFactory,
    UserFactory,
    VillageFactory,
    user_with,
)
from tests.images import exif_with, image_bytes, upload

TODAY = datetime.date(2026, 6, 15)
USERS = {
    "anonymous": None,
    "other_area": (Role.TOWNSHIP_OFFICIAL, "330523001"),  # 递铺街道, same county
    "same_area": (Role.TOWNSHIP_OFFICIAL, "330523108"),  # 天荒坪镇
}


@pytest.fixture
def place(db, monkeypatch):
    at_day(monkeypatch, TODAY)
    village = VillageFactory(code="330523108204", name="余村村委会")
    other = VillageFactory(code="330523108205", name="银坑村村委会")
    VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    asset = AssetFactory(village=village, name="余村污水处理终端", commissioned_on=datetime.date(2020, 6, 1))
    keeper = KeeperFactory(name="潘文革", region=village.township)
    KeeperAssignmentFactory(asset=asset, keeper=keeper, starts_on=datetime.date(2021, 1, 1))
    due = InspectionFactory(asset=asset, due_on=datetime.date(2026, 6, 10))  # five days overdue
    return {"village": village, "other": other, "asset": asset, "keeper": keeper, "due": due}


def _login(client, who):
    if USERS[who] is not None:
        client.force_login(user_with(who, USERS[who]))


def _state():
    return (
        list(Inspection.objects.order_by("pk").values()),
        list(Fault.objects.order_by("pk").values()),
        InspectionPhoto.objects.count(),
        FaultPhoto.objects.count(),
        AuditEntry.objects.count(),
    )


def _inspection_data(**extra):
    return {
        "done_on": TODAY.isoformat(), "condition": "2", "checklist": ["equipment_running", "records_kept"],
        "notes": "出水略浑，格栅需清理", "latitude": "30.458333", "longitude": "119.680000", **extra,
    }


def test_the_inspection_form_offers_the_kinds_checklist_and_todays_date(client, place):
    _login(client, "same_area")
    page = client.get(reverse("maintenance:asset_inspect", args=[place["asset"].pk])).content.decode()
    assert 'value="2026-06-15"' in page and "2026-06-10" in page  # today, and the due inspection it completes
    for key in ("equipment_running", "effluent_clear", "site_clean", "records_kept"):
        assert f'value="{key}"' in page
    assert 'capture="environment"' in page and "js/position.js" in page and "<script>" not in page
    assert "---------" not in page


def test_an_inspection_with_a_real_photo_and_a_fault_through_the_form(client, place):
    _login(client, "same_area")
    photo = upload("巡查照片.jpg", data=image_bytes(size=(1600, 1200), exif=exif_with(taken="2026:06:15 09:30:00")))
    response = client.post(reverse("maintenance:asset_inspect", args=[place["asset"].pk]), _inspection_data(
        photos=[photo], severity="major", description="进水泵异响",
    ))
    inspection = Inspection.objects.get(pk=place["due"].pk)  # the due inspection is the one completed
    assert response.status_code == 302 and response["Location"] == reverse("maintenance:inspection_detail", args=[inspection.pk])
    assert (inspection.status, inspection.done_on, inspection.condition) == ("done", TODAY, 2)
    assert inspection.checklist == {"equipment_running": True, "effluent_clear": False, "site_clean": False, "records_kept": True}
    assert str(inspection.latitude) == "30.458333"
    stored = inspection.photos.get()
    assert stored.content_type == "image/jpeg" and stored.taken_at is not None
    fault = Fault.objects.get(inspection=inspection)
    assert (fault.severity, fault.description, fault.deadline) == ("major", "进水泵异响", TODAY + datetime.timedelta(days=7))

    page = client.get(response["Location"]).content.decode()
    assert "设备运行正常" in page or "Equipment running normally" in page
    assert reverse("maintenance:inspection_photo_thumbnail", args=[stored.pk]) in page
    assert reverse("maintenance:inspection_photo", args=[stored.pk]) in page
    assert reverse("maintenance:fault_detail", args=[fault.pk]) in page
    image = client.get(reverse("maintenance:inspection_photo_thumbnail", args=[stored.pk]))
    assert image.status_code == 200 and image["Content-Type"].startswith("image/")


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other_area", 404), ("same_area", 302)])
def test_only_the_area_records_an_inspection(client, place, who, status):
    _login(client, who)
    before = _state()
    response = client.post(reverse("maintenance:asset_inspect", args=[place["asset"].pk]), _inspection_data())
    assert response.status_code == status
    if who == "same_area":
        assert Inspection.objects.get(pk=place["due"].pk).status == "done"
    else:
        assert _state() == before


@pytest.mark.parametrize("data, field", [
    ({"done_on": "2026-06-20"}, "done_on"),  # in the future
    ({"severity": "major", "description": ""}, "description"),  # a fault needs a description
    ({"latitude": "30.4"}, "longitude"),  # both or neither
    ({"photos": [upload("扫描件.jpg", data=b"%PDF-1.4 not a photo")]}, "photos"),
])
def test_a_refused_inspection_shows_the_field_error_and_writes_nothing(client, place, data, field):
    _login(client, "same_area")
    before = _state()
    body = _inspection_data(**data)
    if field == "longitude":
        body.pop("longitude")
    response = client.post(reverse("maintenance:asset_inspect", args=[place["asset"].pk]), body)
    assert response.status_code == 200
    assert f'class="field-error" data-field="{field}"' in response.content.decode()
    assert _state() == before


def test_a_fault_reported_directly_then_repaired_sent_back_repaired_and_verified(client, place):
    _login(client, "same_area")
    response = client.post(reverse("maintenance:asset_fault", args=[place["asset"].pk]), {
        "severity": "urgent", "description": "提升泵停转", "reported_on": TODAY.isoformat(), "photos": [upload("故障.jpg")],
    })
    fault = Fault.objects.get(description="提升泵停转")
    detail = reverse("maintenance:fault_detail", args=[fault.pk])
    assert response["Location"] == detail and fault.deadline == TODAY + datetime.timedelta(days=2)
    assert fault.photos.get().stage == "reported"
    page = client.get(detail).content.decode()
    assert reverse("maintenance:fault_start", args=[fault.pk]) in page and reverse("maintenance:fault_verify", args=[fault.pk]) not in page

    client.post(reverse("maintenance:fault_start", args=[fault.pk]))
    fault.refresh_from_db()
    assert (fault.status, fault.repair_started_on) == (FaultStatus.REPAIRING, TODAY)

    # Marked repaired without a photo: refused on the photos field, nothing written.
    before = _state()
    response = client.post(reverse("maintenance:fault_repaired", args=[fault.pk]),
                           {"repaired_on": TODAY.isoformat(), "repair_notes": "更换提升泵"})
    assert response.status_code == 400
    assert 'class="field-error" data-field="photos"' in response.content.decode()
    assert _state() == before
    client.post(reverse("maintenance:fault_repaired", args=[fault.pk]),
                {"repaired_on": TODAY.isoformat(), "repair_notes": "更换提升泵", "photos": [upload("修好.jpg")]})
    fault.refresh_from_db()
    assert fault.status == FaultStatus.REPAIRED and fault.photos.filter(stage="repaired").count() == 1

    # Sent back: a confirmation first (nothing changes), then the confirmed POST with the reason.
    response = client.post(reverse("maintenance:fault_reject", args=[fault.pk]), {"reason": "仍有异响"})
    assert response.status_code == 200 and "仍有异响" in response.content.decode()
    assert Fault.objects.get(pk=fault.pk).status == FaultStatus.REPAIRED
    client.post(reverse("maintenance:fault_reject", args=[fault.pk]), {"reason": "仍有异响", "confirmed": "yes"})
    assert Fault.objects.get(pk=fault.pk).status == FaultStatus.REPAIRING
    assert AuditEntry.objects.filter(note="仍有异响").exists()

    client.post(reverse("maintenance:fault_repaired", args=[fault.pk]),
                {"repaired_on": TODAY.isoformat(), "repair_notes": "再次检修", "photos": [upload("再修.jpg")]})
    client.post(reverse("maintenance:fault_verify", args=[fault.pk]))
    fault.refresh_from_db()
    assert (fault.status, fault.verified_on) == (FaultStatus.VERIFIED, TODAY)
    page = client.get(detail).content.decode()
    assert reverse("maintenance:fault_repaired", args=[fault.pk]) not in page  # nothing left to do
    for photo in fault.photos.all():
        assert reverse("maintenance:fault_photo_thumbnail", args=[photo.pk]) in page


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other_area", 404), ("same_area", 302)])
def test_only_the_area_verifies_a_repair(client, place, who, status):
    fault = FaultFactory(asset=place["asset"], status="repaired", repair_started_on=datetime.date(2026, 6, 2),
                         repaired_on=datetime.date(2026, 6, 3))
    _login(client, who)
    before = _state()
    response = client.post(reverse("maintenance:fault_verify", args=[fault.pk]))
    assert response.status_code == status
    if who == "same_area":
        assert Fault.objects.get(pk=fault.pk).status == FaultStatus.VERIFIED
    else:
        assert _state() == before


def test_a_keeper_without_a_portal_role_cannot_verify(client, place):
    """Keepers record repairs; the township verifies them (fault.verify is not a keeper's)."""
    user = UserFactory(username="panwenge")
    Keeper.objects.filter(pk=place["keeper"].pk).update(user=user)
    fault = FaultFactory(asset=place["asset"], status="repaired", repair_started_on=datetime.date(2026, 6, 2),
                         repaired_on=datetime.date(2026, 6, 3))
    client.force_login(user)
    before = _state()
    assert client.post(reverse("maintenance:fault_verify", args=[fault.pk])).status_code == 403
    assert _state() == before


def test_lists_flag_what_is_overdue(client, place):
    FaultFactory(asset=place["asset"], description="格栅堵塞", reported_on=datetime.date(2026, 6, 1))  # deadline 06-08
    FaultFactory(asset=place["asset"], description="标识牌褪色", severity="minor", reported_on=datetime.date(2026, 6, 14),
                 deadline=datetime.date(2026, 7, 14))
    _login(client, "same_area")
    page = client.get(reverse("maintenance:inspections") + "?overdue=true").content.decode()
    assert "余村污水处理终端" in page and "flag-overdue" in page
    page = client.get(reverse("maintenance:faults") + "?overdue=true").content.decode()
    assert "格栅堵塞" in page and "标识牌褪色" not in page and "flag-overdue" in page
    page = client.get(reverse("maintenance:faults") + "?severity=minor").content.decode()
    assert "标识牌褪色" in page and "flag-overdue" not in page


def _grow(village, n):
    for i in range(n):
        asset = AssetFactory(village=village, name=f"路灯{i}", kind="street_lights", unit="units")
        KeeperAssignmentFactory(asset=asset, keeper=KeeperFactory(region=village.township), chief_type="road")
        done = DoneInspectionFactory(asset=asset, due_on=datetime.date(2026, 5, 1), checklist={"lights_on": True})
        InspectionFactory(asset=asset, due_on=datetime.date(2026, 6, 1))
        FaultFactory(asset=asset, inspection=done, reported_on=datetime.date(2026, 5, 1))


@pytest.mark.parametrize("url", ["maintenance:inspections", "maintenance:faults", "villages:detail", "home"])
def test_pages_cost_the_same_for_one_row_and_twenty(client, place, url, django_assert_max_num_queries):
    FaultFactory(asset=place["asset"], reported_on=datetime.date(2026, 6, 1))
    _login(client, "same_area")
    target = reverse(url, args=[place["village"].code]) if url == "villages:detail" else reverse(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(target).status_code == 200
    _grow(place["village"], 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(target).content.decode()
    assert "路灯19" in page or url == "home"


def test_the_asset_page_and_the_village_page_show_the_upkeep(client, place):
    done = DoneInspectionFactory(asset=place["asset"], due_on=datetime.date(2026, 5, 10), condition=3,
                                 checklist={"equipment_running": True})
    FaultFactory(asset=place["asset"], inspection=done, description="进水泵异响", reported_on=datetime.date(2026, 5, 10))
    _login(client, "same_area")
    page = client.get(reverse("maintenance:asset_detail", args=[place["asset"].pk])).content.decode()
    assert reverse("maintenance:asset_inspect", args=[place["asset"].pk]) in page
    assert reverse("maintenance:asset_fault", args=[place["asset"].pk]) in page
    assert "2026-06-10" in page and "flag-overdue" in page and "进水泵异响" in page
    page = client.get(reverse("villages:detail", args=[place["village"].code])).content.decode()
    assert reverse("maintenance:inspection_detail", args=[done.pk]) in page and "2026-05-10" in page
    assert f"?asset={place['asset'].pk}&amp;status=reported" in page


def test_the_supervisor_reads_but_gets_no_buttons(client, place):
    client.force_login(user_with("huzhou", (Role.SUPERVISOR, "3305")))
    page = client.get(reverse("maintenance:asset_detail", args=[place["asset"].pk])).content.decode()
    assert reverse("maintenance:asset_inspect", args=[place["asset"].pk]) not in page
    assert client.get(reverse("maintenance:asset_inspect", args=[place["asset"].pk])).status_code == 403


def test_the_officials_todo_list_has_overdue_inspections_repairs_and_repairs_to_verify(client, place):
    late = FaultFactory(asset=place["asset"], description="格栅堵塞", reported_on=datetime.date(2026, 6, 1))
    waiting = FaultFactory(asset=place["asset"], description="围栏破损", status="repaired",
                           repair_started_on=datetime.date(2026, 6, 2), repaired_on=datetime.date(2026, 6, 3))
    _login(client, "same_area")
    response = client.get(reverse("home"))
    sections = {s.key: s for s in response.context["todo"]}
    assert [i.pk for i in sections["inspections_overdue"].items] == [place["due"].pk]
    assert [f.pk for f in sections["repairs_overdue"].items] == [late.pk]
    assert [f.pk for f in sections["to_verify"].items] == [waiting.pk]
    page = response.content.decode()
    assert reverse("maintenance:inspection_detail", args=[place["due"].pk]) in page
    assert reverse("maintenance:fault_detail", args=[waiting.pk]) in page
    # Another township's official has none of them.
    client.force_login(user_with("dipu", USERS["other_area"]))
    keys = {s.key for s in client.get(reverse("home")).context["todo"]}
    assert not keys & {"inspections_overdue", "repairs_overdue", "to_verify"}


def test_a_keeper_with_a_portal_account_reaches_their_village_only(client, place):
    """A keeper holds no role: their current assignment gives them their asset's village (core.scoping.KEEPER)."""
    user = UserFactory(username="panwenge")
    Keeper.objects.filter(pk=place["keeper"].pk).update(user=user)
    FaultFactory(asset=place["asset"], description="格栅堵塞", reported_on=datetime.date(2026, 6, 1))
    client.force_login(user)

    home = client.get(reverse("home"))
    assert home.status_code == 200
    sections = {s.key: s for s in home.context["todo"]}
    assert [i.pk for i in sections["inspections_due"].items] == [place["due"].pk]
    assert [f.description for f in sections["faults_open"].items] == ["格栅堵塞"]
    page = home.content.decode()
    assert "余村" in page and "notice" not in page  # their village, not "no role has been granted"

    villages = client.get(reverse("villages:list"))
    assert villages.status_code == 200
    assert [v.code for v in villages.context["object_list"]] == [place["village"].code]
    assert client.get(reverse("villages:detail", args=[place["village"].code])).status_code == 200
    assert client.get(reverse("villages:detail", args=[place["other"].code])).status_code == 404
    assert client.get(reverse("villages:detail", args=["330523001211"])).status_code == 404
    elsewhere = AssetFactory(village=place["other"], name="银坑村公厕", kind="public_toilet")
    assert client.get(reverse("maintenance:asset_detail", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("maintenance:asset_inspect", args=[elsewhere.pk])).status_code == 404

    # The inspection form works for them.
    assert client.get(reverse("maintenance:asset_inspect", args=[place["asset"].pk])).status_code == 200
    response = client.post(reverse("maintenance:asset_inspect", args=[place["asset"].pk]),
                           _inspection_data(photos=[upload("巡查.jpg")]))
    assert response.status_code == 302
    inspection = Inspection.objects.get(pk=place["due"].pk)
    assert inspection.status == "done" and inspection.inspector == user and inspection.photos.count() == 1


def test_a_keeper_is_linked_to_their_portal_account_by_user_name(client, place):
    UserFactory(username="panwenge")
    UserFactory(username="gone", is_active=False)
    _login(client, "same_area")
    url = reverse("maintenance:keeper_edit", args=[place["keeper"].pk])
    base = {"name": "潘文革", "phone": "13800000000", "organisation": "余村村委会"}
    response = client.post(url, {**base, "user": "gone"})
    assert response.status_code == 200 and 'data-field="user"' in response.content.decode()
    assert Keeper.objects.get(pk=place["keeper"].pk).user is None
    assert client.post(url, {**base, "user": "panwenge"}).status_code == 302
    assert Keeper.objects.get(pk=place["keeper"].pk).user.username == "panwenge"
    assert 'value="panwenge"' in client.get(url).content.decode()
    client.post(url, {**base, "user": ""})
    assert Keeper.objects.get(pk=place["keeper"].pk).user is None


def test_county_staff_set_their_countys_interval_and_others_read_it(client, place):
    client.force_login(user_with("anji", (Role.COUNTY_STAFF, "330523")))
    url = reverse("maintenance:intervals")
    page = client.get(url).content.decode()
    assert 'name="days"' in page
    response = client.post(url, {"county": "330523", "kind": "sewage_station", "days": "21"})
    assert response.status_code == 302
    assert InspectionInterval.objects.get(region_id="330523", kind="sewage_station").days == 21
    response = client.post(url, {"county": "330523", "kind": "road", "days": "400"})
    assert response.status_code == 200 and 'data-field="days"' in response.content.decode()
    assert not InspectionInterval.objects.filter(kind="road").exists()

    _login(client, "same_area")
    response = client.get(url)
    assert response.status_code == 200 and 'name="days"' not in response.content.decode()
    assert any(row["kind"] == "sewage_station" and row["days"] == 21 and row["own"] for row in response.context["rows"])
    before = list(InspectionInterval.objects.values_list("kind", "days"))
    assert client.post(url, {"county": "330523", "kind": "sewage_station", "days": "7"}).status_code == 403
    assert list(InspectionInterval.objects.values_list("kind", "days")) == before
