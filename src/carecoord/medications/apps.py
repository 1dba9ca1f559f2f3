from django.apps import AppConfig


class MedicationsConfig(AppConfig):
    name = "carecoord.medications"
    label = "medications"
    default_auto_field = "django.db.models.BigAutoField"
