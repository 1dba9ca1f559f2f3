from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "carecoord.education"
    label = "education"
    verbose_name = "Patient education"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .builtin import sync_builtin_materials_after_migrate

        post_migrate.connect(sync_builtin_materials_after_migrate, sender=self)
