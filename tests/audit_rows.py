"""The audit-row net: every service that writes is checked for the audit rows it writes.

Each app's ``tests/<app>/test_audit_rows.py`` holds
- ``CASES``: {service function name: case}, a case being a function of the app's fixtures that calls the service
  (once or a few times) and returns the audit rows those calls must have written, as ``Row``s, in order;
- ``NO_AUDIT_ROW``: {service function name: why it writes without an audit row}, for the few writes that are
  bookkeeping, not a change someone made.
``run_case`` runs a case and compares the rows written with the rows it returns: actor, action, object (model
and primary key), the recorded changes (exactly, or the fields given) and the note.

``tests/core/test_audit_rows.py::test_every_writing_service_is_in_the_audit_net`` reads every app's services
module and fails when a public function that writes is in neither table: the net grows with the code.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEntry

ABSENT = object()


@dataclass
class Row:
    """An audit row a service must write. ``obj``: the object, or (model, pk) for one deleted since.
    ``changes``: the exact {field: [before, after]}; or ``fields``: only these fields, exactly (others may be
    there). With ``created=True`` every recorded field must have None before it (a created object).
    ``note``: the exact note (not checked when None)."""

    actor: object
    action: str
    obj: object
    changes: dict | None = None
    fields: dict = field(default_factory=dict)
    created: bool = False
    note: str | None = None

    def target(self) -> tuple[type[models.Model], str]:
        if isinstance(self.obj, tuple):
            model, pk = self.obj
            return model, str(pk)
        return type(self.obj), str(self.obj.pk)


def last_row_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def rows_since(row_id: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=row_id).select_related("content_type").order_by("pk"))


def _describe(entry: AuditEntry) -> str:
    return (f"{entry.action} {entry.content_type.app_label}.{entry.content_type.model}#{entry.object_id} "
            f"by {entry.actor_id} changes={entry.changes} note={entry.note!r}")


def assert_rows(written: list[AuditEntry], expected: list[Row]) -> None:
    assert len(written) == len(expected), (
        f"{len(written)} audit rows written, {len(expected)} expected:\n" + "\n".join(map(_describe, written))
    )
    for number, (entry, row) in enumerate(zip(written, expected), 1):
        where = f"audit row {number}: {_describe(entry)}"
        actor_id = getattr(row.actor, "pk", None)
        assert entry.actor_id == actor_id, f"{where}: actor {entry.actor_id}, expected {actor_id}"
        assert entry.action == row.action, f"{where}: action {entry.action}, expected {row.action}"
        model, pk = row.target()
        assert entry.content_type == ContentType.objects.get_for_model(model, for_concrete_model=False), (
            f"{where}: object of {entry.content_type}, expected {model.__name__}"
        )
        assert entry.object_id == pk, f"{where}: object #{entry.object_id}, expected #{pk}"
        if row.changes is not None:
            assert entry.changes == row.changes, f"{where}: changes {entry.changes}, expected {row.changes}"
        for name, before_after in row.fields.items():
            assert entry.changes.get(name, ABSENT) == before_after, (
                f"{where}: {name} recorded as {entry.changes.get(name, '(absent)')}, expected {before_after}"
            )
        if row.created:
            assert entry.changes, f"{where}: a created object with no recorded values"
            assert all(before is None for before, _after in entry.changes.values()), f"{where}: not a creation"
        if row.note is not None:
            assert entry.note == row.note, f"{where}: note {entry.note!r}, expected {row.note!r}"


def run_case(case, request) -> None:
    """Run one case with the fixtures its parameters name; check the audit rows its service calls wrote. A case
    with a ``start`` parameter gets a function to call once its setup is done: rows written before are not its."""
    since = [0]

    def start():
        since[0] = last_row_id()

    names = inspect.signature(case).parameters
    fixtures = {name: start if name == "start" else request.getfixturevalue(name) for name in names}
    start()
    expected = case(**fixtures)
    since = since[0]
    assert expected, "a case must expect at least one audit row"
    assert_rows(rows_since(since), expected)


# --- the guard's reading of a services module ---------------------------------------------------

# Calls that write to the database (or lock rows for a write, or open the transaction of one). A function
# making any of them, directly or through a function of its own module, is taken to write. Generous on purpose:
# a function wrongly taken to write only needs an entry in NO_AUDIT_ROW; one wrongly taken not to would slip.
WRITE_CALLS = {
    "save", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "update", "delete",
    "set_password", "set_unusable_password", "select_for_update", "atomic", "record", "record_create", "execute",
    "executemany", "copy_expert", "copy", "add", "remove", "clear", "set",
}


def services_modules() -> dict[str, object]:
    """{app label: its services module} for every installed app of the project that has one."""
    from django.conf import settings

    found = {}
    for config in apps.get_app_configs():
        if Path(config.path).parent != Path(settings.BASE_DIR):
            continue  # Django's and third-party apps
        if importlib.util.find_spec(f"{config.name}.services") is not None:
            found[config.label] = importlib.import_module(f"{config.name}.services")
    return found


def public_functions(module) -> list[str]:
    return sorted(
        name for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
    )


def writing_functions(module) -> set[str]:
    """The public functions of ``module`` that write, directly or through the module's other functions."""
    tree = ast.parse(inspect.getsource(module))
    defs = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    direct, calls = {}, {}
    for name, node in defs.items():
        called = set()
        writes = False
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                if isinstance(inner.func, ast.Attribute) and inner.func.attr in WRITE_CALLS:
                    writes = True
                elif isinstance(inner.func, ast.Name) and inner.func.id in defs:
                    called.add(inner.func.id)
            elif isinstance(inner, ast.Name) and inner.id in defs:
                called.add(inner.id)  # passed or returned as a callable (an on_commit hook, a lambda's body)
        direct[name], calls[name] = writes, called

    def writes(name, seen=()):
        return direct[name] or any(writes(callee, (*seen, name)) for callee in calls[name] - {name, *seen})

    return {name for name in public_functions(module) if name in defs and writes(name)}
