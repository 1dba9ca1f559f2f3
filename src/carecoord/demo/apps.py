from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "carecoord.demo"
    label = "demo"
    verbose_name = "Demo data"
