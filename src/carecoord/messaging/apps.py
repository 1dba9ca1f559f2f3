from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "carecoord.messaging"
    label = "messaging"
    verbose_name = "Messaging"
