"""
`carecoord export-fhir --org SLUG --out DIR [--type Patient,Condition] [--since INSTANT]`: the organization's
data as FHIR Bulk Data NDJSON files (one <Type>.ndjson per resource type), the same files a system-level
$export writes, with a progress bar and a summary table. It reads as the organization's export account.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.models import Membership, Organization, User
from carecoord.interop.fhir.export import export_querysets, parse_since, split_types, system_types, write_export
from carecoord.interop.fhir.outcome import FhirError


def export_actor(organization: Organization) -> Actor:
    """The organization's export account (no password; named in the audit entry the export leaves)."""
    user, _ = User.objects.get_or_create(
        email=f"export-{organization.slug}@system.carecoord.invalid",
        defaults={"full_name": f"FHIR export ({organization.name})"},
    )
    Membership.objects.get_or_create(user=user, organization=organization, role=Role.COORDINATOR)
    return Actor(user=user, organization=organization, roles=frozenset({Role.COORDINATOR}))


class Command(BaseCommand):
    help = "Exports an organization's data as FHIR NDJSON files (one per resource type)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--out", required=True, help="The folder to write <Type>.ndjson files into.")
        parser.add_argument("--type", default="", help="Comma-separated resource types (default: every type).")
        parser.add_argument("--since", default="", help="Only resources changed after this instant (…Z).")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"], active=True).first()
        if organization is None:
            raise CommandError(f"No active organization with the slug “{options['org']}”.")
        try:
            known = system_types()
            types = split_types(options["type"], known, what="CareCoord exports") if options["type"] else known
            since = parse_since(options["since"]) if options["since"] else None
        except FhirError as error:
            raise CommandError(error.diagnostics.replace("_type", "--type").replace("_since", "--since")) from error
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} is not a folder.")
        actor = export_actor(organization)
        totals = {
            resource_type: sum(queryset.count() for _, queryset in sources)
            for resource_type, sources in export_querysets(actor, types, since)
        }
        console = Console(file=self.stdout, force_terminal=False)
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with progress:
            task = progress.add_task("Exporting", total=sum(totals.values()))

            def on_batch(resource_type: str, count: int) -> None:
                progress.update(task, advance=count, description=f"Exporting {resource_type}")

            files = write_export(actor, types, since, out, on_batch=on_batch)
        audit_record(
            actor=actor,
            event="fhir.export",
            action=AuditAction.EXECUTE,
            target=organization,
            detail={"level": "system", "via": "cli", "counts": {f["type"]: f["count"] for f in files}},
        )
        self._summary(console, files, out)

    def _summary(self, console: Console, files: list[dict], out: Path) -> None:
        table = Table(title=f"FHIR export to {out}")
        table.add_column("Type")
        table.add_column("Resources", justify="right")
        table.add_column("File")
        for item in files:
            table.add_row(item["type"], str(item["count"]), item["file"])
        table.add_row("Total", str(sum(item["count"] for item in files)), "", style="bold")
        console.print(table)
