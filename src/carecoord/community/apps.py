from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "carecoord.community"
    label = "community"
    verbose_name = "Community resources and social needs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the periodic job that puts overdue referrals on the worklist.
        from . import jobs  # noqa: F401
