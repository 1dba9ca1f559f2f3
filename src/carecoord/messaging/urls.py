from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<uuid:public_id>/", views.message_detail, name="message_detail"),
]
