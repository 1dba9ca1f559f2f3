from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "carecoord.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
