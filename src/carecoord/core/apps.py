from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "carecoord.core"
    label = "core"
    verbose_name = "CareCoord core"

    def ready(self):
        from . import (
            breakglass,  # noqa: F401 -- connects the break-glass flag on audit entries
            signals,  # noqa: F401 -- connects the sign-in audit receivers
        )
