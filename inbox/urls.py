from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("<int:pk>/", views.message_open, name="open"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("rules/", views.rules, name="rules"),
]
