"""API v1 of plans (read-only): /api/v1/plans/ with each plan's items and their units, scoped by the gate (a county's
layout plan is read by its townships too), errors in the API's one shape. Targets with their actuals are
/api/v1/targets/ (dashboard.api: the actuals are the dashboard layer's)."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from core.api import ScopedViewSet
from projects.models import OutputUnit, ProjectType

from . import selectors
from .filters import PlanFilterSet
from .models import Plan, PlanItem, PlanKind, PlanStatus


class PlanItemSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village_id", allow_null=True,
                                    help_text="12-digit code of the village the work is for (null: no single village).")
    kind = serializers.ChoiceField(choices=ProjectType.choices, help_text="The kind of work (a project type).")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="How much, in `unit`.")
    unit = serializers.ChoiceField(choices=OutputUnit.choices, help_text="The unit of the kind of work.")
    estimated_cost = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Estimated cost in yuan.")
    carried_from = serializers.IntegerField(source="carried_from_id", allow_null=True,
                                            help_text="The item of the previous version this one continues.")

    class Meta:
        model = PlanItem
        fields = ["id", "village", "kind", "name", "quantity", "unit", "estimated_cost", "planned_year", "carried_from"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=PlanKind.choices, help_text="`layout` (a county's) or `construction` (a village's).")
    area_code = serializers.CharField(help_text="The county's (layout plan) or the village's (construction plan) code.")
    status = serializers.ChoiceField(choices=PlanStatus.choices, help_text="`current`, or `superseded` by a later version.")
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True, help_text="The version this one replaced.")
    has_document = serializers.SerializerMethodField(help_text="Whether the approved PDF is attached.")
    items = PlanItemSerializer(many=True, read_only=True, help_text="What the plan promises.")

    class Meta:
        model = Plan
        fields = ["id", "kind", "area_code", "title", "version", "status", "approved_on", "approved_by", "valid_from",
                  "valid_until", "supersedes", "change_reason", "has_document", "items", "updated_at"]
        read_only_fields = fields

    def get_has_document(self, plan) -> bool:
        return bool(plan.document)


@extend_schema_view(
    list=extend_schema(description="Plans (村庄布局规划 of a county, 村庄建设规划 of a village) in the caller's scope, every "
                                   "version, with their items and units. Filter by `area` (any division code), `village`, "
                                   "`kind`, `status`."),
    retrieve=extend_schema(description="One version of a plan, with its items."),
)
class PlanViewSet(ScopedViewSet):
    selector = selectors.plan_api_list
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    queryset = Plan.objects.none()
    default_ordering = ("area_code", "kind", "-version")
