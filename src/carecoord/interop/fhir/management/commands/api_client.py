"""`carecoord api-client create|list|deactivate`: system clients of the FHIR API (OAuth2 client credentials)."""

import json

from django.core.management.base import BaseCommand, CommandError

from carecoord.core.errors import ApplicationError
from carecoord.core.models import Organization
from carecoord.interop.fhir.clients import api_client_create, api_client_deactivate
from carecoord.interop.fhir.models import ApiClient


class Command(BaseCommand):
    help = "Creates, lists or deactivates system clients of the FHIR API."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="Create a client and print its id and secret (shown once).")
        create.add_argument("--org", required=True, help="The organization's slug.")
        create.add_argument("--scopes", required=True, help='SMART scopes, e.g. "system/Patient.read system/*.rs".')
        create.add_argument("--name", default="", help="What the client is (default: the organization's name).")
        create.add_argument("--json", action="store_true", help="Print {client_id, client_secret} as JSON.")
        listing = commands.add_parser("list", help="List an organization's clients.")
        listing.add_argument("--org", required=True)
        off = commands.add_parser("deactivate", help="Turn a client off; its tokens stop working at once.")
        off.add_argument("client_id")

    def handle(self, *args, **options):
        {"create": self.create, "list": self.list, "deactivate": self.deactivate}[options["action"]](options)

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug, active=True).first()
        if organization is None:
            raise CommandError(f"No active organization with the slug “{slug}”.")
        return organization

    def create(self, options) -> None:
        organization = self._organization(options["org"])
        name = options["name"] or f"{organization.name} system client"
        try:
            client, secret = api_client_create(organization=organization, name=name, scopes=options["scopes"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"client_id": client.client_id, "client_secret": secret}))
            return
        self.stdout.write(f"client_id:     {client.client_id}\nclient_secret: {secret}\nscopes:        {client.scopes}")
        self.stdout.write("Keep the secret now: it is not stored and cannot be shown again.")

    def list(self, options) -> None:
        for client in ApiClient.objects.filter(organization=self._organization(options["org"])):
            state = "active" if client.active else "deactivated"
            self.stdout.write(f"{client.client_id}  {state:11}  {client.name}  [{client.scopes}]")

    def deactivate(self, options) -> None:
        client = ApiClient.objects.filter(client_id=options["client_id"]).first()
        if client is None:
            raise CommandError(f"No client {options['client_id']}.")
        api_client_deactivate(client=client)
        self.stdout.write(f"{client.client_id} deactivated.")
