"""Django's flush, made to behave the same on SQLite as on PostgreSQL.

The audit trail is append-only: a trigger refuses UPDATE and DELETE of its
rows (core/migrations/0003). On PostgreSQL, flush empties tables with
TRUNCATE, which row triggers do not see, so a deliberate wipe of the whole
database also empties the audit table. On SQLite flush deletes row by row;
this command lifts the delete trigger for that one statement batch, inside
the same transaction, and puts it back.
"""
from importlib import import_module

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

TRIGGERS = import_module("core.migrations.0003_audit_append_only")
DELETE_TRIGGER = next(sql for sql in TRIGGERS.SQLITE_UP if "BEFORE DELETE" in sql)


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'core_auditentry_no_delete'")
                present = cursor.fetchone() is not None
                if present:
                    cursor.execute("DROP TRIGGER core_auditentry_no_delete")
            try:
                return super().handle(**options)
            finally:
                if present:
                    with connection.cursor() as cursor:
                        cursor.execute(DELETE_TRIGGER)
