"""API v1: /api/v1/targets/?region=&year=: a region's targets of a year beside their actuals, and its areas below
(dashboard.targets; five queries whatever the region)."""
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ReplicaReads
from core.scoping import restrict
from planning.models import TargetKind
from projects.models import OutputUnit
from villages.models import Region

from .targets import plan_share, target_progress


def _dec(value):
    return None if value is None else str(value)


def kind_figures(k) -> dict:
    return {"kind": k.kind, "unit": k.unit, "target": _dec(k.target), "actual": _dec(k.actual), "rate": _dec(k.rate)}


class TargetKindFiguresSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TargetKind.choices, help_text="What is counted: a kind of work, or villages newly created in a category.")
    unit = serializers.ChoiceField(choices=OutputUnit.choices, help_text="The unit of target and actual.")
    target = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="The target of the year (null: none set).")
    actual = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Accepted output of the projects accepted in the year (creation kinds: villages promoted in the year).")
    rate = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True, help_text="actual / target (1 = reached); null without a target or with a zero target.")


class TargetsQuery(serializers.Serializer):
    region = serializers.RegexField(r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9})$", help_text="A region's division code.")
    year = serializers.IntegerField(min_value=2003, max_value=2100, required=False, help_text="The year (default: this year).")


class TargetsView(ReplicaReads, APIView):
    """A region's targets and what was done. Its reads may go to the read replica (core/replica.py)."""

    @extend_schema(
        operation_id="targets_retrieve",
        summary="A region's targets of a year, their actuals and rates, and its areas below",
        description="For every kind with a target at the region or at a region directly below it: the target, the actual "
                    "(accepted output of the projects of that type accepted in the year in the area; for new demonstration, "
                    "boutique and future villages, the villages promoted to that category in the year) and the rate. "
                    "`children`: each area below with the same figures, behind schedule (lowest rate) first. `plan_share`: "
                    "of the area's projects (not drafts, not cancelled), those carrying out a plan item and the exceptions "
                    "outside the plan. A region outside the caller's scope is a 404.",
        parameters=[
            OpenApiParameter("region", str, required=True, description="A region's division code (2, 4, 6 or 9 digits)."),
            OpenApiParameter("year", int, required=False, description="The year, 2003-2100 (default: this year)."),
        ],
        responses=inline_serializer("Targets", {
            "region": serializers.CharField(help_text="The region's code."),
            "name": serializers.CharField(help_text="The region's name."),
            "year": serializers.IntegerField(help_text="The year."),
            "kinds": TargetKindFiguresSerializer(many=True, help_text="The region's figures per kind."),
            "children": inline_serializer("TargetArea", {
                "code": serializers.CharField(help_text="The area's code (a region, or a township's village)."),
                "name": serializers.CharField(help_text="The area's name."),
                "rate": serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True, help_text="Its lowest rate over the kinds."),
                "kinds": TargetKindFiguresSerializer(many=True, help_text="The area's figures per kind."),
            }, many=True, help_text="The areas directly below, behind schedule first."),
            "plan_share": inline_serializer("PlanShare", {
                "projects": serializers.IntegerField(help_text="Projects neither drafts nor cancelled."),
                "in_plan": serializers.IntegerField(help_text="Of them, citing a plan item."),
                "out_of_plan": serializers.IntegerField(help_text="Of them, exceptions outside the plan."),
                "share": serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True, help_text="in_plan / projects (null: no project)."),
            }, help_text="How much of the area's work carries out the plan."),
        }),
    )
    def get(self, request):
        query = TargetsQuery(data=request.query_params)
        if not query.is_valid():
            raise exceptions.ValidationError(query.errors)
        code = query.validated_data["region"]
        year = query.validated_data.get("year") or timezone.localdate().year
        region = get_object_or_404(restrict(Region.objects.all(), request.user), code=code)
        progress = target_progress(user=request.user, code=region.code, year=year)
        return Response({
            "region": region.code, "name": region.name, "year": year,
            "kinds": [kind_figures(k) for k in progress.kinds],
            "children": [{"code": c.code, "name": c.name, "rate": _dec(c.rate), "kinds": [kind_figures(k) for k in c.kinds]}
                         for c in progress.children],
            "plan_share": share_figures(plan_share(user=request.user, code=region.code)),
        })


def share_figures(share) -> dict:
    return {"projects": share.projects, "in_plan": share.in_plan, "out_of_plan": share.out_of_plan, "share": _dec(share.share)}
