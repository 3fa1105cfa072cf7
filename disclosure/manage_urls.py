from django.urls import path

from . import manage_views as views

app_name = "publicity"
urlpatterns = [
    path("", views.ExemplarListView.as_view(), name="list"),
    path("counties/<str:code>/", views.publication_set, name="publication"),
    path("cases/new/", views.exemplar_create, name="create"),
    path("cases/<int:pk>/", views.ExemplarDetailView.as_view(), name="detail"),
    path("cases/<int:pk>/edit/", views.exemplar_edit, name="edit"),
    path("cases/<int:pk>/publish/", views.exemplar_publish, name="publish"),
    path("cases/<int:pk>/withdraw/", views.exemplar_withdraw, name="withdraw"),
    path("photos/<int:pk>/", views.exemplar_photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.exemplar_photo, {"variant": "thumbnail"}, name="photo_thumbnail"),
    path("photos/<int:pk>/remove/", views.exemplar_photo_remove, name="photo_remove"),
]
