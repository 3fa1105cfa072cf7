from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.PlanListView.as_view(), name="plans"),
    path("new/", views.plan_create, name="plan_create"),
    path("<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("<int:pk>/document/", views.plan_document, name="plan_document"),
    path("<int:pk>/attach/", views.plan_attach, name="plan_attach"),
    path("<int:pk>/revise/", views.plan_revise, name="plan_revise"),
    path("<int:pk>/items/new/", views.item_add, name="item_add"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/remove/", views.item_remove, name="item_remove"),
    path("items/<int:pk>/project/", views.item_project, name="item_project"),
    path("projects/<int:pk>/cite/", views.project_cite, name="project_cite"),
    path("exceptions/<int:pk>/decide/", views.exception_decide, name="exception_decide"),
    path("targets/", views.targets, name="targets"),
    path("targets/set/", views.target_set, name="target_set"),
    path("targets/<int:pk>/break-down/", views.target_break_down, name="target_break_down"),
    path("creation/", views.CreationListView.as_view(), name="creation"),
    path("creation/add/", views.creation_add, name="creation_add"),
    path("creation/<int:pk>/remove/", views.creation_remove, name="creation_remove"),
]
