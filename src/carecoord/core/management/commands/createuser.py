import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from carecoord.core.choices import Role
from carecoord.core.errors import ApplicationError
from carecoord.core.models import Organization, User
from carecoord.core.services import membership_add, user_create


class Command(BaseCommand):
    help = (
        "Creates a user with a role in an organization (or adds the role to an existing user). The password "
        "is read from standard input when it is not a terminal, else asked for twice."
    )
    # call_command may pass `stdin` (tests, scripts), as Django's createsuperuser allows.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="Full name.")

    def handle(self, *args, **options):
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organization with slug “{options['org']}”.")
        existing = User.objects.filter(email__iexact=options["email"].strip()).first()
        try:
            if existing:
                membership_add(actor=None, user=existing, organization=org, role=options["role"])
                self.stdout.write(f"Added role {options['role']} at {org.slug} to {existing.email}.")
                return
            user = user_create(
                email=options["email"],
                full_name=options["name"],
                password=self._password(options.get("stdin")),
                organization=org,
                role=options["role"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created {user.email} ({options['role']} at {org.slug}).")

    def _password(self, stdin=None) -> str:
        stdin = stdin or sys.stdin
        if not stdin.isatty():
            return stdin.readline().rstrip("\r\n")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
