from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.ProjectListView.as_view(), name="list"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/actions/<slug:action>/", views.project_action, name="action"),
    path("<int:pk>/progress/new/", views.progress_create, name="progress_create"),
    path("progress/", views.ProgressReportListView.as_view(), name="progress_list"),
    path("photos/<int:pk>/", views.photo_file, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.photo_file, {"variant": "thumbnail"}, name="photo_thumbnail"),
]
