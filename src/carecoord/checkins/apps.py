from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "carecoord.checkins"
    label = "checkins"
    verbose_name = "Check-ins and progress"
    default_auto_field = "django.db.models.BigAutoField"
