"""Assets (设施) registered by hand: facilities built before the portal, or more assets of a village's accepted
projects, in the villages of the user's area (``asset.manage``).

* **Natural key**: the village, the kind of asset and its name (the model makes nothing unique; a village with two
  assets of one kind and name cannot be matched: that row is an error, to be changed on the asset's page). A row
  whose asset exists is an update of its other facts (asset_update), unchanged when none differs; a retired asset
  can no longer change (an error), and is left alone when the row matches it. A renamed asset is a new one.
* An update writes what the file says: a blank owner's name or blank coordinates clear them.
* The position is both latitude and longitude, or neither (as the service wants).
"""
from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maintenance import services as maintenance_services
from maintenance.models import Asset, AssetKind, AssetStatus, AssetUnit, OwnerKind
from projects.models import MaintenanceBody
from villages.models import Village

from .. import columns as c
from . import register
from .base import Kind, RowPlan, chunked

FIELDS = ("quantity", "unit", "commissioned_on", "owner_kind", "owner_name", "maintenance_body", "latitude", "longitude")


def coordinate(limit: int):
    """Degrees, -limit to limit, at most six decimals."""
    def parse(value):
        number = c._number(value)
        if not -limit <= number <= limit:
            raise c.CellError(_("between -%(n)d and %(n)d degrees") % {"n": limit})
        if number != number.quantize(Decimal("0.000001")):
            raise c.CellError(_("at most %(n)d decimals") % {"n": 6})
        return number
    return parse


class AssetsKind(Kind):
    key = "assets"
    label = gettext_lazy("assets")
    sheet = gettext_lazy("assets")
    permission = "asset.manage"
    columns = [
        c.Column("village", gettext_lazy("village code"), c.code(12), note=gettext_lazy(
            "The 12-digit code of the village (see the sheet of village codes).")),
        c.Column("kind", gettext_lazy("asset kind"), c.choice(AssetKind.choices), choices=AssetKind.choices, width=20),
        c.Column("name", gettext_lazy("asset name"), c.text(120), width=28, note=gettext_lazy(
            "Unique in its village and kind: uploading the file again finds the asset by it.")),
        c.Column("quantity", gettext_lazy("quantity"), c.decimal(2, positive=True)),
        c.Column("unit", gettext_lazy("unit"), c.choice(AssetUnit.choices), choices=AssetUnit.choices),
        c.Column("commissioned_on", gettext_lazy("commissioned on"), c.date, note=gettext_lazy(
            "A date, as 2018-06-30; not in the future.")),
        c.Column("owner_kind", gettext_lazy("property owner"), c.choice(OwnerKind.choices), choices=OwnerKind.choices,
                 width=20),
        c.Column("owner_name", gettext_lazy("owner's name"), c.text(120), required=False, width=24),
        c.Column("maintenance_body", gettext_lazy("maintenance body"), c.choice(MaintenanceBody.choices),
                 choices=MaintenanceBody.choices, width=20),
        c.Column("latitude", gettext_lazy("latitude"), coordinate(90), required=False, note=gettext_lazy(
            "Decimal degrees, as 30.512345; with the longitude, or both blank.")),
        c.Column("longitude", gettext_lazy("longitude"), coordinate(180), required=False, note=gettext_lazy(
            "Decimal degrees, as 119.678901; with the latitude, or both blank.")),
    ]
    example = {"village": "330523108204", "kind": "sewage_station", "name": "余村1号污水处理终端", "quantity": "1",
               "unit": "stations", "commissioned_on": "2018-06-30", "owner_kind": "village_collective",
               "owner_name": "余村股份经济合作社", "maintenance_body": "village_collective", "latitude": "30.512345",
               "longitude": "119.678901"}

    def example_cells(self) -> dict:
        return {"village": "330523108204", "name": "余村1号污水处理终端", "owner_name": "余村股份经济合作社"}

    def reference_rows(self, *, user, region, params=None):
        return self.village_sheet(user=user, region=region)

    def check(self, *, user, region, plans: list[RowPlan], params: dict) -> None:
        village_column, name_column = self.column("village"), self.column("name")
        codes = sorted({p.data["village"] for p in plans if p.data.get("village")})
        villages: dict[str, Village] = {}
        existing: dict[tuple, list[Asset]] = {}
        for chunk in chunked(codes):
            villages |= {v.code: v for v in self.villages(user=user, region=region).filter(code__in=chunk)}
            for asset in Asset.objects.filter(village_id__in=[code for code in chunk if code in villages]).order_by("pk"):
                existing.setdefault((asset.village_id, asset.kind, asset.name), []).append(asset)
        today = timezone.localdate()
        seen: dict[tuple, int] = {}
        for plan in plans:
            data = plan.data
            key = (data.get("village"), data.get("kind"), data.get("name"))
            if key[0] and key[0] not in villages:
                self.refuse_row_outside(plan, village_column)
            if None not in key:
                first = seen.setdefault(key, plan.row)
                if first != plan.row:
                    plan.error(name_column, _("the same village, kind and name as row %(row)d") % {"row": first})
            if data.get("commissioned_on") and data["commissioned_on"] > today:
                plan.error(self.column("commissioned_on"), _("in the future"))
            latitude, longitude = data.get("latitude"), data.get("longitude")
            if (latitude is None) != (longitude is None):
                missing = "longitude" if longitude is None else "latitude"
                if not any(column == str(self.column(missing).header) for column, _m in plan.errors):
                    plan.error(self.column(missing), _("give both latitude and longitude, or neither"))
            if plan.errors:
                continue
            plan.key = f"{key[0]} · {AssetKind(key[1]).label} · {key[2]}"
            plan.summary = f"{key[2]} · {villages[key[0]].short_name} · {data['quantity']} {AssetUnit(data['unit']).label}"
            found = existing.get(key, [])
            if len(found) > 1:
                plan.error(name_column, _("the village has %(count)d assets of this kind and name: change them on their pages")
                           % {"count": len(found)})
                continue
            if not found:
                plan.action, plan.target = "create", villages[key[0]]
                continue
            asset = found[0]
            changes = {f: data.get(f) for f in FIELDS if _differs(getattr(asset, f), data.get(f))}
            if not changes:
                plan.action = "unchanged"
            elif asset.status == AssetStatus.RETIRED:
                plan.error(name_column, _("the asset is retired: it can no longer be changed"))
            else:
                if "latitude" in changes or "longitude" in changes:  # the service checks the position as a pair
                    changes["latitude"], changes["longitude"] = latitude, longitude
                plan.action, plan.target, plan.changes = "update", asset, changes

    def write(self, *, actor, plan: RowPlan, params: dict):
        if plan.action == "create":
            data = {f: plan.data.get(f) for f in ("kind", "name", *FIELDS)}
            data["owner_name"] = data["owner_name"] or ""
            return maintenance_services.asset_register(actor=actor, village=plan.target, data=data)
        changes = dict(plan.changes)
        if "owner_name" in changes:
            changes["owner_name"] = changes["owner_name"] or ""
        return maintenance_services.asset_update(actor=actor, asset=plan.target, data=changes)


def _differs(current, new) -> bool:
    if current in (None, "") and new in (None, ""):
        return False
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        try:
            return Decimal(current) != Decimal(new)
        except (TypeError, ArithmeticError):
            return True
    return current != new


register(AssetsKind())
