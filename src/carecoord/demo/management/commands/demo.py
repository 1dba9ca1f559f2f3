import io
import secrets
import shutil
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from carecoord.core.errors import ApplicationError
from carecoord.core.models import Organization
from carecoord.demo import synthea
from carecoord.demo.logins import logins_path, logins_save, logins_table
from carecoord.demo.synthea import SyntheaReport, synthea_files, synthea_load
from carecoord.demo.world import CLINIC_SLUG, DEMO_PATIENTS, DEMO_SEED, DEMO_SLUGS, demo_world_exists, world_create
from carecoord.demo.world import COUNT_LABELS as world_labels

ALREADY_LOADED = "Demo data already loaded"


class Command(BaseCommand):
    help = (
        "Builds the demo world (five Illinois organizations, staff in every role, directories and about 200 "
        "patients with families, problem lists, care teams, care plans and worklist tasks) and prints the "
        "logins; optionally loads Synthea FHIR bundles too. Everything happens in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true",
            help="When the database already has organizations, change nothing and show the saved logins.",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"Seed of the world (default {DEMO_SEED}).")
        parser.add_argument(
            "--patients",
            type=int,
            default=DEMO_PATIENTS,
            help=f"How many patients, 20 to 400 (default {DEMO_PATIENTS}).",
        )
        parser.add_argument("--synthea", metavar="DIR", type=Path, help="Also load the Synthea bundles in DIR.")
        parser.add_argument(
            "--org", metavar="SLUG", default=CLINIC_SLUG,
            help=f"The organization that receives the Synthea patients (default {CLINIC_SLUG}).",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        synthea_dir: Path | None = options["synthea"]
        build = True
        if options["if_empty"] and Organization.objects.exists():
            self._show_saved_logins(synthea_next=bool(synthea_dir))
            build = False
        elif demo_world_exists():
            if not synthea_dir:
                raise CommandError(
                    f"{ALREADY_LOADED}. Use --if-empty to skip quietly, or start from an empty database."
                )
            self.stdout.write("The demo world is already loaded; loading the Synthea bundles only.")
            build = False
        if not build and not synthea_dir:
            return
        self._check_options(options, build)
        password = secrets.token_urlsafe(16)
        try:
            with transaction.atomic():
                world = None
                if build:
                    self.stdout.write(f"Building the demo world (seed {options['seed']})…")
                    world = world_create(password=password, seed=options["seed"], patients=options["patients"])
                report = self._load_synthea(synthea_dir, options["org"]) if synthea_dir else None
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if world is not None:
            self._print(_counts_table("Demo world", world.counts, world_labels))
        if report is not None:
            self._print_report(report)
        if world is not None:  # the logins come last, where `make run` leaves them on the screen
            path = logins_save(world.logins)
            self._print(logins_table(world.logins))
            self.stdout.write(f"Logins saved to {path} (readable only by you). Two-factor is off for the demo "
                              "organizations; organization admins set it up at their first sign-in.")  # fmt: skip
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")

    def _check_options(self, options: dict, build: bool) -> None:
        if not 20 <= options["patients"] <= 400:  # the fictional 555-01xx numbers run out beyond
            raise CommandError("--patients must be between 20 and 400.")
        synthea_dir, slug = options["synthea"], options["org"]
        if synthea_dir is None:
            return
        if not synthea_dir.is_dir():
            raise CommandError(f"{synthea_dir} is not a folder.")
        if not (build and slug in DEMO_SLUGS) and not Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"No organization with slug “{slug}”.")

    def _show_saved_logins(self, *, synthea_next: bool) -> None:
        self.stdout.write(
            f"{ALREADY_LOADED}; " + ("the Synthea bundles load next." if synthea_next else "nothing changed.")
        )
        path = logins_path()
        if path.is_file():
            self.stdout.write(path.read_text(encoding="utf-8"), ending="")
        else:
            self.stdout.write(f"No saved logins at {path}: they are written when the demo is built.")

    def _load_synthea(self, directory: Path, slug: str) -> SyntheaReport:
        organization = Organization.objects.get(slug=slug)
        files = synthea_files(directory)
        self.stdout.write(f"Loading {len(files)} Synthea files from {directory} into {organization.name}…")
        progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty(),
        )  # fmt: skip
        with progress:
            task = progress.add_task("Synthea", total=len(files))
            return synthea_load(directory, organization, on_file=lambda _: progress.advance(task))

    def _print_report(self, report: SyntheaReport) -> None:
        renderables = [_counts_table("Synthea import", report.counts, synthea.COUNT_LABELS)]
        if report.errors:
            table = Table(title="Files with errors (nothing of them was loaded)", title_justify="left")
            table.add_column("File")
            table.add_column("Reason")
            for result in report.errors:
                table.add_row(result.name, result.detail)
            renderables.append(table)
        self._print(*renderables)

    def _print(self, *renderables) -> None:
        terminal = self.stdout.isatty()
        width = shutil.get_terminal_size((120, 24)).columns if terminal else 130
        console = Console(file=io.StringIO(), width=width, force_terminal=terminal, highlight=False)
        for renderable in renderables:
            console.print(renderable)
        self.stdout.write(console.file.getvalue(), ending="")


def _counts_table(title: str, counts, labels: dict[str, str]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("What")
    table.add_column("Count", justify="right")
    for key, label in labels.items():
        if counts.get(key) or key in ("patients", "conditions"):
            table.add_row(label, str(counts.get(key, 0)))
    return table
