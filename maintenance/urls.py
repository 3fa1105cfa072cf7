from django.urls import path

from . import views

app_name = "maintenance"
urlpatterns = [
    path("", views.AssetListView.as_view(), name="assets"),
    path("assets/new/", views.asset_create, name="asset_create"),
    path("assets/<int:pk>/", views.AssetDetailView.as_view(), name="asset_detail"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("assets/<int:pk>/retire/", views.asset_retire, name="asset_retire"),
    path("assets/<int:pk>/assign/", views.asset_assign, name="asset_assign"),
    path("keepers/", views.KeeperListView.as_view(), name="keepers"),
    path("keepers/new/", views.keeper_create, name="keeper_create"),
    path("keepers/<int:pk>/", views.KeeperDetailView.as_view(), name="keeper_detail"),
    path("keepers/<int:pk>/edit/", views.keeper_edit, name="keeper_edit"),
]
