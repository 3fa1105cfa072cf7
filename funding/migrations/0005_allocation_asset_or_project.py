"""Upkeep money (管护经费): an allocation goes to a project (construction) or to an asset (upkeep), exactly one of
them; its village is required."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0004_allocation_village"),
        ("maintenance", "0003_inspections_and_faults"),
    ]

    operations = [
        migrations.AlterField(
            model_name="allocation",
            name="village",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="allocations", to="villages.village",
                verbose_name="village",
            ),
        ),
        migrations.AddField(
            model_name="allocation",
            name="asset",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="upkeep_allocations",
                to="maintenance.asset", verbose_name="asset",
            ),
        ),
        migrations.AlterField(
            model_name="allocation",
            name="project",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="allocations",
                to="projects.project", verbose_name="project",
            ),
        ),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(("asset__isnull", True), ("project__isnull", False))
                | models.Q(("asset__isnull", False), ("project__isnull", True)),
                name="allocation_project_xor_asset",
            ),
        ),
    ]
