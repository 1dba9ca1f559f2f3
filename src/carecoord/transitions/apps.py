from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "carecoord.transitions"
    label = "transitions"
    verbose_name = "Transitions of care"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the daily job that closes episodes whose 30-day window has ended, and the listener that
        # records an episode step when its task is completed on the worklist (careplans.signals.task_completed).
        from . import jobs, receivers  # noqa: F401
