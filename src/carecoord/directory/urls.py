from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.practitioner_list, name="practitioner_list"),
]
