from django.core.management.base import BaseCommand, CommandError

from carecoord.core.access import actor_for
from carecoord.core.errors import ApplicationError
from carecoord.core.models import Organization, User
from carecoord.patients.models import Patient
from carecoord.records.exports import export_dir, export_run
from carecoord.records.services import export_request


class Command(BaseCommand):
    help = (
        "Queues a right-of-access export of one patient as a user of an organization (the worker builds it); "
        "--now builds it here and prints where the files are."
    )

    def add_arguments(self, parser):
        parser.add_argument("patient", help="The patient's public id.")
        parser.add_argument("--user", required=True, help="Email of the requesting coordinator or org admin.")
        parser.add_argument("--organization", required=True, help="Slug of the organization acting.")
        parser.add_argument("--recipient", default="The patient")
        parser.add_argument("--now", action="store_true", help="Build it in this process instead of the worker.")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["user"]).first()
        org = Organization.objects.filter(slug=options["organization"]).first()
        patient = Patient.objects.filter(public_id=_uuid(options["patient"])).first()
        if user is None or org is None or patient is None:
            raise CommandError("Unknown user, organization or patient.")
        try:
            export = export_request(actor=actor_for(user, org), patient=patient, recipient=options["recipient"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Queued export {export.public_id}.")
        if options["now"]:
            export_run(export.pk)
            export.refresh_from_db()
            if export.status != "done":
                raise CommandError(f"Export failed: {export.error}")
            self.stdout.write(f"Done: {export_dir(export)}")


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise CommandError("The patient id must be a UUID.") from exc
