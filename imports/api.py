"""API v1 for imports: `POST /api/v1/imports/` (multipart: kind, area, file) answers 202 with the import; poll
`GET /api/v1/imports/{id}/` until `status` is `checked` (read `to_create`, `to_update`, `unchanged`, `errors`) or
`refused` (read `refusal`); then `POST /api/v1/imports/{id}/commit/` (202) and poll again until `imported`. A file
of 1,000 rows or more is checked and imported by a background job; a smaller one is done when the POST answers."""
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import ScopedViewSet
from core.exceptions import InvalidInput
from villages.models import Region

from . import selectors, services
from .filters import ImportFilterSet
from .models import ImportBatch, ImportKind


class ImportSerializer(serializers.ModelSerializer):
    area = serializers.CharField(source="region_id", read_only=True, help_text="Division code of the area imported for.")
    progress = serializers.SerializerMethodField(help_text="Percent done while checked or imported by a job.")
    errors = serializers.JSONField(read_only=True, help_text="[{row, column, message}], the first 2,000 (error_count counts all).")

    class Meta:
        model = ImportBatch
        fields = ["id", "kind", "area", "params", "original_name", "size", "format", "encoding", "status", "progress", "rows",
                  "to_create", "to_update", "unchanged", "error_count", "errors", "notices", "refusal", "created", "updated",
                  "created_at", "checked_at", "committed_at"]
        read_only_fields = fields

    def get_progress(self, batch) -> int:
        return services.progress_of(batch)


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    area = serializers.RegexField(r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9})$", max_length=9,
                                  help_text="Division code of the area imported for (one of the caller's regions).")
    file = serializers.FileField(help_text="An .xlsx workbook or a CSV file (UTF-8 or GB18030).")
    params = serializers.JSONField(required=False, help_text="What the kind needs besides the file (scores: {\"scheme\": id, \"period\": \"2025\"}).")


class ImportViewSet(mixins.CreateModelMixin, ScopedViewSet):
    """The caller's own imports. Upload answers 202; commit answers 202; poll the import in between."""

    selector = selectors.import_list
    serializer_class = ImportSerializer
    filterset_class = ImportFilterSet
    default_ordering = ("-created_at", "-id")
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def _accepted(self, batch):
        batch = self.get_queryset().get(pk=batch.pk)
        response = Response(ImportSerializer(batch, context=self.get_serializer_context()).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = reverse("api:import-detail", args=[batch.pk])
        return response

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={202: ImportSerializer})
    def create(self, request, *args, **kwargs):
        payload = ImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        region = Region.objects.filter(code=data["area"]).first()
        if region is None:
            raise InvalidInput(field_errors={"area": ["No such area."]})
        batch = services.import_upload(actor=request.user, kind=data["kind"], region=region, upload=data["file"],
                                       params=data.get("params") or {})
        return self._accepted(batch)

    @extend_schema(request=None, responses={202: ImportSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Write the checked import (all rows or none); 202, then poll."""
        return self._accepted(services.import_commit(actor=request.user, batch=self.get_object()))
