"""Targets (目标): one row per area, year and kind; the natural key is that triple. A target is set by the level
above the area (planning.services.target_set checks ``target.set`` on the area's parent), so a county's staff import
their townships' targets, a city's its counties'. A row with the quantity and note already set is unchanged."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import scoping
from planning import services as planning_services
from planning.models import Target, TargetKind
from villages.models import Region

from .. import columns as c
from . import register
from .base import Kind, RowPlan


def _area_code(value):
    if isinstance(value, Decimal):
        value = str(int(value)) if value == value.to_integral() else str(value)
    value = str(value).strip()
    if not (value.isdigit() and len(value) in (2, 4, 6, 9)):
        raise c.CellError(_("not the code of a province, city, county or township (2, 4, 6 or 9 digits)"))
    return value


class TargetsKind(Kind):
    key = "targets"
    label = gettext_lazy("targets")
    sheet = gettext_lazy("targets")
    permission = "target.set"
    columns = [
        c.Column("region", gettext_lazy("area code"), _area_code, note=gettext_lazy(
            "The code of the township, county or city whose target it is (see the sheet of area codes).")),
        c.Column("year", gettext_lazy("year"), c.integer(2003, 2100)),
        c.Column("kind", gettext_lazy("kind of target"), c.choice(TargetKind.choices), choices=TargetKind.choices, width=24),
        c.Column("quantity", gettext_lazy("target quantity"), c.decimal(2), note=gettext_lazy(
            "In the unit of the kind (户, km, 座, 盏, m², 处, or villages).")),
        c.Column("note", gettext_lazy("note"), c.text(200), required=False, width=24),
    ]
    example = {"region": "330523108", "year": "2026", "kind": "sewage", "quantity": "12", "note": ""}

    def example_cells(self) -> dict:
        return {"region": "330523108", "year": "2026", "quantity": "12"}

    def areas(self, *, user, region):
        """The areas whose targets the user sets: those whose parent the user may set targets on, within ``region``."""
        below = Region.objects.filter(code__startswith=region.code)
        allowed = scoping.restrict(Region.objects.all(), user, self.permission).values("code")
        return below.filter(parent__code__in=allowed)

    def may_import(self, user, region) -> bool:
        return self.areas(user=user, region=region).exists()

    def reference_rows(self, *, user, region, params=None):
        return self.area_sheet(self.areas(user=user, region=region))

    def check(self, *, user, region, plans: list[RowPlan], params: dict) -> None:
        codes = sorted({p.data["region"] for p in plans if p.data.get("region")})
        areas = {r.code: r for r in self.areas(user=user, region=region).filter(code__in=codes)}
        existing = {(t.region_id, t.year, t.kind): t for t in Target.objects.filter(region_id__in=list(areas))}
        seen: dict[tuple, int] = {}
        for plan in plans:
            data = plan.data
            if data.get("region") and data["region"] not in areas:
                self.refuse_row_outside(plan, self.column("region"))
            key = (data.get("region"), data.get("year"), data.get("kind"))
            if None not in key:
                first = seen.setdefault(key, plan.row)
                if first != plan.row:
                    plan.error(self.column("kind"), _("the same area, year and kind as row %(row)d") % {"row": first})
            if plan.errors:
                continue
            plan.key = f"{key[0]} · {key[1]} · {TargetKind(key[2]).label}"
            plan.summary = f"{areas[key[0]].name} · {data['quantity']}"
            current = existing.get(key)
            note = (data.get("note") or "").strip()
            if current is None:
                plan.action, plan.target = "create", areas[key[0]]
            elif current.quantity == data["quantity"] and current.note == note:
                plan.action = "unchanged"
            else:
                plan.action, plan.target = "update", areas[key[0]]
                plan.changes = {"quantity": [str(current.quantity), str(data["quantity"])]}

    def write(self, *, actor, plan: RowPlan, params: dict):
        data = plan.data
        return planning_services.target_set(actor=actor, region=plan.target, year=data["year"], kind=data["kind"],
                                            quantity=data["quantity"], note=data.get("note") or "")


register(TargetsKind())
