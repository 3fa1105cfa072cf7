"""Projects accepted before assets existed become assets (issue 19, item 1): the free text typed at acceptance
(property owner, maintenance owner) is read into the structured fields; the project's columns are kept."""
from decimal import Decimal

from django.db import migrations


def assets_of_accepted_projects(apps, schema_editor):
    from maintenance.models import chief_for, kind_and_unit_for, owner_kind_from_text

    Project = apps.get_model("projects", "Project")
    ProjectTransition = apps.get_model("projects", "ProjectTransition")
    Asset = apps.get_model("maintenance", "Asset")
    Keeper = apps.get_model("maintenance", "Keeper")
    KeeperAssignment = apps.get_model("maintenance", "KeeperAssignment")
    accepted = Project.objects.filter(status="accepted").exclude(assets__isnull=False).select_related("village")
    keepers = {}
    for project in accepted.order_by("pk").iterator(chunk_size=500):
        moment = (
            ProjectTransition.objects.filter(project=project, to_status="accepted").order_by("-at").values_list("at", flat=True).first()
        )
        on_date = moment.date() if moment else (project.actual_end or project.updated_at.date())
        kind, unit = kind_and_unit_for(project.type)
        village = project.village
        asset = Asset.objects.create(
            kind=kind, village=village, project=project, name=project.name[:120], latitude=village.latitude,
            longitude=village.longitude, quantity=Decimal(1), unit=unit, commissioned_on=on_date,
            owner_kind=owner_kind_from_text(project.property_owner), owner_name=project.property_owner[:120],
            maintenance_body=project.maintenance_body or "village_collective", status="in_service",
        )
        name = (project.maintenance_owner or "").strip()[:64]
        if name:
            key = (village.township_id, name)
            if key not in keepers:
                keepers[key] = (
                    Keeper.objects.filter(region_id=village.township_id, name=name).order_by("id").first()
                    or Keeper.objects.create(region_id=village.township_id, name=name)
                )
            KeeperAssignment.objects.create(keeper=keepers[key], chief_type=chief_for(kind), asset=asset, starts_on=on_date)


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0001_initial"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(assets_of_accepted_projects, migrations.RunPython.noop)]
