from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "carecoord.records"
    label = "records"
    verbose_name = "Records management"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the periodic job that runs queued patient exports.
        from . import jobs  # noqa: F401
