"""API v1 endpoints that combine apps: /villages/{code}/status/ and /regions/{code}/summary/.

The village and region viewsets of villages.api, with the two actions added; config/api_urls.py registers
these."""
from django.db.models import Count, Q, Sum
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from assessment import selectors as assessment_selectors
from assessment.api import FollowUpSerializer
from assessment.models import AssessmentStatus
from core.scoping import restrict
from dashboard.api import share_figures
from dashboard.selectors import dashboard
from dashboard.targets import plan_share, rate_of
from funding.selectors import figures_for_area
from maintenance import selectors as maintenance_selectors
from planning.models import CreationListEntry, Plan, PlanKind, PlanStatus
from projects.models import DONE_STATUSES, ProjectStatus
from projects.selectors import completion, project_list
from villages import api as village_api
from villages.models import phase_for_year


def _money(figures) -> dict:
    def dec(value):
        return None if value is None else str(value)

    return {
        "budget": dec(figures.budget), "allocated": dec(figures.allocated), "disbursed": dec(figures.disbursed),
        "funding_gap": dec(figures.funding_gap), "execution_rate": dec(figures.execution_rate),
        "government": dec(figures.allocated_government), "non_government": dec(figures.allocated_non_government),
        "leverage_ratio": dec(figures.leverage_ratio),
        "upkeep_allocated": dec(figures.upkeep_allocated), "upkeep_disbursed": dec(figures.upkeep_disbursed),
    }


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


def _maintenance(village) -> dict:
    """The village's upkeep (长效管护) this calendar year to date: its assets, their inspections and faults."""
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    figures = maintenance_selectors.village_maintenance(
        village.code, start=datetime.date(today.year, 1, 1), end=datetime.date(today.year, 12, 31), today=today
    )
    extra = maintenance_selectors.village_upkeep_facts(village.code)

    def dec(value):
        return None if value is None else str(value)

    return {
        "assets": figures.assets,
        "assets_by_kind": figures.assets_by_kind,
        "assets_without_keeper": extra["without_keeper"],
        "inspections": {
            "year": today.year, "due": figures.inspections_expected, "on_time": figures.inspections_on_time,
            "on_time_rate": dec(figures.on_time_rate), "done": figures.inspections_done,
            "mean_condition": dec(figures.mean_condition), "overdue": figures.overdue_inspections,
            "last_done_on": extra["last_done_on"],
        },
        "faults": {"reported_this_year": figures.faults_reported, "open": figures.open_faults, "overdue": figures.overdue_faults},
    }


def _plan(user, village) -> dict:
    """The village's current construction plan (its items, those an accepted project carried out), the in-plan share
    of its projects and its creation list entries. Three queries."""
    plan = (
        restrict(Plan.objects.filter(kind=PlanKind.CONSTRUCTION, area_code=village.code, status=PlanStatus.CURRENT), user)
        .annotate(n_items=Count("items", distinct=True),
                  n_done=Count("items", filter=Q(items__citations__project__status=ProjectStatus.ACCEPTED), distinct=True))
        .first()
    )
    entries = restrict(CreationListEntry.objects.filter(village=village), user).order_by("-year", "category")
    return {
        "current": None if plan is None else {
            "id": plan.pk, "title": plan.title, "version": plan.version, "approved_on": plan.approved_on,
            "valid_until": plan.valid_until, "items": plan.n_items, "items_done": plan.n_done,
            "completion": None if (rate := rate_of(plan.n_done, plan.n_items)) is None else str(rate),
        },
        "share": share_figures(plan_share(user=user, code=village.code)),
        "creation_list": [{"year": year, "category": category} for year, category in entries.values_list("year", "category")],
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
        user = request.user
        projects = project_list(user=user).filter(village=village)
        by_status = dict(projects.values_list("status").annotate(n=Count("id")).order_by())
        live = projects.exclude(status=ProjectStatus.CANCELLED).aggregate(
            percent_sum=Sum("percent_complete"), done=Count("id", filter=Q(status__in=DONE_STATUSES)), n=Count("id"),
        )
        live_completion = completion(live["percent_sum"] or 0, live["n"])  # the dashboards' and reports' figure
        latest = (
            assessment_selectors.assessment_list(user=user)
            .filter(village=village, status=AssessmentStatus.FINALISED).order_by("-period", "-finalised_at").first()
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
                "completion": float(live_completion) if live_completion is not None else None,
            },
            "money": _money(figures_for_area(user=user, code=village.code)),
            "latest_assessment": None if latest is None else {
                "id": latest.pk, "scheme": latest.scheme.name, "scheme_kind": latest.scheme.kind, "period": latest.period,
                "total_score": str(latest.total_score), "grade": latest.grade,
                "rank": rank[0] if rank else None, "ranked_among": rank[1] if rank else None,
            },
            "rank": rank[0] if rank else None,
            "open_follow_ups": FollowUpSerializer(follow_ups, many=True).data,
            "maintenance": _maintenance(village),
            "plan": _plan(user, village),
        })
