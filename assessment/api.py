"""API v1: /api/v1/assessments/ (read), through the gate, with the county rank of finalised ones."""
from rest_framework import serializers
from rest_framework.response import Response

from core.api import ScopedViewSet

from . import selectors
from .filters import AssessmentFilterSet
from .models import Assessment, FollowUp


class AssessmentSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village_id", read_only=True)
    scheme_name = serializers.CharField(source="scheme.name", read_only=True)
    scheme_kind = serializers.CharField(source="scheme.kind", read_only=True)
    rank = serializers.SerializerMethodField(help_text="Rank within the county for the round (1 = best; ties share a rank); null until finalised.")
    ranked_among = serializers.SerializerMethodField(help_text="Villages ranked in the round in the county.")

    class Meta:
        model = Assessment
        fields = ["id", "village", "scheme", "scheme_name", "scheme_kind", "period", "status", "total_score", "grade",
                  "finalised_at", "reopen_count", "rank", "ranked_among", "updated_at"]
        read_only_fields = fields

    def _rank(self, obj):
        ranks = self.context.setdefault("_ranks", {})
        if obj.pk not in ranks:
            page = self.context.get("page_objects") or [obj]
            ranks.update(selectors.village_ranks([a for a in page if a.pk not in ranks] or [obj]))
            ranks.setdefault(obj.pk, None)
        return ranks[obj.pk]

    def get_rank(self, obj) -> int | None:
        rank = self._rank(obj)
        return rank[0] if rank else None

    def get_ranked_among(self, obj) -> int | None:
        rank = self._rank(obj)
        return rank[1] if rank else None


class FollowUpSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village_id", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "village", "assessment", "rank", "ranked_among", "due_date", "status", "talk_held_on",
                  "rectified_on", "reinspected_on"]
        read_only_fields = fields


class AssessmentViewSet(ScopedViewSet):
    """Assessments the user may see; filter by `region` (any division code), village, scheme, period, status, grade."""

    selector = selectors.assessment_list
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilterSet
    queryset = Assessment.objects.none()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).order_by("-period", "village_id", "pk")
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        context = {**self.get_serializer_context(), "page_objects": rows}
        data = AssessmentSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)
