from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin"),
    path("bulletins/<int:pk>/pdf/", views.bulletin_pdf, name="bulletin_pdf"),
    path("counties/<str:code>/", views.county, name="county"),
    path("villages/<str:code>/", views.village, name="village"),
    path("cases/", views.exemplar_list, name="exemplars"),
    path("cases/<int:pk>/", views.exemplar_detail, name="exemplar"),
    path("cases/<int:pk>/photos/<int:photo_pk>/", views.exemplar_photo, name="exemplar_photo"),
    path("cases/<int:pk>/photos/<int:photo_pk>/thumbnail/", views.exemplar_photo, {"variant": "thumbnail"},
         name="exemplar_photo_thumbnail"),
]
