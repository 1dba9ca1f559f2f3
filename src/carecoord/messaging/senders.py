"""
Senders deliver one outbox message each. A sender is any class with `send(message) -> None` that raises on
failure; settings name one per channel (CARECOORD_EMAIL_SENDER, CARECOORD_SMS_SENDER) as a dotted path.
Letters are printed and posted by staff from the Outbox page, so they always stay in the local outbox.
"""

from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from .choices import Channel
from .models import OutboxMessage


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class SendError(Exception):
    """A sender could not deliver a message; the text is kept as the message's `last_error` (no PHI in it)."""


class LocalOutboxSender:
    """Delivers to the local outbox only: the message is marked sent and shown on the Outbox page."""

    def send(self, message: OutboxMessage) -> None:
        return None


class DjangoEmailSender:
    """Sends email through django.core.mail (EMAIL_BACKEND, with EMAIL_TIMEOUT)."""

    def send(self, message: OutboxMessage) -> None:
        if message.channel != Channel.EMAIL:
            raise SendError(f"The email sender cannot send a {message.channel} message.")
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to_address],
            headers={"X-CareCoord-Message": str(message.public_id)},
        )
        email.send(fail_silently=False)


SENDER_SETTINGS = {Channel.EMAIL: "CARECOORD_EMAIL_SENDER", Channel.SMS: "CARECOORD_SMS_SENDER"}
DEFAULT_SENDER = "carecoord.messaging.senders.LocalOutboxSender"


def sender_for(channel: str) -> Sender:
    """A fresh sender for the channel, as the settings name it."""
    setting = SENDER_SETTINGS.get(channel)
    path = getattr(settings, setting, DEFAULT_SENDER) if setting else DEFAULT_SENDER
    return import_string(path)()
