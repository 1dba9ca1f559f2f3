from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "carecoord.checkins"
    label = "checkins"
    verbose_name = "Check-ins and progress"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the periodic jobs: due check-ins on the worklist; therapy visits and tasks.
        from . import jobs, therapy_jobs  # noqa: F401
