from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from core.scoping import restrict
from villages.models import Village

from ..columns import CellError, Column, normalise_header

EXAMPLE_ROW = 2  # imports.template writes the example right below the header
CHUNK = 1000  # rows looked up per query by the kinds' checks


def chunked(values: list, size: int = CHUNK):
    """``values`` in slices of at most ``size`` (one query each)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass
class RowPlan:
    """What one data row would do: ``action`` create, update or unchanged (or None with ``errors``)."""

    row: int
    data: dict
    action: str | None = None
    key: str = ""
    summary: str = ""
    target: object = None  # the object an update changes
    changes: dict = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)

    def error(self, column: Column | str, message: str) -> None:
        self.errors.append((str(column.header) if isinstance(column, Column) else str(column), str(message)))


class Kind:
    """One kind of import. Subclasses give ``key``, ``label``, ``sheet``, ``permission`` (the gate's action each row
    is written under, on its area), ``columns`` and ``example``, and implement ``check`` and ``write``."""

    key = ""
    label = ""
    sheet = ""  # the data sheet's name in the template (the one read when a file has several)
    permission = ""
    columns: list[Column] = []
    example: dict = {}

    def get_columns(self, params: dict) -> list[Column]:
        """The columns of a file of this kind (a kind whose columns depend on its parameters, as the indicators of an
        assessment round, overrides it)."""
        return self.columns

    def header_map(self, headers: list[str], params: dict | None = None) -> tuple[dict[int, tuple[Column, Decimal]], list[str], list[str]]:
        """{index of the file's column: (column, multiplier)}, the missing required headers, the unknown ones."""
        columns = self.get_columns(params or {})
        spellings = {}
        for column in columns:
            for spelt, multiplier in column.headers().items():
                spellings[spelt] = (column, multiplier)
        found, unknown, seen = {}, [], set()
        for index, header in enumerate(headers):
            match = spellings.get(normalise_header(header))
            if match is None or match[0].key in seen:
                if header:
                    unknown.append(header)
                continue
            found[index] = match
            seen.add(match[0].key)
        missing = [str(c.header) for c in columns if c.required and c.key not in seen]
        return found, missing, unknown

    def parse(self, number: int, values: list, mapping) -> RowPlan:
        plan = RowPlan(row=number, data={})
        for index, (column, multiplier) in mapping.items():
            try:
                plan.data[column.key] = column.read(values[index] if index < len(values) else None, multiplier)
            except CellError as error:
                plan.error(column, error)
        return plan

    def is_example(self, number: int, values: list, mapping) -> bool:
        """The template's example row, left in the file: the second row (right below the header) when it holds the
        example's values. The same values further down are a row like any other."""
        example = self.example_cells()
        if number != EXAMPLE_ROW or not example:
            return False
        cells = {column.key: values[index] for index, (column, _m) in mapping.items() if index < len(values)}
        return all(str(cells.get(key) or "") == str(value) for key, value in example.items())

    def example_cells(self) -> dict:
        return {key: value for key, value in self.example.items() if value not in (None, "")}

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def clean_params(self, *, user, region, params: dict) -> dict:
        """What the kind needs besides the file (an assessment round), checked; none by default."""
        return {}

    def may_import(self, user, region) -> bool:
        """Beyond the permission on the area or an area below it (targets: on the area's parent)."""
        return False

    # What a kind implements.
    def check(self, *, user, region, plans: list[RowPlan], params: dict) -> None:  # pragma: no cover - abstract
        """Check the parsed rows against the database, in bulk; set each plan's action (or its errors)."""
        raise NotImplementedError

    def write(self, *, actor, plan: RowPlan, params: dict):  # pragma: no cover - abstract
        """Write one checked row through the domain's service."""
        raise NotImplementedError

    def reference_rows(self, *, user, region, params=None) -> tuple[list[str], list[list]]:
        """The template's reference sheet: headers and rows (the villages or areas the user may import for)."""
        return [], []

    # Shared by the kinds: the villages (or areas) of the import's area the user may write, and their sheet of codes.
    def villages(self, *, user, region):
        """The villages of ``region`` on which the user holds the kind's permission (through the gate)."""
        return restrict(Village.objects.filter(code__startswith=region.code), user, self.permission)

    def village_sheet(self, *, user, region) -> tuple[list[str], list[list]]:
        rows = self.villages(user=user, region=region).select_related("township", "township__parent").order_by("code")
        return ([_("village code"), _("village"), _("township"), _("county")],
                [[v.code, v.short_name, v.township.name, v.township.parent.name] for v in rows.iterator(chunk_size=2000)])

    @staticmethod
    def area_sheet(areas) -> tuple[list[str], list[list]]:
        rows = areas.select_related("parent").order_by("code")
        return ([_("area code"), _("area"), _("level"), _("part of")],
                [[r.code, r.name, r.get_level_display(), r.parent.name if r.parent else ""] for r in rows])

    def refuse_row_outside(self, plan: RowPlan, column: Column) -> None:
        plan.error(column, _("not in the area you may import for"))
