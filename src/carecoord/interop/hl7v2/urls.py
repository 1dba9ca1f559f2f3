"""
The HL7 v2 feed's pages, under /transitions/. URL names start with the kind of record their `public_id` names
(review_, message_), which is how the tenant-isolation matrix finds the record to try.
"""

from django.urls import path

from . import views

app_name = "hl7v2"

urlpatterns = [
    path("transitions/reviews/", views.review_list, name="review_list"),
    path("transitions/reviews/<uuid:public_id>/", views.review_detail, name="review_detail"),
    path("transitions/reviews/<uuid:public_id>/match/", views.review_match, name="review_match"),
    path("transitions/reviews/<uuid:public_id>/new-patient/", views.review_create, name="review_create"),
    path("transitions/reviews/<uuid:public_id>/dismiss/", views.review_dismiss, name="review_dismiss"),
    path("transitions/messages/", views.message_list, name="message_list"),
    path("transitions/messages/<uuid:public_id>/", views.message_detail, name="message_detail"),
]
