from django.core.management.base import BaseCommand, CommandError

from carecoord.records.retention import retention_purge


class Command(BaseCommand):
    help = (
        "Hard-purges soft-deleted patients past their organization's retention horizon, never one under a "
        "legal hold. --dry-run (the default) lists them; --apply purges, one audited transaction per patient."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="List what would be purged (default).")
        mode.add_argument("--apply", action="store_true", help="Purge.")

    def handle(self, *args, **options):
        apply = options["apply"]
        candidates, purged = retention_purge(apply=apply)
        for c in candidates:
            state = "held (legal hold)" if c.held else ("purged" if str(c.patient.public_id) in purged else "due")
            self.stdout.write(f"{c.patient.public_id}  past horizon {c.horizon:%Y-%m-%d}  {state}")
        due = sum(not c.held for c in candidates)
        held = len(candidates) - due
        if apply:
            self.stdout.write(f"Purged {len(purged)} patients; {held} kept under legal hold.")
            if len(purged) != due:
                raise CommandError(f"{due - len(purged)} due patients were not purged (changed meanwhile).")
        else:
            self.stdout.write(f"Dry run: {due} patients would be purged; {held} kept under legal hold.")
