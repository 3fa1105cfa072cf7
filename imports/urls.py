from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.ImportListView.as_view(), name="list"),
    path("new/", views.import_upload, name="upload"),
    path("templates/<str:kind>/", views.import_template, name="template"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="detail"),
    path("<int:pk>/status/", views.import_status, name="status"),
    path("<int:pk>/commit/", views.import_commit, name="commit"),
]
