from django.core.management.base import BaseCommand, CommandError

from carecoord.core.audit import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Seals pending audit events into the hash chain, then verifies the whole chain."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="Verify only; do not seal pending events.")

    def handle(self, *args, **options):
        if not options["no_seal"]:
            sealed = audit_seal()
            if sealed:
                self.stdout.write(f"Sealed {sealed} pending events.")
        report = audit_verify()
        if not report.ok:
            where = f"event id {report.broken_event_id}" if report.broken_event_id else "the chain head"
            raise CommandError(
                f"Audit chain BROKEN at sequence {report.broken_sequence} ({where}): {report.reason}. "
                f"{report.checked} events verified before it."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified, {report.unsealed} pending.")
        )
