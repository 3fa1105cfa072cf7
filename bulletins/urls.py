from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("", views.BulletinListView.as_view(), name="list"),
    path("new/", views.bulletin_compose, name="compose"),
    path("<int:pk>/", views.BulletinDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.bulletin_edit, name="edit"),
    path("<int:pk>/approve/", views.bulletin_approve, name="approve"),
    path("<int:pk>/publish/", views.bulletin_publish, name="publish"),
    path("<int:pk>/pdf/", views.bulletin_pdf, name="pdf"),
]
