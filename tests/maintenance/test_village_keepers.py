"""A village's own keepers (河长, 林长, 保洁员...): one current keeper per chief type, handovers kept, ended on purpose."""
import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.exceptions import Conflict, IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from maintenance import services
from maintenance.models import KeeperAssignment
from tests.factories import KeeperAssignmentFactory, KeeperFactory, VillageFactory, user_with

DAY = datetime.date(2024, 3, 1)


@pytest.fixture
def place(db):
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    return {
        "yucun": yucun,
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "first": KeeperFactory(name="潘河长", region=yucun.township),
        "second": KeeperFactory(name="胡河长", region=yucun.township),
    }


def test_a_new_river_chief_takes_over_from_the_old_one(place):
    first = services.keeper_assign_village(actor=place["official"], village=place["yucun"], keeper=place["first"],
                                           chief_type="river", starts_on=DAY)
    forest = services.keeper_assign_village(actor=place["official"], village=place["yucun"], keeper=place["first"],
                                            chief_type="forest", starts_on=DAY)
    second = services.keeper_assign_village(actor=place["official"], village=place["yucun"], keeper=place["second"],
                                            chief_type="river", starts_on=DAY + datetime.timedelta(days=30))
    first.refresh_from_db()
    forest.refresh_from_db()
    assert first.ends_on == DAY + datetime.timedelta(days=30) and second.ends_on is None
    assert forest.ends_on is None  # another chief type is untouched
    assert AuditEntry.objects.filter(object_id=str(first.pk), action="update").exists()
    with pytest.raises(Conflict):
        services.keeper_assign_village(actor=place["official"], village=place["yucun"], keeper=place["second"], chief_type="river")
    with pytest.raises(InvalidInput) as refused:
        services.keeper_assign_village(actor=place["official"], village=place["yucun"], keeper=place["first"],
                                       chief_type="river", starts_on=DAY)
    assert "starts_on" in refused.value.field_errors


def test_the_database_keeps_one_current_chief_of_a_type_per_village(place):
    KeeperAssignmentFactory(asset=None, village=place["yucun"], keeper=place["first"], chief_type="river")
    with pytest.raises(IntegrityError), transaction.atomic():
        KeeperAssignmentFactory(asset=None, village=place["yucun"], keeper=place["second"], chief_type="river")


@pytest.mark.parametrize("who", ["neighbour", "anonymous"])
def test_others_cannot_assign_or_end_and_nothing_changes(place, who, client):
    assignment = KeeperAssignmentFactory(asset=None, village=place["yucun"], keeper=place["first"], chief_type="river")
    if who != "anonymous":
        client.force_login(place[who])
        with pytest.raises(NotPermitted):
            services.keeper_assignment_end(actor=place[who], assignment=assignment)
    response = client.post(reverse("maintenance:village_keeper_end", args=[assignment.pk]), {"confirmed": "yes"})
    assert response.status_code in (302, 404) and (who != "anonymous" or response["Location"].startswith("/accounts/login"))
    response = client.post(reverse("maintenance:village_keepers", args=[place["yucun"].code]),
                           {"keeper": place["second"].pk, "chief_type": "forest", "starts_on": "2024-03-01"})
    assert response.status_code in (302, 404)
    assignment.refresh_from_db()
    assert assignment.ends_on is None and KeeperAssignment.objects.count() == 1


def test_the_township_ends_a_responsibility_through_the_page(place, client):
    assignment = KeeperAssignmentFactory(asset=None, village=place["yucun"], keeper=place["first"], chief_type="river")
    client.force_login(place["official"])
    page = client.get(reverse("maintenance:village_keepers", args=[place["yucun"].code]))
    assert page.status_code == 200 and "潘河长" in page.content.decode()
    asked = client.post(reverse("maintenance:village_keeper_end", args=[assignment.pk]))
    assert asked.status_code == 200 and KeeperAssignment.objects.get().ends_on is None  # the confirmation first
    done = client.post(reverse("maintenance:village_keeper_end", args=[assignment.pk]), {"confirmed": "yes"})
    assert done.status_code == 302
    assert KeeperAssignment.objects.get().ends_on is not None
    with pytest.raises(Conflict):
        services.keeper_assignment_end(actor=place["official"], assignment=KeeperAssignment.objects.get())


def test_an_assets_keeper_is_not_ended_here(place):
    from tests.factories import AssetFactory

    assignment = KeeperAssignmentFactory(asset=AssetFactory(village=place["yucun"]), keeper=place["first"])
    with pytest.raises(IllegalTransition):
        services.keeper_assignment_end(actor=place["official"], assignment=assignment)


def test_the_village_page_names_its_chiefs(place, client):
    services.keeper_assign_village(actor=place["official"], village=place["yucun"], keeper=place["first"], chief_type="river",
                                   starts_on=DAY)
    client.force_login(place["official"])
    page = client.get(reverse("villages:detail", args=[place["yucun"].code])).content.decode()
    assert "潘河长" in page and reverse("maintenance:village_keepers", args=[place["yucun"].code]) in page
