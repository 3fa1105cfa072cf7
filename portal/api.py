"""API v1 endpoints that combine apps: /villages/{code}/status/ and /regions/{code}/summary/.

The village and region viewsets of villages.api, with the two actions added; config/api_urls.py registers
these."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from assessment.api import FollowUpSerializer
from dashboard.selectors import dashboard
from dashboard.status import village_block
from villages import api as village_api


def _totals(t) -> dict:
    def dec(value):
        return None if value is None else str(value)

    return {
        "villages": t.villages, "projects": t.projects, "completion": dec(t.completion),
        "overdue_projects": t.overdue_projects, "villages_without_report_30_days": t.stale_villages,
        "budget": dec(t.budget), "allocated": dec(t.allocated), "disbursed": dec(t.disbursed),
        "funding_gap": dec(t.funding_gap), "execution_rate": dec(t.execution_rate),
        "government": dec(t.allocated_government), "non_government": dec(t.allocated_non_government),
        "leverage_ratio": dec(t.leverage_ratio),
    }


class RegionViewSet(village_api.RegionViewSet):
    __doc__ = village_api.RegionViewSet.__doc__

    @extend_schema(responses=inline_serializer("RegionSummary", {
        "code": serializers.CharField(), "name": serializers.CharField(), "figures_as_of": serializers.DateField(allow_null=True),
        "totals": serializers.DictField(), "villages_by_category": serializers.DictField(),
        "projects_by_status": serializers.DictField(), "projects_by_type": serializers.DictField(),
        "allocated_by_source_kind": serializers.DictField(), "children": serializers.ListField(),
        "trend": serializers.ListField(), "open_follow_ups": serializers.IntegerField(),
    }))
    @action(detail=True, methods=["get"])
    def summary(self, request, code=None):
        """The dashboard's figures for the region and each region below it."""
        region = self.get_object()
        board = dashboard(user=request.user, region=region)
        return Response({
            "code": region.code, "name": region.name, "figures_as_of": board.computed_on,
            "totals": _totals(board.totals),
            "villages_by_category": {c: n for c, _l, n in board.by_category},
            "projects_by_status": {s: n for s, _l, n in board.by_status},
            "projects_by_type": {t: n for t, _l, n in board.by_type},
            "allocated_by_source_kind": {k: str(a) for k, _l, a in board.by_kind},
            "children": [{"code": c.code, "name": c.name, **_totals(c)} for c in board.children],
            "trend": [{"month": m["month"].strftime("%Y-%m"), "progress_reports": m["reports"], "disbursed": str(m["disbursed"])}
                      for m in board.trend],
            "open_follow_ups": board.open_follow_ups,
        })


class VillageViewSet(village_api.VillageViewSet):
    __doc__ = village_api.VillageViewSet.__doc__

    @extend_schema(responses=inline_serializer("VillageStatus", {
        "code": serializers.CharField(), "category": serializers.CharField(), "phase": serializers.CharField(allow_null=True),
        "projects": serializers.DictField(), "money": serializers.DictField(),
        "latest_assessment": serializers.DictField(allow_null=True), "rank": serializers.IntegerField(allow_null=True),
        "open_follow_ups": FollowUpSerializer(many=True), "maintenance": serializers.DictField(),
        "plan": serializers.DictField(help_text="`current`: the current construction plan (id, title, version, approved_on, "
                                      "valid_until, items, items_done: carried out by an accepted project, completion: "
                                      "items_done / items) or null; `share`: of the village's projects (not drafts, not "
                                      "cancelled) those citing a plan item and the exceptions outside the plan; "
                                      "`creation_list`: the county's creation list entries naming it (year, category)."),
    }))
    @action(detail=True, methods=["get"])
    def status(self, request, code=None):
        """The village's programme status: category, phase, projects by status, completion, money,
        latest finalised assessment with its grade and county rank, open follow-ups, and its upkeep (`maintenance`:
        assets by kind, assets without a keeper, this year's inspections due, on time, overdue and mean condition,
        open and overdue faults), its plan (`plan`). Money is construction money (to projects); `money.upkeep_allocated` and
        `money.upkeep_disbursed` are the upkeep money (管护经费) of its assets, counted apart."""
        village = self.get_object()
        # The one function behind this endpoint and the bulk feed (/api/v1/village-status/): the same block.
        return Response(village_block(village.code))
