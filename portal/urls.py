"""The portal's routes. They keep the names of the apps whose objects they show (villages:detail,
projects:detail): config/urls.py mounts each list into that app's namespace, beside the app's own routes."""
from django.urls import path

from . import views

home = path("", views.home, name="home")
village_patterns = [path("<str:code>/", views.VillageDetailView.as_view(), name="detail")]
project_patterns = [path("<int:pk>/", views.ProjectDetailView.as_view(), name="detail")]
