"""Keepers (管护人员): the roster of a township or a county, one row per person, in the areas of the user's import
where the user keeps rosters (``keeper.manage``). Phone numbers are personal data: imports are staff-only.

* **Natural key**: the roster (the township's or county's code), the name and the phone number. The model makes
  nothing unique (two people of one name on a roster are told apart by their phones), so the file's phone is part
  of the key: a row whose person exists is an update of the organisation (keeper_update), unchanged when it is the
  same. A changed phone number is a new person to an import: change a keeper's phone on the keeper's page. A
  roster with two entries of one name and phone cannot be matched: that row is an error.
* A keeper's portal account and assignments to assets or villages are not imported (an assignment is a handover
  with a start date, done by keeper_assign / keeper_assign_village on the pages; a row writes one service only).
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.divisions import RegionLevel
from core.scoping import restrict
from maintenance import services as maintenance_services
from maintenance.models import Keeper
from villages.models import Region

from .. import columns as c
from . import register
from .base import Kind, RowPlan

ROSTER_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP)  # keeper_create: a township's or a county's roster


def _roster_code(value):
    if isinstance(value, Decimal):
        value = str(int(value)) if value == value.to_integral() else str(value)
    value = str(value).strip()
    if not (value.isdigit() and len(value) in (6, 9)):
        raise c.CellError(_("not the code of a county or township (6 or 9 digits)"))
    return value


class KeepersKind(Kind):
    key = "keepers"
    label = gettext_lazy("keepers")
    sheet = gettext_lazy("keepers")
    permission = "keeper.manage"
    columns = [
        c.Column("region", gettext_lazy("area code"), _roster_code, note=gettext_lazy(
            "The code of the township or county whose roster the keeper is on (see the sheet of area codes).")),
        c.Column("name", pgettext_lazy("person", "name"), c.text(64)),
        c.Column("phone", gettext_lazy("phone"), c.text(32), required=False, note=gettext_lazy(
            "With the name, it finds the keeper when the file is uploaded again: a changed number is a new keeper "
            "(change a number on the keeper's page).")),
        c.Column("organisation", gettext_lazy("organisation"), c.text(120), required=False, width=24),
    ]
    example = {"region": "330523108", "name": "王建国", "phone": "13900000000", "organisation": "余村村委会"}

    def example_cells(self) -> dict:
        return {"region": "330523108", "name": "王建国", "phone": "13900000000"}

    def areas(self, *, user, region):
        """The rosters the user keeps within ``region``: its townships' and counties'."""
        return restrict(Region.objects.filter(code__startswith=region.code, level__in=ROSTER_LEVELS),
                        user, self.permission)

    def reference_rows(self, *, user, region, params=None):
        return self.area_sheet(self.areas(user=user, region=region))

    def check(self, *, user, region, plans: list[RowPlan], params: dict) -> None:
        region_column, name_column = self.column("region"), self.column("name")
        codes = sorted({p.data["region"] for p in plans if p.data.get("region")})
        areas = {r.code: r for r in self.areas(user=user, region=region).filter(code__in=codes)}
        existing: dict[tuple, list[Keeper]] = {}
        for keeper in Keeper.objects.filter(region_id__in=list(areas)).order_by("pk"):
            existing.setdefault((keeper.region_id, keeper.name, keeper.phone), []).append(keeper)
        seen: dict[tuple, int] = {}
        for plan in plans:
            data = plan.data
            key = (data.get("region"), data.get("name"), data.get("phone") or "")
            if key[0] and key[0] not in areas:
                self.refuse_row_outside(plan, region_column)
            if key[0] and key[1]:
                first = seen.setdefault(key, plan.row)
                if first != plan.row:
                    plan.error(name_column, _("the same roster, name and phone as row %(row)d") % {"row": first})
            if plan.errors:
                continue
            plan.key = " · ".join(part for part in key if part)
            plan.summary = f"{key[1]} · {areas[key[0]].name}"
            found = existing.get(key, [])
            organisation = data.get("organisation") or ""
            if len(found) > 1:
                plan.error(name_column, _("the roster has %(count)d keepers of this name and phone: change them on their pages")
                           % {"count": len(found)})
            elif not found:
                plan.action, plan.target = "create", areas[key[0]]
            elif found[0].organisation == organisation:
                plan.action = "unchanged"
            else:
                plan.action, plan.target = "update", found[0]
                plan.changes = {"organisation": [found[0].organisation, organisation]}

    def write(self, *, actor, plan: RowPlan, params: dict):
        data = plan.data
        if plan.action == "create":
            return maintenance_services.keeper_create(actor=actor, region=plan.target, data={
                "name": data["name"], "phone": data.get("phone") or "", "organisation": data.get("organisation") or ""})
        return maintenance_services.keeper_update(actor=actor, keeper=plan.target,
                                                  data={"organisation": data.get("organisation") or ""})


register(KeepersKind())
