"""`carecoord adt-listen --org SLUG [--host 127.0.0.1] [--port 2575]`: the organization's HL7 v2 ADT feed over MLLP."""

import signal
import threading
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from carecoord.core.models import Organization
from carecoord.interop.hl7v2.handler import handle_message
from carecoord.interop.hl7v2.mllp import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_MESSAGE_BYTES, MllpServer


class Command(BaseCommand):
    help = "Receives HL7 v2 ADT messages over MLLP for one organization and answers each with an ACK."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=2575, help="TCP port (default 2575; 0 picks a free one).")
        parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_MESSAGE_BYTES,
                            help="Largest message accepted; a larger frame closes the connection.")  # fmt: skip
        parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT,
                            help="Seconds a connection may stay silent before it is closed.")  # fmt: skip
        parser.add_argument("--no-create-patients", action="store_true",
                            help="Send messages about unknown patients to the review queue instead of "
                            "registering them from PID.")  # fmt: skip

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"], active=True).first()
        if organization is None:
            raise CommandError(f"No active organization with the slug “{options['org']}”.")
        counts: Counter[str] = Counter()
        lock = threading.Lock()
        create_unknown = not options["no_create_patients"]

        def on_message(raw: bytes, peer: str) -> str:
            outcome = handle_message(raw, organization=organization, peer=peer, create_unknown=create_unknown)
            label = outcome.message.message_type if outcome.message else "?"
            control = outcome.message.control_id if outcome.message else ""
            with lock:
                counts[outcome.code] += 1
                counts["duplicate"] += outcome.duplicate
            suffix = " (duplicate)" if outcome.duplicate else (f": {outcome.error}" if outcome.error else "")
            self.stdout.write(f"{peer} {label} {control} -> {outcome.code}{suffix}")
            return outcome.ack

        try:
            server = MllpServer(
                (options["host"], options["port"]),
                on_message,
                max_message_bytes=options["max_bytes"],
                idle_timeout=options["idle_timeout"],
            )
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        server.start()
        host, port = server.server_address[:2]
        self.stdout.write(f"Listening for {organization.name} on {host}:{port} (MLLP). Ctrl+C stops.")
        self.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
        self.stdout.write(
            f"Stopped. {counts['AA']} accepted (AA), {counts['AE']} with errors (AE), {counts['AR']} rejected (AR), "
            f"{counts['duplicate']} duplicates."
        )
