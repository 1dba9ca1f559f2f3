from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "carecoord.careplans"
    label = "careplans"
    verbose_name = "Care plans and tasks"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .builtin import sync_builtin_templates_after_migrate

        post_migrate.connect(sync_builtin_templates_after_migrate, sender=self)
