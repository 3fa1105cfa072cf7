"""Plan items (规划项目): one row per item of a current plan.

* **Which plan.** A row with a village code is an item of that village's current construction plan (村庄建设规划);
  a village with no current construction plan is an error on the village code. A row with the village code left
  blank is an item of the county's current layout plan (村庄布局规划), written with no village (work that concerns
  no single village): only in an import for a county (the layout plan is the county's), by a user who may manage
  the county's plans (county staff); in an import for a township or a city a blank village code is an error. Adding
  a layout plan's item that names a village is left to the plan's page (a village code here means the village's
  own construction plan).
* **Natural key**: the plan, the kind of work and the item's name. A row whose item exists is an update of its
  quantity, estimated cost and planned year (plan_item_update), unchanged when none of them differs; a renamed
  item is a new one.
* **Reasons**, the service's rule (planning.services): every change to an existing item needs a reason; adding an
  item needs one once the plan is a later version (v2 or more) or a project cites one of its items. A row that needs
  a reason without one is an error on the reason column; an unchanged row needs none.
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import scoping
from planning import services as planning_services
from planning.models import Plan, PlanCitation, PlanItem, PlanKind, PlanStatus
from projects.models import ProjectType
from villages.models import Village

from .. import columns as c
from . import register
from .base import Kind, RowPlan, chunked

FIELDS = ("quantity", "estimated_cost", "planned_year")  # what an import changes on an existing item
LAYOUT = ""  # the key of the county's layout plan among the plans of a file (a blank village code)


class PlanItemsKind(Kind):
    key = "plan_items"
    label = gettext_lazy("plan items")
    sheet = gettext_lazy("plan items")
    permission = "plan.manage"
    columns = [
        c.Column("village", gettext_lazy("village code"), c.code(12), required=False, note=gettext_lazy(
            "The 12-digit code of the village whose construction plan the item is in (see the sheet of village codes). "
            "Left blank in an import for a county: an item of the county's layout plan.")),
        c.Column("kind", gettext_lazy("work kind"), c.choice(ProjectType.choices), choices=ProjectType.choices, width=22),
        c.Column("name", gettext_lazy("item"), c.text(160), width=28, note=gettext_lazy(
            "The item's name, unique in its plan and kind of work: uploading the file again finds the item by it.")),
        c.Column("quantity", gettext_lazy("quantity"), c.decimal(2, positive=True), note=gettext_lazy(
            "In the unit of the kind of work (户, km, 座, 盏, m² or 处).")),
        c.Column("estimated_cost", gettext_lazy("estimated cost (yuan)"), c.money, money=True, note=gettext_lazy(
            "In yuan; 1,234,567.89 and 120万 are read too; a header “估算投资（万元）” reads the column in 万元.")),
        c.Column("planned_year", gettext_lazy("planned year"), c.integer(2003, 2100), note=gettext_lazy(
            "A year within the plan's validity.")),
        c.Column("reason", gettext_lazy("reason"), c.text(500), required=False, width=28, note=gettext_lazy(
            "Needed to change an existing item, and to add one to a revised plan (version 2 or later) or to a plan "
            "whose items projects cite.")),
    ]
    example = {"village": "330523108204", "kind": "sewage", "name": "余村污水管网延伸", "quantity": "1.5",
               "estimated_cost": "300000.00", "planned_year": "2026", "reason": ""}

    def example_cells(self) -> dict:
        return {"village": "330523108204", "name": "余村污水管网延伸", "planned_year": "2026"}

    def reference_rows(self, *, user, region, params=None):
        rows = self.villages(user=user, region=region).select_related("township", "township__parent").order_by("code")
        plans = dict(Plan.objects.filter(kind=PlanKind.CONSTRUCTION, status=PlanStatus.CURRENT,
                                         area_code__startswith=region.code).values_list("area_code", "title"))
        return ([_("village code"), _("village"), _("township"), _("county"), _("current plan")],
                [[v.code, v.short_name, v.township.name, v.township.parent.name, plans.get(v.code, "")]
                 for v in rows.iterator(chunk_size=2000)])

    def check(self, *, user, region, plans: list[RowPlan], params: dict) -> None:
        village_column, name_column, reason_column = self.column("village"), self.column("name"), self.column("reason")
        codes = sorted({p.data["village"] for p in plans if p.data.get("village")})
        villages: dict[str, Village] = {}
        current: dict[str, Plan] = {}  # village code (or LAYOUT) → its current plan
        for chunk in chunked(codes):
            villages |= {v.code: v for v in self.villages(user=user, region=region).filter(code__in=chunk)}
            current |= {p.area_code: p for p in Plan.objects.filter(kind=PlanKind.CONSTRUCTION, status=PlanStatus.CURRENT,
                                                                    area_code__in=chunk)}
        layout_exists = False
        if len(region.code) == 6 and any(not p.data.get("village") for p in plans):
            layout = Plan.objects.filter(kind=PlanKind.LAYOUT, status=PlanStatus.CURRENT, area_code=region.code).first()
            layout_exists = layout is not None
            if layout_exists and scoping.can(user, self.permission, layout):
                current[LAYOUT] = layout
        plan_ids = [p.pk for p in current.values()]
        existing: dict[tuple, list[PlanItem]] = {}
        for item in PlanItem.objects.filter(plan_id__in=plan_ids).order_by("pk"):
            existing.setdefault((item.plan_id, item.kind, item.name), []).append(item)
        cited = set(PlanCitation.objects.filter(item__plan_id__in=plan_ids).values_list("item__plan_id", flat=True).distinct())
        seen: dict[tuple, int] = {}
        for plan in plans:
            data = plan.data
            code = data.get("village") or LAYOUT
            target = current.get(code)
            if code and code not in villages:
                self.refuse_row_outside(plan, village_column)
            elif code and target is None:
                plan.error(village_column, _("the village has no current construction plan: record it first"))
            elif not code and len(region.code) != 6:
                plan.error(village_column, _("required (a blank village code means the county's layout plan, in an "
                                             "import for a county only)"))
            elif not code and target is None:
                if layout_exists:
                    self.refuse_row_outside(plan, village_column)
                else:
                    plan.error(village_column, _("blank: the county has no current layout plan"))
            if target is not None and data.get("kind") and data.get("name"):
                first = seen.setdefault((target.pk, data["kind"], data["name"]), plan.row)
                if first != plan.row:
                    plan.error(name_column, _("the same plan, kind of work and item as row %(row)d") % {"row": first})
            year = data.get("planned_year")
            if target is not None and year is not None and not target.valid_from.year <= year <= target.valid_until.year:
                plan.error(self.column("planned_year"), _("the plan is valid from %(start)s to %(end)s")
                           % {"start": target.valid_from.year, "end": target.valid_until.year})
            if plan.errors:
                continue
            items = existing.get((target.pk, data["kind"], data["name"]), [])
            reason = (data.get("reason") or "").strip()
            plan.key = f"{code or region.code} · {ProjectType(data['kind']).label} · {data['name']}"
            plan.summary = f"{target.title} · {data['quantity']}"
            if len(items) > 1:
                plan.error(name_column, _("the plan has %(count)d items of this kind and name: change them on the plan's page")
                           % {"count": len(items)})
                continue
            if not items:
                if not reason and (target.version > 1 or target.pk in cited):
                    plan.error(reason_column, _("required: the plan is a later version or projects cite its items, "
                                                "so an added item needs a reason"))
                    continue
                plan.action, plan.target = "create", target
                continue
            item = items[0]
            changes = {f: data[f] for f in FIELDS if _differs(getattr(item, f), data[f])}
            if not changes:
                plan.action = "unchanged"
            elif not reason:
                plan.error(reason_column, _("required: changing an item of a plan needs a reason"))
            else:
                plan.action, plan.target, plan.changes = "update", item, changes

    def write(self, *, actor, plan: RowPlan, params: dict):
        data, reason = plan.data, (plan.data.get("reason") or "").strip()
        if plan.action == "create":
            values = {"kind": data["kind"], "name": data["name"], "quantity": data["quantity"],
                      "estimated_cost": data["estimated_cost"], "planned_year": data["planned_year"]}
            if plan.target.kind == PlanKind.LAYOUT:
                values["village"] = None
            return planning_services.plan_item_add(actor=actor, plan=plan.target, data=values, reason=reason)
        return planning_services.plan_item_update(actor=actor, item=plan.target, data=dict(plan.changes), reason=reason)


def _differs(current, new) -> bool:
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        return Decimal(current) != Decimal(new)
    return current != new


register(PlanItemsKind())
