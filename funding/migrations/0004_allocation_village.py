"""Every allocation carries its village (set here from its project). The column becomes required, and allocations
may go to an asset's upkeep, in 0005: PostgreSQL does not alter a table with the pending foreign-key checks of
this migration's update in the same transaction."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def village_from_project(apps, schema_editor):
    Allocation = apps.get_model("funding", "Allocation")
    Project = apps.get_model("projects", "Project")
    Allocation.objects.filter(village__isnull=True).update(
        village_id=Subquery(Project.objects.filter(pk=OuterRef("project_id")).values("village_id")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0003_source_earmark_and_entry_dates"),
        ("maintenance", "0003_inspections_and_faults"),
        ("projects", "0001_initial"),
        ("villages", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="village",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="allocations",
                to="villages.village", verbose_name="village",
            ),
        ),
        migrations.RunPython(village_from_project, migrations.RunPython.noop, elidable=False),
    ]
