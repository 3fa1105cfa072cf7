from django.urls import path

from . import views

app_name = "offline"
urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.fallback, name="fallback"),
    path("offline/queue/", views.queue, name="queue"),
    path("offline/pages/", views.pages, name="pages"),
    path("offline/session/", views.session, name="session"),
]
