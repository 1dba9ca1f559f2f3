"""
Education pages. URL names start with the kind of record their `public_id` names (material_, patient_,
delivery_), which is how the tenant-isolation matrix finds the record to try.
"""

from django.urls import path

from . import views

app_name = "education"

urlpatterns = [
    path("education/", views.library, name="library"),
    path("education/new/", views.material_new, name="material_new"),
    path("education/<uuid:public_id>/", views.material_detail, name="material_detail"),
    path("education/<uuid:public_id>/edit/", views.material_edit, name="material_edit"),
    path("education/<uuid:public_id>/copy/", views.material_copy, name="material_copy"),
    path("education/<uuid:public_id>/archive/", views.material_archive, name="material_archive"),
    path("education/<uuid:public_id>/file.pdf", views.material_file, name="material_file"),
    path("education/<uuid:public_id>/handout.pdf", views.material_handout, name="material_handout"),
    path("patients/<uuid:public_id>/education/", views.patient_education, name="patient_education"),
    path("patients/<uuid:public_id>/education/deliveries/", views.patient_delivery_add, name="patient_delivery_add"),
    path("education/deliveries/<uuid:public_id>/teach-back/", views.delivery_teach_back, name="delivery_teach_back"),
    path("education/deliveries/<uuid:public_id>/handout.pdf", views.delivery_pdf, name="delivery_pdf"),
]
