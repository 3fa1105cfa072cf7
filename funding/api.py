"""API v1 for the ledger: /api/v1/funding-sources/, /allocations/, /disbursements/.

Serializers check the shape of input; every write goes through funding.services,
so the refusals of the pages (over-commit 409, mechanisms, scope) hold here too.
"""
from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from core import scoping
from core.api import ScopedViewSet, referenced
from core.exceptions import InvalidInput, NotPermitted
from maintenance.selectors import asset_list
from projects.selectors import project_list
from villages.models import Region, Village

from . import selectors, services
from .filters import AllocationFilterSet, DisbursementFilterSet, FundingSourceFilterSet
from .models import Allocation, Disbursement, FundingSource, Mechanism, Purpose, SourceKind

MONEY = {"max_digits": 16, "decimal_places": 2}
BACKDATE_HELP = ("Why the entry is dated earlier: needed when the date is before the source's fiscal year or more than "
                 "LEDGER_BACKDATE_DAYS (90) days ago; kept with the entry and in its audit row. For a reversal, the "
                 "reversal's reason.")


class FundingSourceSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", help_text="Division code of the administering region (2, 4, 6 or 9 digits).")
    village = serializers.CharField(source="village_id", required=False, allow_null=True, help_text="12-digit village code, for money of one village.")
    beneficiary_region = serializers.RegexField(
        r"^([0-9]{4}|[0-9]{6}|[0-9]{9})$", source="beneficiary_region_id", required=False, allow_null=True,
        help_text="Division code of the region below the administering region that the money is earmarked for; "
                  "allocations to projects elsewhere are refused (409 outside_earmark).",
    )
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    mechanism = serializers.ChoiceField(choices=Mechanism.choices, default=Mechanism.DIRECT_GRANT)
    total_amount = serializers.DecimalField(min_value=0, **MONEY, help_text="Yuan, two decimals.")
    allocated = serializers.DecimalField(read_only=True, **MONEY, help_text="Allocated within the caller's area.")
    disbursed = serializers.DecimalField(read_only=True, **MONEY, help_text="Paid within the caller's area.")
    unallocated = serializers.DecimalField(
        read_only=True, allow_null=True, **MONEY,
        help_text="The source's whole unallocated balance; null for a source administered above the caller's regions "
                  "when the caller does not allocate money.",
    )
    from_below = serializers.BooleanField(
        read_only=True, help_text="The source is administered above the caller's regions: `allocated` and `disbursed` "
                                  "count only the caller's area.",
    )
    is_government = serializers.BooleanField(read_only=True)

    class Meta:
        model = FundingSource
        fields = [
            "id", "name", "kind", "mechanism", "region", "beneficiary_region", "village", "fiscal_year", "total_amount",
            "document_no", "note", "allocated", "disbursed", "unallocated", "from_below", "is_government", "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"fiscal_year": {"min_value": 2003, "max_value": 2100}}


class AllocationSerializer(serializers.ModelSerializer):
    source = serializers.IntegerField(source="source_id", min_value=1)
    project = serializers.IntegerField(
        source="project_id", min_value=1, required=False, allow_null=True,
        help_text="The project the money builds (construction); null for upkeep money. Give exactly one of project and asset.",
    )
    asset = serializers.IntegerField(
        source="asset_id", min_value=1, required=False, allow_null=True,
        help_text="The asset whose upkeep the money pays (管护经费); null for construction money.",
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices, read_only=True,
                                      help_text="construction (to a project) or upkeep (to an asset).")
    village = serializers.CharField(source="village_id", read_only=True)
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY, help_text="Yuan, two decimals, greater than zero.")
    allocated_on = serializers.DateField(required=False, help_text="Default today. Not in the future, not before 2003.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text=BACKDATE_HELP)
    disbursed = serializers.DecimalField(read_only=True, **MONEY)
    reversed_amount = serializers.DecimalField(read_only=True, **MONEY)

    class Meta:
        model = Allocation
        fields = ["id", "source", "purpose", "project", "asset", "village", "amount", "allocated_on", "reverses", "reason",
                  "disbursed", "reversed_amount", "created_at"]
        read_only_fields = ["id", "reverses", "created_at"]


class DisbursementSerializer(serializers.ModelSerializer):
    allocation = serializers.IntegerField(source="allocation_id", min_value=1)
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY, help_text="Yuan, two decimals, greater than zero.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text=BACKDATE_HELP)

    class Meta:
        model = Disbursement
        fields = ["id", "allocation", "amount", "paid_on", "voucher_no", "reverses", "reason", "created_at"]
        read_only_fields = ["id", "reverses", "created_at"]


class ReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the entry is reversed (required).")


def _require_somewhere(user, action):
    """A role that can never take the action is refused before its input is looked at."""
    if not scoping.can_anywhere(user, action):
        raise NotPermitted(action)


class FundingSourceViewSet(ScopedViewSet):
    """Funding sources the user may see (those administered above its region included), with balances."""

    selector = selectors.source_list
    serializer_class = FundingSourceSerializer
    filterset_class = FundingSourceFilterSet
    queryset = FundingSource.objects.none()

    def create(self, request):
        _require_somewhere(request.user, "funding_source.manage")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        region = referenced(scoping.restrict(Region.objects.all(), request.user), "region", code=data.pop("region_id"))
        village_code = data.pop("village_id", None)
        village = referenced(scoping.restrict(Village.objects.all(), request.user), "village", code=village_code) if village_code else None
        earmark_code = data.pop("beneficiary_region_id", None)
        earmark = (referenced(scoping.restrict(Region.objects.all(), request.user), "beneficiary_region", code=earmark_code)
                   if earmark_code else None)
        source = services.funding_source_create(
            actor=request.user, data={**data, "region": region, "village": village, "beneficiary_region": earmark}
        )
        return self.created(source)


class AllocationViewSet(ScopedViewSet):
    """Allocations of sources to projects (construction) and to assets (upkeep money, 管护经费; filter
    ``purpose=``); a correction is a reversal (POST .../reverse/)."""

    selector = selectors.allocation_list
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilterSet
    queryset = Allocation.objects.none()

    def create(self, request):
        _require_somewhere(request.user, "allocation.create")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project_id, asset_id = data.get("project_id"), data.get("asset_id")
        if (project_id is None) == (asset_id is None):
            message = _("Give exactly one of project (construction) and asset (upkeep money).")
            raise InvalidInput(field_errors={"project": message, "asset": message})
        source = referenced(selectors.source_list(user=request.user), "source", pk=data["source_id"])
        common = {"actor": request.user, "source": source, "amount": data["amount"], "allocated_on": data.get("allocated_on"),
                  "reason": data.get("reason", "")}
        if project_id is not None:
            project = referenced(project_list(user=request.user), "project", pk=project_id)
            allocation = services.allocation_create(project=project, **common)
        else:
            asset = referenced(asset_list(user=request.user), "asset", pk=asset_id)
            allocation = services.upkeep_allocation_create(asset=asset, **common)
        return self.created(allocation)

    @extend_schema(request=ReversalSerializer, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        allocation = self.get_object()
        serializer = ReversalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.created(services.allocation_reverse(actor=request.user, allocation=allocation, **serializer.validated_data))


class DisbursementViewSet(ScopedViewSet):
    """Payments out of allocations; a correction is a reversal (POST .../reverse/)."""

    selector = selectors.disbursement_list
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilterSet
    queryset = Disbursement.objects.none()

    def create(self, request):
        _require_somewhere(request.user, "disbursement.create")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        allocation = referenced(selectors.allocation_list(user=request.user), "allocation", pk=data.pop("allocation_id"))
        return self.created(services.disbursement_create(actor=request.user, allocation=allocation, **data))

    @extend_schema(request=ReversalSerializer, responses=DisbursementSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()
        serializer = ReversalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.created(services.disbursement_reverse(actor=request.user, disbursement=payment, **serializer.validated_data))
