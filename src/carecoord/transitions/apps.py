from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "carecoord.transitions"
    label = "transitions"
    verbose_name = "Transitions of care"
    default_auto_field = "django.db.models.BigAutoField"
