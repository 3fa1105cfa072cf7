"""The kinds of import, each in its own module: its columns, how its rows are checked against the database (in bulk,
a few queries per thousand rows), its natural key (what makes a second upload of the same file change nothing), and
the service each row is written through."""
from __future__ import annotations

from .base import Kind

KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.key] = kind
    return kind


def kind_of(key: str) -> Kind:
    if not KINDS:
        from . import assets, keepers, plan_items, projects, scores, targets  # noqa: F401  (each module registers its kind)
    return KINDS[key]


def all_kinds() -> list[Kind]:
    """Every kind, in the order of ImportKind (projects first)."""
    from ..models import ImportKind

    kind_of("projects")
    return [KINDS[key] for key in ImportKind.values if key in KINDS]
