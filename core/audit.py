"""The audit trail: every service that changes a tracked record calls
``record()`` inside its own transaction, so the change and its audit row
commit or roll back together.

The request's IP address and id reach services through a context variable set
by ``core.middleware.RequestContextMiddleware``, so services never take a
request argument.
"""
from __future__ import annotations

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.fields.files import FieldFile

# The request context lives in core.context (the log formatter reads it before the apps are loaded).
from .context import current_ip, current_request_id, request_context  # noqa: F401
from .models import AuditAction, AuditEntry

# Fields never copied into the audit trail.
SECRET_FIELDS = {"password", "key", "token"}


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The object's concrete field values, JSON-ready (foreign keys as ids)."""
    result = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in SECRET_FIELDS or field.name in ("created_at", "updated_at"):
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, models.DecimalField) and value is not None:
            # One spelling per amount, whether it came from a form or the database.
            value = decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-field.decimal_places))
        result[field.name] = _plain(value)
    return result


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for every field whose value changed."""
    keys = before.keys() | after.keys()
    return {key: [before.get(key), after.get(key)] for key in sorted(keys) if before.get(key) != after.get(key)}


def record(*, actor, action: str, obj: models.Model, changes: dict | None = None, note: str = "") -> AuditEntry:
    """Write one audit row for a change of ``obj`` made by ``actor``.

    Must be called inside the transaction that makes the change.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        ip=current_ip(),
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
        note=note,
    )


def record_create(*, actor, obj: models.Model, note: str = "") -> AuditEntry:
    return record(actor=actor, action=AuditAction.CREATE, obj=obj, changes=diff({}, snapshot(obj)), note=note)


def record_created_in_bulk(*, actor, objs: list[models.Model], note: str = "") -> int:
    """One creation row per object, written in one statement (a beat task opening thousands of due inspections).
    Must be called inside the transaction that creates them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_created_in_bulk() must run inside the transaction that makes the change")
    if not objs:
        return 0
    content_type = ContentType.objects.get_for_model(objs[0], for_concrete_model=False)
    actor = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    rows = [
        AuditEntry(actor=actor, ip=current_ip(), action=AuditAction.CREATE, content_type=content_type, object_id=str(obj.pk),
                   object_repr=str(obj)[:200], changes=diff({}, snapshot(obj)), note=note)
        for obj in objs
    ]
    return len(AuditEntry.objects.bulk_create(rows, batch_size=1000))


def history(obj: models.Model):
    """The audit rows of one object, newest first, with their actors."""
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )
