from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("nation/", views.nation_dashboard, name="nation"),  # before <code>/: "nation" is no division code
    path("<str:code>/", views.region_dashboard, name="region"),
    path("<str:code>/targets/", views.region_targets, name="targets"),
    path("<str:code>/map.json", views.map_points, name="map"),
    path("<str:code>/outline.json", views.outline, name="outline"),
    path("<str:code>/export.xlsx", views.export, name="export"),
]
