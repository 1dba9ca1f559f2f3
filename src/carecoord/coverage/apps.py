from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "carecoord.coverage"
    label = "coverage"
    verbose_name = "Insurance and funding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the periodic jobs: prior authorization expiry, funding application tasks.
        from . import jobs  # noqa: F401
