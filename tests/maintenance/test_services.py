"""Assets and keepers (issue 19, items 1-2): acceptance creates the asset, registration by hand, handovers with
their history, the one-current rule, refusals that leave nothing changed, and the audit rows."""
import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import Conflict, IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from maintenance import services
from maintenance.models import Asset, AssetKind, AssetStatus, ChiefType, Keeper, KeeperAssignment, OwnerKind
from projects import services as project_services
from projects.models import Project, ProjectStatus
from tests.factories import AssetFactory, KeeperAssignmentFactory, KeeperFactory, VillageFactory, project_in, user_with

TODAY = datetime.date.today()


@pytest.fixture
def users(db):
    return {
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "other_county": user_with("changxing", (Role.COUNTY_STAFF, "330522")),
        "supervisor": user_with("huzhou", (Role.SUPERVISOR, "3305")),
    }


@pytest.fixture
def yucun(db):
    return VillageFactory(code="330523108204", name="余村村委会", latitude=Decimal("30.5"), longitude=Decimal("119.6"))


def _accept(users, project, **maintenance):
    maintenance = {"maintenance_body": "village_collective", "maintenance_owner": "潘春林", "property_owner": "余村股份经济合作社",
                   **maintenance}
    return project_services.project_transition(actor=users["county"], project=project, action="accept", maintenance=maintenance,
                                               actual_output="2.5")


