"""The partial index behind the dashboard's "no progress report in 30 days" list: the longest
silent first (never reported first), over silent villages only. PostgreSQL only: SQLite cannot
index NULLS FIRST, and its tables are small."""
from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS stats_silent_idx ON dashboard_villagestats "
    "(last_report_on ASC NULLS FIRST, village_id) WHERE stale_projects > 0"
)
DROP = "DROP INDEX IF EXISTS stats_silent_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_initial")]
    operations = [
        migrations.RemoveIndex(model_name="villagestats", name="stats_silent_idx"),
        migrations.RunPython(create, drop),
    ]
