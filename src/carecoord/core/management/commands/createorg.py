from django.core.management.base import BaseCommand, CommandError

from carecoord.core.choices import OrganizationKind
from carecoord.core.errors import ApplicationError
from carecoord.core.services import organization_create


class Command(BaseCommand):
    help = "Creates an organization (a tenant) and prints its slug. Two-factor is required of its members."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=OrganizationKind.values)
        parser.add_argument("--state", required=True, help="Two-letter US state code, e.g. IL.")
        parser.add_argument("--timezone", required=True, help="IANA time zone, e.g. America/Chicago.")
        parser.add_argument("--slug", help="Short name used in commands (default: from the name).")
        parser.add_argument(
            "--no-require-mfa", action="store_true", help="Do not require two-factor of non-admin members."
        )

    def handle(self, *args, **options):
        try:
            org = organization_create(
                name=options["name"],
                kind=options["kind"],
                state=options["state"],
                timezone=options["timezone"],
                slug=options["slug"],
                require_mfa=not options["no_require_mfa"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(org.slug)
