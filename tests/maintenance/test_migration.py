"""The data migration (issue 19, item 1): projects accepted before assets existed become assets, their free text
read into the structured fields; the project's own columns are kept."""
import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from maintenance.models import Asset, KeeperAssignment, OwnerKind, owner_kind_from_text
from projects.models import ProjectStatus, ProjectTransition
from tests.factories import AssetFactory, VillageFactory, project_in

migration = importlib.import_module("maintenance.migrations.0002_assets_of_accepted_projects")


@pytest.mark.django_db
def test_accepted_projects_become_assets_once():
    village = VillageFactory(code="330523108204")
    accepted = project_in(ProjectStatus.ACCEPTED, village=village, type="sewage", property_owner="安吉县水利局",
                          maintenance_owner="潘春林")
    ProjectTransition.objects.create(project=accepted, from_status="completed", to_status="accepted",
                                     at=timezone.make_aware(datetime.datetime(2024, 11, 20, 10)))
    second = project_in(ProjectStatus.ACCEPTED, village=village, type="road", property_owner="", maintenance_owner="潘春林")
    done_already = project_in(ProjectStatus.ACCEPTED, village=village)
    AssetFactory(project=done_already, village=village)
    project_in(ProjectStatus.COMPLETED, village=village)

    migration.assets_of_accepted_projects(apps, None)
    migration.assets_of_accepted_projects(apps, None)  # run twice: nothing more

    asset = Asset.objects.get(project=accepted)
    assert (asset.kind, asset.commissioned_on, asset.owner_kind, asset.owner_name) == (
        "sewage_station", datetime.date(2024, 11, 20), OwnerKind.COUNTY_DEPARTMENT, "安吉县水利局")
    other = Asset.objects.get(project=second)
    assert (other.kind, other.unit, other.commissioned_on, other.owner_kind) == ("road", "km", second.actual_end, OwnerKind.VILLAGE_COLLECTIVE)
    assert Asset.objects.filter(project=done_already).count() == 1
    assert Asset.objects.count() == 3
    keepers = KeeperAssignment.objects.filter(ends_on__isnull=True).values_list("keeper__name", flat=True)
    assert sorted(keepers) == ["潘春林", "潘春林"]  # one keeper on the township's roster, for both
    assert KeeperAssignment.objects.values("keeper").distinct().count() == 1
    accepted.refresh_from_db()
    assert accepted.property_owner == "安吉县水利局"  # the old column stays


@pytest.mark.parametrize("text, kind", [
    ("", OwnerKind.VILLAGE_COLLECTIVE),
    ("余村股份经济合作社", OwnerKind.VILLAGE_COLLECTIVE),
    ("天荒坪镇人民政府", OwnerKind.TOWNSHIP_GOVERNMENT),
    ("安吉县交通运输局", OwnerKind.COUNTY_DEPARTMENT),
    ("安吉水务有限公司", OwnerKind.ENTERPRISE),
    ("张三", OwnerKind.OTHER),
])
def test_owner_kind_from_text(text, kind):
    assert owner_kind_from_text(text) == kind
