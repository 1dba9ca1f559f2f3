from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "carecoord.patients"
    label = "patients"
    verbose_name = "Patients"
