from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.ReportListView.as_view(), name="list"),
    path("new/", views.report_request, name="request"),
    path("ledger/", views.ledger_request, name="ledger"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="detail"),
    path("<int:pk>/status.json", views.report_status, name="status"),
    path("<int:pk>/download/", views.report_download, name="download"),
]
