"""API v1: /api/v1/projects/ (with lifecycle actions) and /api/v1/progress-reports/.

Serializers check shapes; every write is a call to projects.services, the same as the pages.
"""
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core import scoping
from core.api import ScopedViewSet, etag_for, idempotency_key_lifetime, idempotent, referenced, require_if_match
from core.exceptions import NotPermitted
from core.parsers import JSONParser
from villages.models import Village

from . import photos as photo_rules
from . import selectors, services
from .filters import ProgressReportFilterSet, ProjectFilterSet
from .models import ProgressPhoto, ProgressReport, Project, ProjectStatus, ProjectType

MONEY = {"max_digits": 14, "decimal_places": 2}


def photos_field(help_text: str) -> serializers.ListField:
    """The API's photos of a write: several multipart parts named `photos`, checked afterwards by the rules of the
    portal's forms (projects.photos) in the service. Shared by every API action that takes photos (supervision's too)."""
    return serializers.ListField(child=serializers.FileField(allow_empty_file=False), required=False,
                                 max_length=photo_rules.MAX_PHOTOS, help_text=help_text)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


# A browser session may send the progress form's whole body on this route (core.body_limits, marked in
# config/api_urls.py; nginx allows the same); a token client stays within BODY_LIMIT_AUTHENTICATED.
PROGRESS_PHOTOS_HELP = (
    f"Up to {photo_rules.MAX_PHOTOS} photos (JPEG, PNG or WebP, at most {_mib(photo_rules.MAX_BYTES)} each), as "
    "multipart/form-data, one `photos` part each. The whole request may reach "
    f"{_mib(photo_rules.UPLOAD_BODY_LIMIT)} from a logged-in browser session (the portal's progress form), "
    f"{settings.BODY_LIMIT_AUTHENTICATED // 1024} KiB with a token (413 above). Checked and re-encoded by the same rules "
    "as the portal's form; a refused photo refuses the report (400 on `photos`)."
)


class ProjectSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village_id", help_text="12-digit code of the village the project is in.")
    type = serializers.ChoiceField(choices=ProjectType.choices, help_text="Project type.")
    status = serializers.ChoiceField(choices=ProjectStatus.choices, read_only=True, help_text="Lifecycle status.")
    budget = serializers.DecimalField(min_value=Decimal("0"), **MONEY, help_text="Budget in yuan.")
    progress = serializers.IntegerField(source="percent_complete", read_only=True, help_text="Percent complete (0-100) of the latest report.")
    planned_output = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True,
        help_text="Planned output in `output_unit` (households, km, stations, lamps, m2, sites).",
    )
    actual_output = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, help_text="Output recorded at acceptance.")
    output_unit = serializers.CharField(read_only=True, help_text="The unit of the project type's output.")

    class Meta:
        model = Project
        fields = [
            "id", "village", "name", "type", "status", "budget", "planned_start", "planned_end", "actual_start", "actual_end",
            "progress", "last_reported_on", "description", "responsible_person", "responsible_phone", "planned_output",
            "actual_output", "output_unit", "accepted_on", "version", "updated_at",
        ]
        read_only_fields = ["id", "status", "actual_start", "actual_end", "progress", "last_reported_on", "actual_output",
                            "output_unit", "accepted_on", "version", "updated_at"]


class ProjectUpdateSerializer(ProjectSerializer):
    village = serializers.CharField(source="village_id", read_only=True, help_text="12-digit code of the village.")


class TransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="Required to return, discard, suspend, cancel or send back for rework. `withdraw` takes a submitted project back to draft.")
    maintenance_body = serializers.CharField(required=False, allow_blank=True, help_text="For `accept`: who maintains the work.")
    maintenance_owner = serializers.CharField(required=False, allow_blank=True, max_length=120, help_text="For `accept`: the responsible person or unit.")
    property_owner = serializers.CharField(required=False, allow_blank=True, max_length=120, help_text="For `accept`: the owner of the asset.")
    actual_output = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True,
        help_text="For `accept` (required): the quantity accepted, in the project's `output_unit`.",
    )


class ProgressReportSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", min_value=1, help_text="The project's id.")
    percent_complete = serializers.IntegerField(min_value=0, max_value=100, help_text="0-100; not below the previous report unless a correction reason is given.")
    amount_spent = serializers.DecimalField(min_value=Decimal("0"), **MONEY, help_text="Amount spent to date, in yuan.")
    photos = serializers.IntegerField(source="photo_count", read_only=True, help_text="Number of photos attached.")

    class Meta:
        model = ProgressReport
        fields = ["id", "project", "report_date", "percent_complete", "amount_spent", "narrative", "problems",
                  "correction_reason", "photos", "created_at"]
        read_only_fields = ["id", "photos", "created_at"]


class ProgressReportUploadSerializer(ProgressReportSerializer):
    """The multipart request: the report's fields and its photos (the response counts them: ProgressReportSerializer)."""

    photos = photos_field(PROGRESS_PHOTOS_HELP)


LIFECYCLE = "|".join(services.LIFECYCLE_ACTIONS)