def _state():
    return (
        list(Asset.objects.order_by("pk").values()),
        list(Keeper.objects.order_by("pk").values()),
        list(KeeperAssignment.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
        list(Project.objects.order_by("pk").values_list("pk", "status", "version")),
    )


def test_accepting_a_project_creates_its_asset_and_its_keeper(users, yucun):
    project = project_in(ProjectStatus.COMPLETED, village=yucun, type="road", name="余村村道硬化")
    _accept(users, project)
    asset = Asset.objects.get(project=project)
    assert (asset.kind, asset.unit, asset.name, asset.village_id) == (AssetKind.ROAD, "km", "余村村道硬化", yucun.code)
    assert (asset.latitude, asset.longitude) == (Decimal("30.500000"), Decimal("119.600000"))
    assert asset.commissioned_on == TODAY
    assert (asset.owner_kind, asset.owner_name, asset.maintenance_body) == (OwnerKind.VILLAGE_COLLECTIVE, "余村股份经济合作社",
                                                                           "village_collective")
    current = KeeperAssignment.objects.get(asset=asset, ends_on__isnull=True)
    assert (current.keeper.name, current.keeper.region_id, current.chief_type) == ("潘春林", "330523108", ChiefType.ROAD)
    assert AuditEntry.objects.filter(object_id=str(asset.pk), content_type__model="asset", action="create").count() == 1
    assert AuditEntry.objects.filter(content_type__model="keeperassignment", action="create").count() == 1


def test_a_second_acceptance_in_the_township_reuses_the_named_keeper(users, yucun):
    first = project_in(ProjectStatus.COMPLETED, village=yucun)
    second = project_in(ProjectStatus.COMPLETED, village=yucun, type="toilet")
    _accept(users, first)
    _accept(users, second)
    assert Keeper.objects.filter(name="潘春林").count() == 1
    assert KeeperAssignment.objects.filter(keeper__name="潘春林", ends_on__isnull=True).count() == 2
    assert Asset.objects.get(project=second).kind == AssetKind.PUBLIC_TOILET


def test_a_failing_asset_rolls_the_acceptance_back(users, yucun, monkeypatch):
    project = project_in(ProjectStatus.COMPLETED, village=yucun)
    before = _state()

    def broken(**kwargs):
        raise InvalidInput(field_errors={"kind": "no"})

    monkeypatch.setattr(services, "asset_create_from_project", broken)
    with pytest.raises(InvalidInput):
        _accept(users, project)
    assert _state() == before
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED


def test_other_transitions_create_no_asset(users, yucun):
    project = project_in(ProjectStatus.COMPLETED, village=yucun)
    project_services.project_transition(actor=users["county"], project=project, action="rework", reason="路面开裂")
    assert not Asset.objects.exists()


ASSET = {
    "kind": "public_toilet", "name": "余村旅游公厕", "quantity": Decimal("1"), "unit": "stations",
    "commissioned_on": datetime.date(2015, 5, 1), "owner_kind": "village_collective", "owner_name": "余村",
    "maintenance_body": "village_collective",
}


@pytest.mark.parametrize("who", ["official", "county"])
def test_register_update_and_retire_by_hand(users, yucun, who):
    actor = users[who]
    asset = services.asset_register(actor=actor, village=yucun, data=dict(ASSET))
    assert asset.project is None and asset.status == AssetStatus.IN_SERVICE
    services.asset_update(actor=actor, asset=asset, data={"name": "余村游客中心公厕", "quantity": Decimal("2")})
    asset.refresh_from_db()
    assert (asset.name, asset.quantity) == ("余村游客中心公厕", Decimal("2.00"))
    KeeperAssignmentFactory(asset=asset, starts_on=datetime.date(2016, 1, 1))
    services.asset_retire(actor=actor, asset=asset, on_date=datetime.date(2024, 1, 1), reason="拆除重建")
    asset.refresh_from_db()
    assert (asset.status, asset.retired_on) == (AssetStatus.RETIRED, datetime.date(2024, 1, 1))
    assert not KeeperAssignment.objects.filter(asset=asset, ends_on__isnull=True).exists()
    actions = list(AuditEntry.objects.filter(content_type__model="asset", object_id=str(asset.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "transition"]
    with pytest.raises(IllegalTransition):
        services.asset_update(actor=actor, asset=asset, data={"name": "x"})


@pytest.mark.parametrize("who", ["neighbour", "other_county", "supervisor"])
def test_who_may_not_register_changes_nothing(users, yucun, who):
    asset = AssetFactory(village=yucun)
    keeper = KeeperFactory()
    before = _state()
    with pytest.raises(NotPermitted):
        services.asset_register(actor=users[who], village=yucun, data=dict(ASSET))
    with pytest.raises(NotPermitted):
        services.asset_update(actor=users[who], asset=asset, data={"name": "改名"})
    with pytest.raises(NotPermitted):
        services.asset_retire(actor=users[who], asset=asset)
    with pytest.raises(NotPermitted):
        services.keeper_assign(actor=users[who], asset=asset, keeper=keeper, chief_type="keeper")
    with pytest.raises(NotPermitted):
        services.keeper_update(actor=users[who], keeper=keeper, data={"name": "改名"})
    assert _state() == before


@pytest.mark.parametrize("data, field", [
    ({"quantity": Decimal("0")}, "quantity"),
    ({"kind": "castle"}, "kind"),
    ({"name": "  "}, "name"),
    ({"latitude": Decimal("30.1"), "longitude": None}, "longitude"),
    ({"commissioned_on": TODAY + datetime.timedelta(days=3)}, "commissioned_on"),
])
def test_register_refuses_bad_facts(users, yucun, data, field):
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.asset_register(actor=users["official"], village=yucun, data={**ASSET, **data})
    assert field in refused.value.field_errors
    assert _state() == before


def test_more_assets_of_an_accepted_project_only(users, yucun):
    accepted = project_in(ProjectStatus.ACCEPTED, village=yucun)
    building = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=yucun)
    services.asset_register(actor=users["official"], village=yucun, data={**ASSET, "kind": "sewer_network", "unit": "km"},
                            project=accepted)
    assert accepted.assets.count() == 1
    with pytest.raises(IllegalTransition):
        services.asset_register(actor=users["official"], village=yucun, data=dict(ASSET), project=building)


def test_the_database_keeps_one_current_keeper_per_asset(db):
    asset = AssetFactory()
    KeeperAssignmentFactory(asset=asset)
    with pytest.raises(IntegrityError), transaction.atomic():
        KeeperAssignmentFactory(asset=asset)


def test_the_database_refuses_an_assignment_for_both_or_neither(db, yucun):
    asset = AssetFactory(village=yucun)
    with pytest.raises(IntegrityError), transaction.atomic():
        KeeperAssignmentFactory(asset=asset, village=yucun)
    with pytest.raises(IntegrityError), transaction.atomic():
        KeeperAssignmentFactory(asset=None, village=None)


def test_the_database_refuses_a_quantity_of_zero(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        AssetFactory(quantity=Decimal("0"))


def test_handover_ends_the_current_and_keeps_the_history(users, yucun):
    asset = AssetFactory(village=yucun)
    first = KeeperFactory(name="潘文革")
    second = KeeperFactory(name="胡加仁", region=yucun.township.parent)  # the county's roster
    services.keeper_assign(actor=users["official"], asset=asset, keeper=first, chief_type="station",
                           starts_on=datetime.date(2022, 1, 1))
    audit_before = AuditEntry.objects.count()
    services.keeper_assign(actor=users["county"], asset=asset, keeper=second, chief_type="station",
                           starts_on=datetime.date(2024, 7, 1))
    history = list(KeeperAssignment.objects.filter(asset=asset).order_by("starts_on").values_list("keeper__name", "starts_on", "ends_on"))
    assert history == [("潘文革", datetime.date(2022, 1, 1), datetime.date(2024, 7, 1)), ("胡加仁", datetime.date(2024, 7, 1), None)]
    assert AuditEntry.objects.count() == audit_before + 2  # the end of one, the start of the other


def test_handover_refusals_change_nothing(users, yucun):
    asset = AssetFactory(village=yucun)
    keeper = KeeperFactory()
    elsewhere = KeeperFactory(region=VillageFactory(township_code="330523001").township)
    services.keeper_assign(actor=users["official"], asset=asset, keeper=keeper, chief_type="station", starts_on=datetime.date(2023, 1, 1))
    before = _state()
    with pytest.raises(Conflict):
        services.keeper_assign(actor=users["official"], asset=asset, keeper=keeper, chief_type="station")
    with pytest.raises(InvalidInput):  # before the current keeper started
        services.keeper_assign(actor=users["official"], asset=asset, keeper=KeeperFactory(), chief_type="station",
                               starts_on=datetime.date(2022, 1, 1))
    before = _state()
    with pytest.raises(InvalidInput):  # another township's roster
        services.keeper_assign(actor=users["county"], asset=asset, keeper=elsewhere, chief_type="station")
    with pytest.raises(InvalidInput):
        services.keeper_assign(actor=users["official"], asset=asset, keeper=keeper, chief_type="mayor")
    assert _state() == before


def test_keepers_on_a_roster(users, yucun):
    township = yucun.township
    keeper = services.keeper_create(actor=users["official"], region=township, data={"name": "潘春林", "phone": "13900000000"})
    services.keeper_update(actor=users["official"], keeper=keeper, data={"organisation": "余村村委会"})
    keeper.refresh_from_db()
    assert (keeper.region_id, keeper.organisation) == ("330523108", "余村村委会")
    with pytest.raises(NotPermitted):  # a township official keeps the township's roster, not the county's
        services.keeper_create(actor=users["official"], region=township.parent, data={"name": "县管护员"})
    county_keeper = services.keeper_create(actor=users["county"], region=township.parent, data={"name": "县管护员"})
    assignment = services.keeper_assign_village(actor=users["county"], village=yucun, keeper=county_keeper, chief_type="river")
    assert (assignment.village_id, assignment.asset_id) == (yucun.code, None)
