from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "carecoord.core"
    label = "core"
    verbose_name = "CareCoord core"

    def ready(self):
        from . import signals  # noqa: F401 -- connects the sign-in audit receivers
