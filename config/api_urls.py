"""/api/v1/: one router for every app's viewsets, and the token endpoint."""
from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from assessment.api import AssessmentViewSet
from funding.api import AllocationViewSet, DisbursementViewSet, FundingSourceViewSet
from villages.api import VillageViewSet

router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False
router.register("funding-sources", FundingSourceViewSet, basename="fundingsource")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("disbursements", DisbursementViewSet, basename="disbursement")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("villages", VillageViewSet, basename="village")

app_name = "api"
urlpatterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    *router.urls,
]
