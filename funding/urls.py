from django.urls import path

from . import views

app_name = "funding"
urlpatterns = [
    path("", views.FundingSourceListView.as_view(), name="sources"),
    path("sources/new/", views.source_create, name="source_create"),
    path("sources/<int:pk>/", views.FundingSourceDetailView.as_view(), name="source_detail"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("allocations/", views.AllocationListView.as_view(), name="allocations"),
    path("allocations/new/", views.allocation_create, name="allocation_create"),
    path("allocations/<int:pk>/", views.AllocationDetailView.as_view(), name="allocation_detail"),
    path("allocations/<int:pk>/reverse/", views.allocation_reverse, name="allocation_reverse"),
    path("allocations/<int:pk>/payments/", views.disbursement_create, name="disbursement_create"),
    path("upkeep/", views.UpkeepAllocationListView.as_view(), name="upkeep"),
    path("upkeep/new/", views.upkeep_allocation_create, name="upkeep_create"),
    path("payments/", views.DisbursementListView.as_view(), name="disbursements"),
    path("payments/<int:pk>/reverse/", views.disbursement_reverse, name="disbursement_reverse"),
    path("figures/", views.figures, name="figures"),
]
