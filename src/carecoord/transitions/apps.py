from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "carecoord.transitions"
    label = "transitions"
    verbose_name = "Transitions of care"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the daily job that closes episodes whose 30-day window has ended.
        from . import jobs  # noqa: F401
