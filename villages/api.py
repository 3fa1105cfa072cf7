"""API v1: /api/v1/villages/, /villages/{code}/, /villages/{code}/status/."""
import django_filters
from django.db.models import Avg, Count, Q
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from assessment import selectors as assessment_selectors
from assessment.api import FollowUpSerializer
from core.api import ScopedViewSet
from core.filters import RegionCodeFilter, UpdatedSinceFilter
from funding.selectors import figures_for_area
from projects.models import DONE_STATUSES, ProjectStatus
from projects.selectors import project_list

from . import selectors
from .filters import VillageFilterSet
from .models import Region, RegionLevel, Village, phase_for_year


class VillageSerializer(serializers.ModelSerializer):
    township = serializers.CharField(source="township_id", read_only=True)
    township_name = serializers.CharField(source="township.name", read_only=True)

    class Meta:
        model = Village
        fields = ["code", "name", "short_name", "township", "township_name", "kind", "category", "population", "households",
                  "area_km2", "latitude", "longitude", "joined_year", "updated_at"]
        read_only_fields = fields


def _money(figures) -> dict:
    def dec(value):
        return None if value is None else str(value)

    return {
        "budget": dec(figures.budget), "allocated": dec(figures.allocated), "disbursed": dec(figures.disbursed),
        "funding_gap": dec(figures.funding_gap), "execution_rate": dec(figures.execution_rate),
        "government": dec(figures.allocated_government), "non_government": dec(figures.allocated_non_government),
        "leverage_ratio": dec(figures.leverage_ratio),
    }


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", read_only=True, allow_null=True, help_text="Code of the region above.")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "updated_at"]
        read_only_fields = fields


class RegionFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="code")
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, help_text="province, city, county or township.")
    parent = django_filters.CharFilter(field_name="parent_id", help_text="Code of the region above.")
    updated_since = UpdatedSinceFilter(field_name="updated_at")
    ordering = django_filters.OrderingFilter(fields=(("code", "code"), ("name", "name")))

    class Meta:
        model = Region
        fields = ["region", "level", "parent"]


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


class RegionViewSet(ScopedViewSet):
    """Administrative regions in the caller's scope (province, city, county, township)."""

    selector = selectors.region_list
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    queryset = Region.objects.none()
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}"
    default_ordering = ("code",)

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
        from dashboard.selectors import dashboard

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


class VillageViewSet(ScopedViewSet):
    """Villages the user may see; filter by `region` (any division code: everything below it), category, kind."""

    selector = selectors.village_list
    serializer_class = VillageSerializer
    filterset_class = VillageFilterSet
    queryset = Village.objects.none()
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{12}"
    default_ordering = ("code",)

    @extend_schema(responses=inline_serializer("VillageStatus", {
        "code": serializers.CharField(), "category": serializers.CharField(), "phase": serializers.CharField(allow_null=True),
        "projects": serializers.DictField(), "money": serializers.DictField(),
        "latest_assessment": serializers.DictField(allow_null=True), "rank": serializers.IntegerField(allow_null=True),
        "open_follow_ups": FollowUpSerializer(many=True),
    }))
    @action(detail=True, methods=["get"])
    def status(self, request, code=None):
        """The village's programme status: category, phase, projects by status, completion, money,
        latest finalised assessment with its grade and county rank, open follow-ups."""
        village = self.get_object()
        user = request.user
        projects = project_list(user=user).filter(village=village)
        by_status = dict(projects.values_list("status").annotate(n=Count("id")).order_by())
        live = projects.exclude(status=ProjectStatus.CANCELLED).aggregate(
            completion=Avg("percent_complete"), done=Count("id", filter=Q(status__in=DONE_STATUSES)), n=Count("id"),
        )
        latest = (
            assessment_selectors.assessment_list(user=user)
            .filter(village=village, status="finalised").order_by("-period", "-finalised_at").first()
        )
        rank = assessment_selectors.village_ranks([latest]).get(latest.pk) if latest else None
        follow_ups = assessment_selectors.follow_up_list(user=user).filter(
            assessment_selectors.open_follow_ups_q(), village=village
        ).order_by("due_date")
        return Response({
            "code": village.code,
            "short_name": village.short_name,
            "category": village.category,
            "phase": phase_for_year(village.joined_year),
            "projects": {
                "total": sum(by_status.values()),
                "by_status": {s: by_status.get(s, 0) for s in ProjectStatus.values},
                "completed": live["done"],
                "completion": round(float(live["completion"]), 1) if live["completion"] is not None else None,
            },
            "money": _money(figures_for_area(user=user, code=village.code)),
            "latest_assessment": None if latest is None else {
                "id": latest.pk, "scheme": latest.scheme.name, "scheme_kind": latest.scheme.kind, "period": latest.period,
                "total_score": str(latest.total_score), "grade": latest.grade,
                "rank": rank[0] if rank else None, "ranked_among": rank[1] if rank else None,
            },
            "rank": rank[0] if rank else None,
            "open_follow_ups": FollowUpSerializer(follow_ups, many=True).data,
        })
