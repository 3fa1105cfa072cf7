"""Long-term maintenance on a phone, in a real browser (issue 19, item 8): the township official records the due
inspection of a sewage station with a photo, the phone's position and a fault found; the keeper, who has a portal
account, marks the fault repaired with a photo; the township verifies the repair."""
import datetime

import pytest

from core.models import Role
from maintenance.models import Fault, FaultStatus, Inspection
from tests.factories import AssetFactory, InspectionFactory, KeeperAssignmentFactory, KeeperFactory, VillageFactory, user_with
from tests.images import exif_with, image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
YUCUN = {"latitude": 30.458333, "longitude": 119.68}


@pytest.fixture
def station():
    today = datetime.date.today()
    village = VillageFactory(code="330523108204", name="余村村委会")
    asset = AssetFactory(village=village, name="余村污水处理终端", commissioned_on=datetime.date(2020, 6, 1))
    keeper_user = user_with("panwenge")  # no role: a keeper's portal account
    keeper = KeeperFactory(name="潘文革", region=village.township, user=keeper_user)
    KeeperAssignmentFactory(asset=asset, keeper=keeper, starts_on=datetime.date(2021, 1, 1))
    due = InspectionFactory(asset=asset, due_on=today - datetime.timedelta(days=3))
    return {
        "asset": asset, "due": due, "keeper": keeper_user,
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
    }


def _submit(page, selector="button[type=submit].primary"):
    with page.expect_navigation():
        page.click(selector)


def _photo(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(image_bytes(size=(1600, 1200), exif=exif_with(taken=f"{datetime.date.today():%Y:%m:%d} 09:30:00")))
    return str(path)


def _thumbnails_load(page, selector):
    for thumb in page.locator(selector).all():
        thumb.scroll_into_view_if_needed()  # thumbnails load lazily
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())


def test_an_inspection_with_a_photo_and_a_fault_then_repaired_and_verified(phone, station, tmp_path):
    official, keeper = phone(), phone()
    official.context.grant_permissions(["geolocation"], origin=official.base)
    official.context.set_geolocation(YUCUN)
    asset = station["asset"]

    # The official sees the overdue inspection on the to-do list and opens the asset.
    page = official.login("tianhuangping", PASSWORD)
    assert page.locator('[data-todo="inspections_overdue"]').is_visible()
    official.shot("maintenance-01-official-home")
    page = official.go(f"/maintenance/assets/{asset.pk}/")
    official.shot("maintenance-02-asset")
    with page.expect_navigation():
        page.click(f'a[href="/maintenance/assets/{asset.pk}/inspect/"]')

    # Records the inspection: condition 2, two checklist items, a note, a real photo, the phone's position, a fault.
    assert page.input_value("#id_done_on") == datetime.date.today().isoformat()
    page.check("#id_condition_1")  # 2 · 较差
    page.check("input[name=checklist][value=equipment_running]")
    page.check("input[name=checklist][value=records_kept]")
    page.fill("#id_notes", "出水略浑，格栅需清理。")
    page.set_input_files("#id_photos", _photo(tmp_path, "巡查照片.jpg"))
    assert page.locator(".photo-previews img").count() == 1
    page.click("button.locate")
    page.wait_for_function("() => document.querySelector('#id_latitude').value !== ''")
    assert page.input_value("#id_latitude") == "30.458333" and page.input_value("#id_longitude") == "119.680000"
    page.click(".fault-found summary")
    page.select_option("#id_severity", "major")
    page.fill("#id_description", "进水泵异响，需检修。")
    official.shot("maintenance-03-inspection-form")
    _submit(page)

    assert page.locator(".messages").is_visible()
    _thumbnails_load(page, ".thumbs img")
    assert page.get_by_text("出水略浑，格栅需清理。").is_visible()
    official.shot("maintenance-04-inspection-detail")
    inspection = Inspection.objects.get(pk=station["due"].pk)
    assert (inspection.status, inspection.condition) == ("done", 2)
    assert str(inspection.latitude) == "30.458333" and inspection.photos.count() == 1
    fault = Fault.objects.get(inspection=inspection)
    assert fault.severity == "major" and fault.status == FaultStatus.REPORTED

    # The keeper logs in on their phone: the fault is on their list; they mark it repaired with a photo.
    page = keeper.login("panwenge", PASSWORD)
    assert page.locator('[data-todo="faults_open"]').get_by_text("余村污水处理终端").is_visible()
    keeper.shot("maintenance-05-keeper-home")
    with page.expect_navigation():
        page.locator('[data-todo="faults_open"] a', has_text="余村污水处理终端").click()
    assert page.locator("form.repair-form").is_visible() and not page.locator("form.reject-form").count()
    # Without a photo first: refused on the photos field.
    page.fill("#id_repair_repair_notes", "更换进水泵轴承，清理格栅。")
    _submit(page, "form.repair-form button[type=submit]")
    assert page.locator('.field-error[data-field="photos"]').is_visible()
    keeper.shot("maintenance-06-repair-refused")
    page.set_input_files("#id_repair_photos", _photo(tmp_path, "维修后.jpg"))
    _submit(page, "form.repair-form button[type=submit]")
    assert page.locator(".status-repaired").first.is_visible()
    _thumbnails_load(page, ".thumbs img")
    keeper.shot("maintenance-07-repaired")
    fault.refresh_from_db()
    assert fault.status == FaultStatus.REPAIRED and fault.photos.filter(stage="repaired").count() == 1

    # The township verifies the repair.
    page = official.go("/")
    assert page.locator('[data-todo="to_verify"]').is_visible()
    page = official.go(f"/maintenance/faults/{fault.pk}/")
    _thumbnails_load(page, ".thumbs img")
    official.shot("maintenance-08-to-verify")
    _submit(page, "button[value=verify]")
    assert page.locator(".status-verified").first.is_visible()
    official.shot("maintenance-09-verified")
    fault.refresh_from_db()
    assert fault.status == FaultStatus.VERIFIED and fault.verified_by == station["official"]

    # The lists and the asset page, on the phone and at a desk.
    official.go("/maintenance/inspections/")
    official.shot("maintenance-10-inspections")
    official.go("/maintenance/faults/")
    official.shot("maintenance-11-faults")
    desk = phone(desktop=True)
    desk.login("tianhuangping", PASSWORD)
    desk.go(f"/maintenance/assets/{asset.pk}/inspect/")
    desk.shot("maintenance-12-inspection-form-desktop")
    desk.go(f"/maintenance/faults/{fault.pk}/")
    desk.shot("maintenance-13-fault-desktop")
    desk.go("/villages/330523108204/")
    desk.shot("maintenance-14-village-assets-desktop")
