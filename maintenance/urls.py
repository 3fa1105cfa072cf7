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
    path("villages/<str:code>/keepers/", views.village_keepers, name="village_keepers"),
    path("village-keepers/<int:pk>/end/", views.village_keeper_end, name="village_keeper_end"),
    path("keepers/new/", views.keeper_create, name="keeper_create"),
    path("keepers/<int:pk>/", views.KeeperDetailView.as_view(), name="keeper_detail"),
    path("keepers/<int:pk>/edit/", views.keeper_edit, name="keeper_edit"),
    path("assets/<int:pk>/inspect/", views.asset_inspect, name="asset_inspect"),
    path("assets/<int:pk>/fault/", views.asset_fault, name="asset_fault"),
    path("inspections/", views.InspectionListView.as_view(), name="inspections"),
    path("inspections/<int:pk>/", views.InspectionDetailView.as_view(), name="inspection_detail"),
    path("inspections/photos/<int:pk>/", views.inspection_photo, name="inspection_photo"),
    path("inspections/photos/<int:pk>/thumbnail/", views.inspection_photo, {"variant": "thumbnail"}, name="inspection_photo_thumbnail"),
    path("faults/", views.FaultListView.as_view(), name="faults"),
    path("faults/<int:pk>/", views.FaultDetailView.as_view(), name="fault_detail"),
    path("faults/<int:pk>/start/", views.fault_start, name="fault_start"),
    path("faults/<int:pk>/repaired/", views.fault_repaired, name="fault_repaired"),
    path("faults/<int:pk>/verify/", views.fault_verify, name="fault_verify"),
    path("faults/<int:pk>/reject/", views.fault_reject, name="fault_reject"),
    path("faults/photos/<int:pk>/", views.fault_photo, name="fault_photo"),
    path("faults/photos/<int:pk>/thumbnail/", views.fault_photo, {"variant": "thumbnail"}, name="fault_photo_thumbnail"),
    path("intervals/", views.intervals, name="intervals"),
]
