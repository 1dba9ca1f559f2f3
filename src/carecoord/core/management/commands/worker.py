import gc
import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand

from carecoord.core import clock
from carecoord.core.periodic import REGISTRY, run_due_jobs


def load_jobs() -> None:
    """Imports each app's `jobs` module so its periodic jobs register."""
    for config in apps.get_app_configs():
        if config.name.startswith("carecoord."):
            try:
                importlib.import_module(f"{config.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.jobs":
                    raise


class Command(BaseCommand):
    help = "Runs CareCoord's background work: periodic jobs (escalations, audit sealing, reminders)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument("--tick", type=float, default=15.0, help="Seconds between checks for due jobs.")

    def handle(self, *args, **options):
        load_jobs()
        gc.freeze()  # as carecoord.wsgi: what is loaded by now lives as long as the process
        last_runs: dict = {}
        self.stdout.write(f"Worker started with {len(REGISTRY)} periodic jobs.")
        while True:
            ran = run_due_jobs(last_runs, clock.now())
            if options["once"]:
                self.stdout.write(f"Ran {len(ran)} jobs: {', '.join(sorted(ran))}")
                return
            time.sleep(options["tick"])