@extend_schema_view(
    list=extend_schema(description="Projects in the caller's scope. Filter by `region`, `village`, `status`, `type`, `overdue`, planned-end range, `updated_since`; `?cursor=` for the incremental feed."),
    retrieve=extend_schema(description="One project; the `ETag` header is needed for PUT and PATCH."),
)
class ProjectViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedViewSet):
    selector = selectors.project_list
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    queryset = Project.objects.none()
    default_ordering = ("id",)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ProjectUpdateSerializer
        if self.action == "transition":
            return TransitionSerializer
        return ProjectSerializer

    @extend_schema(
        description="Create a draft project (township officials, in their villages).",
        examples=[OpenApiExample("A sewage project", request_only=True, value={
            "village": "330523108204", "name": "余村生活污水治理", "type": "sewage", "budget": "480000.00",
            "planned_start": "2026-03-01", "planned_end": "2026-11-30", "responsible_person": "张建国",
        })],
    )
    def create(self, request, *args, **kwargs):
        if not scoping.can_anywhere(request.user, "project.create"):
            raise NotPermitted("project.create")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        village = referenced(scoping.restrict(Village.objects.all(), request.user), "village", code=data.pop("village_id"))
        return self.created(services.project_create(actor=request.user, village=village, data=data))

    @extend_schema(
        description="Change a project's content. Needs `If-Match` with the ETag of the version being changed "
                    "(428 without it, 412 when someone else saved since).",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True, description="The ETag from GET.")],
    )
    def update(self, request, *args, partial=False, **kwargs):
        project = self.get_object()
        serializer = self.get_serializer(project, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)  # the shape first: a malformed body is 400 whatever its ETag
        require_if_match(request, project)
        updated = services.project_update(
            actor=request.user, project=project, data=dict(serializer.validated_data), expected_version=project.version
        )
        updated = self.get_queryset().get(pk=updated.pk)
        response = Response(ProjectSerializer(updated, context=self.get_serializer_context()).data)
        response["ETag"] = etag_for(updated)
        return response

    @extend_schema(
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True, description="The ETag from GET.")],
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        request=TransitionSerializer, responses=ProjectSerializer,
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(services.LIFECYCLE_ACTIONS),
                                     description="The lifecycle action; the access matrix says who may take which.")],
        description="Move the project through its lifecycle: " + ", ".join(services.LIFECYCLE_ACTIONS) + ". "
                    "An action the status does not allow answers 409.",
    )
    @action(detail=True, methods=["post"], url_path=rf"actions/(?P<name>{LIFECYCLE})", url_name="action")
    def transition(self, request, pk=None, name=None):
        project = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        moved = services.project_transition(
            actor=request.user, project=project, action=name, reason=data.get("reason", ""),
            maintenance={k: data[k] for k in ("maintenance_body", "maintenance_owner", "property_owner") if k in data},
            actual_output=data.get("actual_output"),
        )
        moved = self.get_queryset().get(pk=moved.pk)
        response = Response(ProjectSerializer(moved, context=self.get_serializer_context()).data)
        response["ETag"] = etag_for(moved)
        return response


@extend_schema_view(
    list=extend_schema(description="Progress reports in the caller's scope; filter by `region`, `village`, `project`, date range. `?cursor=` pages by creation."),
)
class ProgressReportViewSet(mixins.CreateModelMixin, ScopedViewSet):
    selector = selectors.progress_report_list
    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilterSet
    queryset = ProgressReport.objects.none()
    default_ordering = ("id",)
    # JSON, or multipart/form-data for a report with photos.
    parser_classes = [JSONParser, parsers.MultiPartParser]

    def get_queryset(self):
        # A correlated count, not Count("photos"): a JOIN with GROUP BY aggregates every report in scope before the
        # page is cut (13.9 s for ?ordering=-date at province scale); this counts the photos of the page's rows.
        photos = ProgressPhoto.objects.filter(report=OuterRef("pk")).order_by().values("report").annotate(n=Count("pk")).values("n")
        return super().get_queryset().prefetch_related(None).annotate(
            photo_count=Coalesce(Subquery(photos, output_field=IntegerField()), 0)
        )

    @extend_schema(
        request={"multipart/form-data": ProgressReportUploadSerializer, "application/json": ProgressReportSerializer},
        responses={201: ProgressReportSerializer},
        description="Report progress (township officials), through the same validation as the form, with its photos "
                    "(multipart/form-data; JSON without photos). Send an `Idempotency-Key` to make retries safe: a "
                    "retry with the same fields and the same photos (compared by their bytes) gets the first answer.",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description=f"Any unique string (a UUID); kept {idempotency_key_lifetime()}, per "
                                                 "user.")],
        examples=[OpenApiExample("A report", request_only=True, value={
            "project": 1, "report_date": "2026-05-10", "percent_complete": 45, "amount_spent": "160000.00",
            "narrative": "主管网铺设完成四成。", "problems": "",
        })],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        if not scoping.can_anywhere(request.user, "progress.create"):
            raise NotPermitted("progress.create")
        # Photos come only with multipart; a JSON body keeps the read-only `photos` count it may echo back.
        multipart = request.content_type.startswith("multipart/")
        serializer_class = ProgressReportUploadSerializer if multipart else ProgressReportSerializer
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        project = referenced(selectors.project_list(user=request.user), "project", pk=data.pop("project_id"))
        return self.created(services.progress_report_create(actor=request.user, project=project, **data))
