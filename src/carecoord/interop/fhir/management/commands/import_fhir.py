"""`carecoord import-fhir --org SLUG PATH...`: FHIR Bundles or NDJSON into an organization, with a summary."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from carecoord.core.models import Organization
from carecoord.interop.fhir.importer import import_paths, ordered


class Command(BaseCommand):
    help = "Imports FHIR Bundle (.json) and NDJSON (.ndjson) files or folders of them into an organization."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("paths", nargs="+", help="Files or folders.")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"], active=True).first()
        if organization is None:
            raise CommandError(f"No active organization with the slug “{options['org']}”.")
        paths = [Path(p) for p in options["paths"]]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"Not found: {', '.join(missing)}")
        console = Console(file=self.stdout, force_terminal=False)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Importing", total=len(ordered(paths)))
            report = import_paths(organization, paths, on_file=lambda _: progress.advance(task))
        self._summary(console, report)
        if report.failed:
            raise CommandError(f"{len(report.failed)} of {len(report.files)} files could not be imported.")

    def _summary(self, console: Console, report) -> None:
        table = Table(title=f"{len(report.files)} files")
        table.add_column("What")
        table.add_column("Count", justify="right")
        for label, count in sorted(report.totals.items()):
            table.add_row(label, str(count))
        console.print(table)
        for failed in report.failed:
            console.print(f"[red]✗[/red] {failed.path.name}: {failed.detail}")
