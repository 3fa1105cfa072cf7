"""/api/v1/: one router for every app's viewsets, and the token endpoint."""
from django.contrib.auth import authenticate, user_logged_in
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, parsers, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from assessment.api import AssessmentViewSet
from bulletins.api import BulletinViewSet
from core.body_limits import body_limit
from core.exceptions import NoToken
from core.services import token_issue, token_revoke
from dashboard.api import TargetsView
from dashboard.feed import VillageStatusFeed
from funding.api import AllocationViewSet, DisbursementViewSet, FundingSourceViewSet
from imports.api import ImportViewSet
from imports.reading import UPLOAD_BODY_LIMIT as IMPORT_UPLOAD_BODY_LIMIT
from maintenance.api import AssetViewSet, FaultViewSet, InspectionViewSet
from oversight.api import ProblemViewSet, VisitViewSet
from planning.api import PlanViewSet
from portal.api import RegionViewSet, VillageViewSet  # villages.api's, with the status and summary actions
from projects.api import ProgressReportViewSet, ProjectViewSet
from projects.photos import UPLOAD_BODY_LIMIT as PHOTO_UPLOAD_BODY_LIMIT
from reports.api import ReportViewSet


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The account's username.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"},
                                     help_text="The account's password.")


TOKEN_RESPONSE = inline_serializer("Token", {
    "token": serializers.CharField(help_text="Send it as `Authorization: Token <token>`. Shown once: only a digest is stored."),
    "expiry": serializers.DateTimeField(help_text="When the token stops working (API_TOKEN_TTL_DAYS after it was issued)."),
})


class TokenView(APIView):
    """`POST {username, password}` → `{"token", "expiry"}` (wrong credentials: 401; the caller already holds
    API_TOKENS_PER_USER live tokens: 409 `too_many_tokens`). `DELETE` with `Authorization: Token <token>`
    revokes that token (204); a request authenticated otherwise (a browser session) is refused with 400
    `no_token`."""

    parser_classes = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]  # existing clients send forms

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(operation_id="auth_token_create", request=TokenRequestSerializer, responses={200: TOKEN_RESPONSE},
                   summary="Exchange a username and password for an API token", auth=[])
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The HttpRequest, not DRF's wrapper: django-axes marks a lockout on the request it is given, and its
        # middleware (which sees the HttpRequest) turns that mark into the 429 `locked_out` answer.
        user = authenticate(request=request._request, **serializer.validated_data)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Unable to log in with provided credentials."))
        token, row = token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        expiry = serializers.DateTimeField().to_representation(row.expiry)
        return Response({"token": token, "expiry": expiry})

    @extend_schema(operation_id="auth_token_revoke", request=None,
                   responses={204: OpenApiResponse(description="The token of this request is revoked.")},
                   summary="Revoke the API token this request was made with")
    def delete(self, request, *args, **kwargs):
        from knox.models import get_token_model

        if not isinstance(request.auth, get_token_model()):
            raise NoToken()
        token_revoke(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
router.register("imports", ImportViewSet, basename="import")
router.register("assets", AssetViewSet, basename="asset")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("faults", FaultViewSet, basename="fault")
router.register("plans", PlanViewSet, basename="plan")
router.register("visits", VisitViewSet, basename="visit")
router.register("problems", ProblemViewSet, basename="problem")
router.register("bulletins", BulletinViewSet, basename="bulletin")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("ping/", Ping.as_view(), name="ping"),
    path("targets/", TargetsView.as_view(), name="targets"),
    path("village-status/", VillageStatusFeed.as_view(), name="village-status-feed"),
    *router.urls,
]
# The import's upload (POST /api/v1/imports/) takes a file of up to 20 MB: its body limit is the upload page's; a
# progress report (POST /api/v1/progress-reports/, the phone's offline queue) takes nine photos: the progress form's
# (core.body_limits; nginx allows the same on those locations).
BODY_LIMITS = {"import-list": IMPORT_UPLOAD_BODY_LIMIT, "progressreport-list": PHOTO_UPLOAD_BODY_LIMIT}
for pattern in urlpatterns:
    if getattr(pattern, "name", None) in BODY_LIMITS:
        body_limit(BODY_LIMITS[pattern.name])(pattern.callback)
