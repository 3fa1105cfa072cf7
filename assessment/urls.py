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
    path("schemes/", views.SchemeListView.as_view(), name="schemes"),
    path("schemes/new/", views.scheme_create, name="scheme_create"),
    path("schemes/<int:pk>/", views.SchemeDetailView.as_view(), name="scheme"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/copy/", views.scheme_copy, name="scheme_copy"),
    path("schemes/<int:pk>/delete/", views.scheme_delete, name="scheme_delete"),
    path("schemes/<int:pk>/indicators/new/", views.indicator_add, name="indicator_add"),
    path("schemes/<int:pk>/indicators/<int:indicator>/edit/", views.indicator_edit, name="indicator_edit"),
    path("schemes/<int:pk>/indicators/<int:indicator>/remove/", views.indicator_remove, name="indicator_remove"),
    path("follow-ups/", views.FollowUpListView.as_view(), name="follow_ups"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="follow_up"),
    path("follow-ups/<int:pk>/<slug:step>/", views.follow_up_step, name="follow_up_step"),
]
