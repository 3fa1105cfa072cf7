"""Fast bulk inserts for data commands: PostgreSQL COPY, executemany elsewhere.

Rows go in with explicit primary keys (taken from ``next_ids``) so that
related rows can point at them without a round trip; ``reset_sequence``
moves the table's id sequence past them afterwards. The database still
checks every constraint.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.db import connection

CHUNK = 50_000


def _columns(model, fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def copy_into(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``) into the model's table. Returns the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = _columns(model, fields)
    count = 0
    if connection.vendor == "postgresql":
        sql = f"COPY {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        buffer, pending = io.StringIO(), 0
        writer = csv.writer(buffer, lineterminator="\n")
        with connection.cursor() as cursor:
            for row in rows:
                writer.writerow([_csv(v) for v in row])
                pending += 1
                if pending >= CHUNK:
                    buffer.seek(0)
                    cursor.cursor.copy_expert(sql, buffer)
                    count += pending
                    buffer, pending = io.StringIO(), 0
                    writer = csv.writer(buffer, lineterminator="\n")
            if pending:
                buffer.seek(0)
                cursor.cursor.copy_expert(sql, buffer)
                count += pending
        return count
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) VALUES ({placeholders})"
    batch = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(tuple(row))
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _csv(value):
    # NULL is written \N (so that an empty string stays an empty string); booleans as t/f.
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return value


def next_ids(model, count: int) -> range:
    """``count`` primary keys above the table's current maximum."""
    start = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    return range(start, start + count)


def reset_sequence(*models) -> None:
    """Move id sequences past explicitly inserted keys (PostgreSQL; SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def analyze(*models) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL), so that the first queries
    after it get the plans the data deserves."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
