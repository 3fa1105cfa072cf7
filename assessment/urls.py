from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.AssessmentListView.as_view(), name="list"),
    path("rounds/new/", views.round_start, name="round_start"),
    path("rounds/<int:scheme>/<str:period>/<str:county>/", views.round_detail, name="round"),
    path("rounds/<int:scheme>/<str:period>/<str:county>/finalise/", views.round_finalise, name="round_finalise"),
    path("<int:pk>/", views.AssessmentDetailView.as_view(), name="detail"),
    path("<int:pk>/scores/", views.assessment_score, name="score"),
    path("<int:pk>/reopen/", views.assessment_reopen, name="reopen"),
    path("<int:pk>/promote/", views.village_promote, name="promote"),
    path("follow-ups/", views.FollowUpListView.as_view(), name="follow_ups"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="follow_up"),
    path("follow-ups/<int:pk>/<slug:step>/", views.follow_up_step, name="follow_up_step"),
]
