"""Test senders standing in for an email or SMS provider (the process boundary), named by dotted path."""

SENT: list = []


class DownSender:
    """A provider that is down: every send raises."""

    def send(self, message) -> None:
        raise ConnectionError("provider unreachable")


class FlakySender:
    """Fails the first time it sees a message, then delivers (a provider that recovers)."""

    seen: set = set()

    def send(self, message) -> None:
        if message.public_id not in self.seen:
            self.seen.add(message.public_id)
            raise TimeoutError("provider timed out")
        SENT.append(message.pk)
