from django.urls import path

from . import views

app_name = "oversight"
urlpatterns = [
    path("visits/", views.VisitListView.as_view(), name="visits"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.VisitDetailView.as_view(), name="visit_detail"),
    path("visits/<int:pk>/findings/", views.finding_add, name="finding_add"),
    path("problems/", views.ProblemListView.as_view(), name="problems"),
    path("problems/export.xlsx", views.problems_export, name="problems_export"),
    path("problems/<int:pk>/", views.ProblemDetailView.as_view(), name="problem_detail"),
    path("problems/<int:pk>/rectify/", views.problem_rectify, name="problem_rectify"),
    path("problems/<int:pk>/close/", views.problem_close, name="problem_close"),
    path("problems/<int:pk>/reopen/", views.problem_reopen, name="problem_reopen"),
    path("problems/photos/<int:pk>/", views.problem_photo, name="problem_photo"),
    path("problems/photos/<int:pk>/thumbnail/", views.problem_photo, {"variant": "thumbnail"}, name="problem_photo_thumbnail"),
]
