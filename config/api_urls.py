"""/api/v1/: one router for every app's viewsets, and the token endpoint."""
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from assessment.api import AssessmentViewSet
from funding.api import AllocationViewSet, DisbursementViewSet, FundingSourceViewSet
from projects.api import ProgressReportViewSet, ProjectViewSet
from reports.api import ReportViewSet
from villages.api import RegionViewSet, VillageViewSet


class TokenView(ObtainAuthToken):
    """`POST {username, password}` → `{"token": ...}`; wrong credentials answer 401."""

    @extend_schema(request=AuthTokenSerializer, responses=inline_serializer("Token", {"token": serializers.CharField()}))
    def post(self, request, *args, **kwargs):
        serializer = self.serializer_class(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if set(serializer.errors) == {"non_field_errors"}:
                raise exceptions.AuthenticationFailed(serializer.errors["non_field_errors"][0])
            raise exceptions.ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class Ping(APIView):
    """A bare endpoint: proves the API answers and the caller is authenticated (and is the
    benchmark's baseline beside the village list)."""

    @extend_schema(responses=inline_serializer("Ping", {"pong": serializers.BooleanField()}))
    def get(self, request):
        return Response({"pong": True})


router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False
router.register("funding-sources", FundingSourceViewSet, basename="fundingsource")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("disbursements", DisbursementViewSet, basename="disbursement")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("villages", VillageViewSet, basename="village")
router.register("regions", RegionViewSet, basename="region")
router.register("projects", ProjectViewSet, basename="project")
router.register("progress-reports", ProgressReportViewSet, basename="progressreport")
router.register("reports", ReportViewSet, basename="report")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("ping/", Ping.as_view(), name="ping"),
    *router.urls,
]
