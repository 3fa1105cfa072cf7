"""Projects (项目): new projects for villages of the user's area, as drafts; the natural key is the village and the
user's own reference number (项目编号). A row whose project exists is an update while the project is a draft or
returned (project_update), unchanged when nothing differs, and an error once it was submitted."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import services as project_services
from projects.models import Project, ProjectType
from villages.models import Village

from .. import columns as c
from . import register
from .base import Kind, RowPlan, chunked

FIELDS = ("name", "type", "budget", "planned_start", "planned_end", "planned_output", "responsible_person",
          "responsible_phone", "description")


class ProjectsKind(Kind):
    key = "projects"
    label = gettext_lazy("projects")
    sheet = gettext_lazy("projects")
    permission = "project.create"
    columns = [
        c.Column("village", gettext_lazy("village code"), c.code(12), note=gettext_lazy(
            "The 12-digit code of the village (see the sheet of village codes).")),
        c.Column("reference", gettext_lazy("reference number"), c.text(40), note=gettext_lazy(
            "Your own number for the project, unique in its village: uploading the file again finds the project by it.")),
        c.Column("name", gettext_lazy("project name"), c.text(120), width=28),
        c.Column("type", gettext_lazy("project type"), c.choice(ProjectType.choices), choices=ProjectType.choices, width=22),
        c.Column("budget", gettext_lazy("budget (yuan)"), c.money, money=True, note=gettext_lazy(
            "In yuan; 1,234,567.89 and 120万 are read too; a header “预算（万元）” reads the column in 万元.")),
        c.Column("planned_start", gettext_lazy("planned start"), c.date, note=gettext_lazy("A date, as 2025-03-01.")),
        c.Column("planned_end", gettext_lazy("planned end"), c.date, note=gettext_lazy("A date, as 2025-12-31.")),
        c.Column("planned_output", gettext_lazy("planned output"), c.decimal(2), required=False, note=gettext_lazy(
            "In the unit of the project type (户, km, 座, 盏, m² or 处)."), money=False),
        c.Column("responsible_person", gettext_lazy("responsible person"), c.text(64)),
        c.Column("responsible_phone", gettext_lazy("responsible person's phone"), c.text(32), required=False),
        c.Column("description", gettext_lazy("description"), c.text(2000), required=False, width=30),
    ]
    example = {
        "village": "330523108204", "reference": "AJ-2025-001", "name": "余村生活污水管网提升工程", "type": "sewage",
        "budget": "860000.00", "planned_start": "2025-03-01", "planned_end": "2025-11-30", "planned_output": "3.2",
        "responsible_person": "李明", "responsible_phone": "", "description": "",
    }

    def example_cells(self) -> dict:
        # The row as the template writes it: the label of its type, dates as dates (compared as text).
        return {"village": "330523108204", "reference": "AJ-2025-001", "name": "余村生活污水管网提升工程"}

    def reference_rows(self, *, user, region, params=None):
        return self.village_sheet(user=user, region=region)

    def check(self, *, user, region, plans: list[RowPlan], params: dict) -> None:
        village_column, reference_column = self.column("village"), self.column("reference")
        codes = sorted({p.data["village"] for p in plans if p.data.get("village")})
        villages: dict[str, Village] = {}
        for chunk in chunked(codes):
            villages |= {v.code: v for v in self.villages(user=user, region=region).filter(code__in=chunk)}
        keys = sorted({(p.data.get("village"), p.data.get("reference")) for p in plans if p.data.get("reference")})
        existing: dict[tuple[str, str], Project] = {}
        for chunk in chunked(keys):
            rows = Project.objects.filter(village_id__in={k[0] for k in chunk}, reference__in={k[1] for k in chunk})
            existing |= {(p.village_id, p.reference): p for p in rows}
        seen: dict[tuple[str, str], int] = {}
        for plan in plans:
            data = plan.data
            code, reference = data.get("village"), data.get("reference")
            if code and code not in villages:
                self.refuse_row_outside(plan, village_column)
            if code and reference:
                first = seen.setdefault((code, reference), plan.row)
                if first != plan.row:
                    plan.error(reference_column, _("the same village and number as row %(row)d") % {"row": first})
            start, end = data.get("planned_start"), data.get("planned_end")
            if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end < start:
                plan.error(self.column("planned_end"), _("before the planned start"))
            if plan.errors:
                continue
            plan.key = f"{code} · {reference}"
            plan.summary = f"{data['name']} · {villages[code].short_name}"
            project = existing.get((code, reference))
            if project is None:
                plan.action, plan.target = "create", villages[code]
                continue
            changes = {f: data.get(f) for f in FIELDS if _differs(getattr(project, f), data.get(f))}
            if not changes:
                plan.action = "unchanged"
            elif project.status not in project_services.EDITABLE_STATUSES:
                plan.error(reference_column, _("project %(name)s is %(status)s: it can no longer be changed by an import")
                           % {"name": project.name, "status": project.get_status_display()})
            else:
                plan.action, plan.target, plan.changes = "update", project, changes

    def write(self, *, actor, plan: RowPlan, params: dict):
        data = {f: plan.data.get(f) for f in FIELDS}
        data["responsible_phone"] = data["responsible_phone"] or ""
        data["description"] = data["description"] or ""
        if plan.action == "create":
            return project_services.project_create(actor=actor, village=plan.target,
                                                   data={**data, "reference": plan.data["reference"]})
        project = plan.target
        changes = {k: (v if v is not None else ("" if k in ("responsible_phone", "description") else None))
                   for k, v in plan.changes.items()}
        return project_services.project_update(actor=actor, project=project, data=changes, expected_version=project.version)


def _differs(current, new) -> bool:
    if current in (None, "") and new in (None, ""):
        return False
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        try:
            return Decimal(current) != Decimal(new)
        except (TypeError, ArithmeticError):
            return True
    return current != new


register(ProjectsKind())
