"""API v1 for reports: request one (`POST /api/v1/reports/`, answered 202 with its id and status), poll it
(`GET /api/v1/reports/{id}/`: status, progress, and when done a download_url), download it."""
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedViewSet

from . import selectors, services
from .downloads import file_response
from .filters import ReportJobFilterSet
from .models import ReportFormat, ReportJob, ReportKind


class ReportJobSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True, allow_null=True,
                                   help_text="Division code of the region reported on (null: the whole nation, a roster).")
    region_name = serializers.CharField(source="area_name", read_only=True)
    requester = serializers.CharField(source="requester.username", read_only=True, allow_null=True, default=None,
                                      help_text="Who asked for it (null for the monthly schedule).")
    download_url = serializers.SerializerMethodField(help_text="Where to fetch the file once status is succeeded (null before, and after it expired).")
    queued = serializers.SerializerMethodField(help_text="False while the task could not be handed to the queue (it will be, once the queue is back).")

    class Meta:
        model = ReportJob
        fields = ["id", "kind", "format", "region", "region_name", "period", "params", "status", "progress", "error", "rows", "size",
                  "requester", "scheduled", "queued", "download_url", "created_at", "started_at", "finished_at", "expired_at"]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if not job.downloadable:
            return None
        url = reverse("api:report-download", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_queued(self, job) -> bool:
        return job.dispatched_at is not None or job.status != "queued"


class ReportAcceptedSerializer(ReportJobSerializer):
    message = serializers.SerializerMethodField(help_text="What happens next, in the caller's language.")

    class Meta(ReportJobSerializer.Meta):
        fields = [*ReportJobSerializer.Meta.fields, "message"]
        read_only_fields = fields

    def get_message(self, job) -> str:
        if job.status == "queued" and job.dispatched_at is None:
            return _("The report queue is unavailable right now. Your request is saved and the report will be generated "
                     "as soon as the queue is back.")
        return _("Report requested.")


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    region = serializers.RegexField(r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|nation)$", max_length=9,
                                    help_text="Division code of a province, city, county or township; `nation`: the whole "
                                              "nation, a roster only, for a whole-country scope (superusers).")
    format = serializers.ChoiceField(choices=ReportFormat.choices, required=False,
                                     help_text="progress: xlsx or pdf; funding: xlsx; ranking: xlsx; roster: csv or xlsx; "
                                               "ledger: xlsx; maintenance: xlsx; targets: xlsx or pdf. Default: the first.")
    period = serializers.RegexField(r"^[0-9]{4}(-(0[1-9]|1[0-2]|H[12]|Q[1-4]))?$", max_length=8, required=False, allow_blank=True,
                                    help_text="progress: YYYY-MM (default this month); funding: YYYY (default all years); "
                                              "ranking: 2025, 2025-H1 or 2025-Q3 (default the latest); maintenance and targets: "
                                              "YYYY (default this year); roster and ledger: none.")
    params = serializers.DictField(
        child=serializers.JSONField(), required=False,
        help_text="ledger only: the ledger lists' filters, e.g. {\"fiscal_year\": \"2025\", \"kind\": [\"county_budget\"], "
                  "\"village\": \"330523108204\"} (the same names as the filters of /funding-sources/, /allocations/ "
                  "and /disbursements/).",
    )


class ReportViewSet(mixins.CreateModelMixin, ScopedViewSet):
    """Reports are generated in the background: create answers 202 at once; poll the job until `status` is
    `succeeded` (then fetch `download_url`) or `failed` (then read `error`)."""

    selector = selectors.job_list
    serializer_class = ReportJobSerializer
    filterset_class = ReportJobFilterSet
    default_ordering = ("-created_at", "-id")

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportAcceptedSerializer})
    def create(self, request, *args, **kwargs):
        payload = ReportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        job = services.report_request(actor=request.user, kind=data["kind"], region_code=data["region"],
                                      format=data.get("format", ""), period=data.get("period", ""),
                                      language=getattr(request, "LANGUAGE_CODE", ""), params=data.get("params"))
        job = self.get_queryset().get(pk=job.pk)
        response = Response(ReportAcceptedSerializer(job, context=self.get_serializer_context()).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = reverse("api:report-detail", args=[job.pk])
        return response

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="The report file.")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return file_response(self.get_object())
