from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "carecoord.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        # Registers the periodic jobs (reminders, waitlist) and the appointment_freed receivers of both.
        from . import jobs, jobs_reminders, receivers  # noqa: F401
