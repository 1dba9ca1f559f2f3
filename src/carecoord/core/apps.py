from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "carecoord.core"
    label = "core"
    verbose_name = "CareCoord core"
