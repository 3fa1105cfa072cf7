"""python manage.py grant_app_role ROLE: the portal's least-privilege database role.

Run by the owner of the tables (the role migrations run as) after every `migrate`; idempotent. The app role
(web, worker and beat connect as it) gets exactly:

- CONNECT and TEMPORARY on the database (import_divisions stages rows in a temporary table), USAGE on the schema;
- SELECT, INSERT, UPDATE, DELETE on every table, except
  - the audit table (core_auditentry): SELECT and INSERT only, so the append-only trail cannot be rewritten;
  - django_migrations: SELECT only (migrations are the owner's);
- USAGE and SELECT on every sequence (inserts; pg_dump reads them);
- the same on tables and sequences the owner creates later (ALTER DEFAULT PRIVILEGES), until the next run.

It never gets TRUNCATE, TRIGGER, REFERENCES or ownership: it cannot ALTER TABLE ... DISABLE TRIGGER, TRUNCATE,
DROP or create objects. What it cannot do at run time, and who does it instead: ANALYZE after a large dashboard
rebuild is skipped with a warning (autovacuum analyzes; the owner may run it), setval after bulk loads with explicit
ids (generate_programme, loaddata) and restores are the owner's. COPY ... TO STDOUT (reports), SET TRANSACTION
SNAPSHOT (the split roster) and pg_dump (make backup) need only SELECT.
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core.models import AuditEntry

# Tables the app role may only read and append to; and tables it may only read.
APPEND_ONLY = (AuditEntry._meta.db_table,)
READ_ONLY = ("django_migrations",)


class Command(BaseCommand):
    help = "Grant the portal's database role least privilege on this database (run as the tables' owner after migrate)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the app role web, worker and beat connect as (e.g. qiancun_app); it must exist")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)")

    def handle(self, *args, role, database, verbosity, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role works on PostgreSQL only (DATABASE_URL is not a PostgreSQL URL).")
        from psycopg2 import sql

        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found is None:
                raise CommandError(f"Role {role!r} does not exist: create it first (deploy/postgres/roles.sql).")
            if found[0]:
                raise CommandError(f"Role {role!r} is a superuser: privileges cannot restrict it.")
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            current, dbname, schema = cursor.fetchone()
            if current == role:
                raise CommandError(f"Role {role!r} is the role this command runs as: run it as the tables' owner.")
            to = sql.Identifier(role)
            on_schema = sql.Identifier(schema)
            statements = [
                # From a clean slate, so a second run (or an earlier hand-made grant) converges on the same privileges.
                sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(on_schema, to),
                sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(on_schema, to),
                sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(sql.Identifier(dbname), to),
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(on_schema, to),
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(on_schema, to),
                sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(on_schema, to),
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(
                    on_schema, to),
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(on_schema, to),
            ]
            existing = set(connection.introspection.table_names(cursor))
            for table in APPEND_ONLY:
                if table in existing:
                    statements.append(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), to))
            for table in READ_ONLY:
                if table in existing:
                    statements.append(sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), to))
            for statement in statements:
                cursor.execute(statement.as_string(connection.connection))
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(
                f"Granted {role} least privilege on {dbname}.{schema} as {current}: read and write every table, "
                f"only SELECT and INSERT on {', '.join(APPEND_ONLY)}, only SELECT on {', '.join(READ_ONLY)}."
            ))
