"""
Builds a realistic care-coordination organization for the benchmark, fast (bulk inserts, a thousand
patients per transaction):

    .venv/bin/python -m bench.generate --scale small|medium|large [--reset] [--force]

On the database DATABASE_URL names, or by default a SQLite file bench/.data/bench-<scale>.sqlite3; a missing
PostgreSQL database is created. It migrates first, does nothing when the data for that scale is already
there, rebuilds a database that holds other benchmark data, and refuses a database holding any
organization of its own (real or demo data) unless --force.

Map: `main` checks the database; `Generator.run` makes staff and directory, then the patients in batches
(`builders.PatientBuilder`), then the partner clinic — its presence marks a complete dataset — and last the
scheduling data (`scheduling_data.py`, one transaction of its own), which `main` adds alone to a complete
dataset made before it existed.
"""

import argparse
import contextlib
import datetime as dt
import json
import random
import sys
import time

from .env import (
    BENCH_COORDINATOR_EMAIL,
    BENCH_EMAIL_DOMAIN,
    BENCH_PASSWORD,
    BENCH_SLUG_PREFIX,
    DATA_DIR,
    SCALES,
    Scale,
    configure,
    redact,
    setup_django,
)

PATIENTS_PER_TRANSACTION = 1_000
BULK_BATCH = 10_000


def slugs(scale: str) -> tuple[str, str]:
    """The coordination organization's slug and the partner clinic's (made last: the completion mark)."""
    return f"{BENCH_SLUG_PREFIX}{scale}-coordination", f"{BENCH_SLUG_PREFIX}{scale}-partner-clinic"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--reset", action="store_true", help="rebuild even when the data is already there")
    parser.add_argument("--force", action="store_true", help="add bench data to a database holding other data")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    url = configure(args.scale)

    from rich.console import Console

    console = Console()
    from . import database

    if database.is_postgres(url) and database.ensure_postgres_database(url):
        console.print(f"Created the PostgreSQL database {database.settings_for(url)['NAME']}.")
    setup_django()
    from django.core.management import call_command

    console.print(f"[bold]Bench data, scale {args.scale}[/] on {redact(url)}")
    if database.is_postgres(url):
        applied = database.apply_recommended_settings(url)
        console.print("PostgreSQL settings (docs/deploy.md): " + ", ".join(f"{k}={v}" for k, v in applied.items()))
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    main_slug, partner_slug = slugs(args.scale)
    state = _inspect(main_slug, partner_slug)
    if state["complete"] and not args.reset:
        if _scheduling_missing(main_slug):  # a dataset made before the scheduling data existed
            _add_scheduling(args, main_slug, console)
            return 0
        console.print(f"The {args.scale} data is already there ({state['patients']:,} patients): nothing to do.")
        return 0
    if state["foreign"] and not args.force:
        console.print(
            f"[red]Refusing:[/] this database holds {state['foreign']} organization(s) that are not benchmark data "
            "(real or demo data?). Point DATABASE_URL at a database of its own, or pass --force to add the "
            "benchmark's organizations next to them."
        )
        return 2
    if state["bench"] or args.reset:
        if state["foreign"]:
            console.print("[red]Refusing to rebuild:[/] the database also holds other organizations' data.")
            return 2
        reason = (
            "--reset" if state["complete"] else f"it held other or unfinished bench data: {', '.join(state['bench'])}"
        )
        console.print(f"Rebuilding the database ({reason}).")
        database.recreate(url)
        if database.is_postgres(url):
            database.apply_recommended_settings(url)
        call_command("migrate", verbosity=0)
    migrate_seconds = time.monotonic() - started
    report = Generator(SCALES[args.scale], seed=args.seed, console=console).run()
    report.update(
        scale=args.scale,
        database=redact(url),
        migrate_seconds=round(migrate_seconds, 1),
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        total_seconds=round(time.monotonic() - started, 1),
    )
    from django.db import connection

    path = DATA_DIR / f"generate-{args.scale}-{connection.vendor}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    console.print(
        f"[green]Done[/] in {report['total_seconds']:.0f} s (report: {path.relative_to(DATA_DIR.parent.parent)})."
    )
    return 0


def _scheduling_missing(main_slug: str) -> bool:
    from carecoord.core.models import Organization

    from .scheduling_data import scheduling_present

    return not scheduling_present(Organization.objects.get(slug=main_slug))


def _add_scheduling(args, main_slug: str, console) -> None:
    """Adds the scheduling data alone to a complete dataset made without it."""
    from django.db import connection

    from carecoord.core.models import Organization

    from .scheduling_data import SchedulingGenerator

    console.print("• scheduling data (missing from this dataset): hours, time away, appointments…")
    started = time.monotonic()
    organization = Organization.objects.get(slug=main_slug)
    counts = SchedulingGenerator(
        organization, appointments=SCALES[args.scale].appointments, seed=args.seed, console=console
    ).run()
    seconds = round(time.monotonic() - started, 1)
    console.print(f"[green]Done[/] in {seconds:.0f} s: {counts}")
    path = DATA_DIR / f"generate-{args.scale}-{connection.vendor}.json"
    if path.exists():
        report = json.loads(path.read_text())
        report.setdefault("rows", {}).update(counts)
        report.setdefault("timings_seconds", {})["scheduling (added later)"] = seconds
        path.write_text(json.dumps(report, indent=2) + "\n")


def _inspect(main_slug: str, partner_slug: str) -> dict:
    from carecoord.core.models import Organization
    from carecoord.patients.models import Patient

    slugs_present = list(Organization.objects.values_list("slug", flat=True))
    bench = [s for s in slugs_present if s.startswith(BENCH_SLUG_PREFIX)]
    complete = Organization.objects.filter(slug=partner_slug, active=True).exists() and main_slug in bench
    patients = Patient.objects.filter(organization__slug=main_slug).count() if complete else 0
    return {"bench": bench, "foreign": len(slugs_present) - len(bench), "complete": complete, "patients": patients}


class Generator:
    """Makes one scale's dataset; `run` returns the timings and row counts."""

    def __init__(self, scale: Scale, *, seed: int, console):
        from django.db import connection

        self.scale, self.console, self.connection = scale, console, connection
        self.rng = random.Random(seed)
        self.seed = seed
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def run(self) -> dict:
        from django.contrib.auth.hashers import make_password

        from . import database

        database.speed_up_bulk_load(self.connection)
        self.password_hash = make_password(BENCH_PASSWORD)  # one argon2 computation, shared by every bench user
        self.ids = self._ids()
        main_slug, partner_slug = slugs(self.scale.name)
        with self._phase("organization, staff, directory"):
            main = self._organization(
                main_slug, "Great Lakes Care Coordination (benchmark)", "coordination_organization"
            )
            coordinators = self._staff(main, self.scale.coordinators, bench_first=True)
            directory = self._directory(main, self.scale.practitioners)
        with self._phase("patients and their records"):
            self._patients(
                main,
                coordinators,
                directory,
                self.scale.patients,
                mrn_prefix="GL",
                phone_offset=0,
                caseload_first=self.scale.bench_caseload,
            )
        with self._phase("partner clinic (sharing by consent)"):
            partner = self._organization(partner_slug, "Lakeside Family Clinic (benchmark)", "clinic", active=False)
            partner_staff = self._staff(partner, 2, bench_first=False)
            partner_directory = self._directory(partner, 6)
            first = self.ids.peek(self._patient_model())
            self._patients(
                partner,
                partner_staff,
                partner_directory,
                self.scale.partner_patients,
                mrn_prefix="LK",
                phone_offset=4 * self.scale.patients,
                caseload_first=0,
            )
            self._shares(partner, main, partner_staff[0], first)
            partner.active = True  # the completion mark: only a finished dataset has an active partner clinic
            partner.save(update_fields=["active"])
        with self._phase("sequences, vacuum/analyze"):
            self._finish()
        with self._phase("scheduling: hours, time away, appointments"):
            self._appointments(main)
        return {"timings_seconds": {k: round(v, 1) for k, v in self.timings.items()}, "rows": self.counts}

    # -- bookkeeping ---------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _phase(self, name: str):
        started = time.monotonic()
        self.console.print(f"• {name}…")
        yield
        self.timings[name] = time.monotonic() - started
        self.console.print(f"  {name}: {self.timings[name]:.1f} s")

    @staticmethod
    def _patient_model():
        from carecoord.patients.models import Patient

        return Patient

    def _models(self) -> list:
        from carecoord.careplans.models import CarePlan, Goal, Task
        from carecoord.core.models import Membership, Organization, User
        from carecoord.directory.models import Practitioner
        from carecoord.patients.models import (
            CareTeamMember,
            Condition,
            Consent,
            Patient,
            PatientIdentifier,
            PatientShare,
            RelatedPerson,
        )

        return [
            Organization,
            User,
            Membership,
            Practitioner,
            Patient,
            PatientIdentifier,
            RelatedPerson,
            CareTeamMember,
            Condition,
            CarePlan,
            Goal,
            Task,
            Consent,
            PatientShare,
        ]

    def _ids(self):
        from django.db.models import Max

        from .builders import Ids

        return Ids({m: m.objects.aggregate(n=Max("id"))["n"] or 0 for m in self._models()})

    def _save(self, model, rows: list) -> None:
        """bulk_create, for the small tables (the patients' records go through fastinsert.TableWriter)."""
        if rows:
            model.objects.bulk_create(rows, batch_size=BULK_BATCH)
            self._count(model, len(rows))

    def _count(self, model, n: int) -> None:
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + n

    # -- organization, staff, directory --------------------------------------------------------------------
    def _organization(self, slug: str, name: str, kind: str, *, active: bool = True):
        from carecoord.core.models import Organization

        # No two-factor (so the benchmark can sign in over HTTP) and a long idle timeout (runs take a while).
        org = Organization(
            id=self.ids.take(Organization),
            slug=slug,
            name=name,
            kind=kind,
            state="IL",
            timezone="America/Chicago",
            require_mfa=False,
            idle_timeout_minutes=720,
            active=active,
        )
        self._save(Organization, [org])
        return org

    def _staff(self, org, coordinators: int, *, bench_first: bool) -> list[int]:
        """Coordinators (the first one is the benchmark's), plus supervisors and schedulers; returns coordinator ids."""
        from django.db import transaction

        from carecoord.core.models import Membership, User

        from . import names

        people = [("coordinator", n) for n in range(coordinators)]
        people += [("supervisor", n) for n in range(max(1, coordinators // 25))]
        people += [("scheduler", n) for n in range(max(1, coordinators // 30))]
        users, memberships, coordinator_ids = [], [], []
        for role, n in people:
            given = self.rng.choice(names.FEMALE_GIVEN + names.MALE_GIVEN)
            family = self.rng.choice(names.FAMILY)
            email = f"{role}{n:04d}.{org.slug}@{BENCH_EMAIL_DOMAIN}"
            if bench_first and role == "coordinator" and n == 0:
                email = BENCH_COORDINATOR_EMAIL
            user = User(id=self.ids.take(User), email=email, full_name=f"{given} {family}", password=self.password_hash)
            users.append(user)
            memberships.append(
                Membership(id=self.ids.take(Membership), user_id=user.id, organization_id=org.id, role=role)
            )
            if role == "coordinator":
                coordinator_ids.append(user.id)
        with transaction.atomic():
            self._save(User, users)
            self._save(Membership, memberships)
        return coordinator_ids

    def _directory(self, org, count: int) -> dict[str, list[int]]:
        from django.db import transaction
        from stdnum import luhn

        from carecoord.directory.models import Practitioner

        from . import names

        rows, pcp, specialists = [], [], []
        for n in range(count):
            code, display, suffix = names.SPECIALTIES[n % len(names.SPECIALTIES)]
            base = f"1{org.id % 10}{n:07d}"
            npi = base + luhn.calc_check_digit("80840" + base)
            female = self.rng.random() < 0.5
            row = Practitioner(
                id=self.ids.take(Practitioner),
                organization_id=org.id,
                npi=npi,
                prefix="Dr." if suffix in {"MD", "DO"} else "",
                given_name=self.rng.choice(names.FEMALE_GIVEN if female else names.MALE_GIVEN),
                family_name=self.rng.choice(names.FAMILY),
                suffix=suffix,
                specialty_code=code,
                specialty_display=display,
                languages=["en"] + (["es"] if self.rng.random() < 0.3 else []),
                phone=f"+1312555{1000 + n % 9000:04d}",
            )
            rows.append(row)
            (pcp if code in names.PRIMARY_CARE_CODES else specialists).append(row.id)
        with transaction.atomic():
            self._save(Practitioner, rows)
        return {"pcp": pcp, "specialists": specialists or pcp}

    # -- patients ------------------------------------------------------------------------------------------
    def _patients(
        self, org, coordinators, directory, count: int, *, mrn_prefix: str, phone_offset: int, caseload_first: int
    ) -> None:
        """Patients in transactions of PATIENTS_PER_TRANSACTION, each with all their records."""
        from django.db import transaction
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from carecoord.careplans.models import CarePlan
        from carecoord.core import clock

        from .builders import ORDER, Batch, PatientBuilder, Reference
        from .fastinsert import TableWriter

        ref = Reference(
            organization_id=org.id,
            coordinator_ids=coordinators,
            pcp_ids=directory["pcp"],
            specialist_ids=directory["specialists"],
            today=clock.today_in(org.tz),
        )
        builder = PatientBuilder(
            self.rng, self.ids, ref, tasks_per_patient=self.scale.tasks_per_patient, mrn_prefix=mrn_prefix
        )
        owners = self._caseloads(coordinators, count, caseload_first)
        mrns = self.rng.sample(range(10_000_000, 100_000_000), count)
        phone_slots = list(range(count))
        self.rng.shuffle(phone_slots)
        through = CarePlan.addresses.through
        writers = {model: TableWriter(self.connection, model) for model in ORDER}
        writers[through] = TableWriter(self.connection, through, database_assigns_keys=True)
        columns = [TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        began = time.monotonic()
        with Progress(*columns, console=self.console, transient=False) as progress:
            bar = progress.add_task(f"patients of {org.slug}", total=count)
            for start in range(0, count, PATIENTS_PER_TRANSACTION):
                batch = Batch()
                for i in range(start, min(count, start + PATIENTS_PER_TRANSACTION)):
                    builder.build(
                        batch,
                        index=i,
                        mrn=mrns[i],
                        phone_index=phone_offset + 4 * phone_slots[i],
                        coordinator_id=owners[i],
                    )
                batch.rows[through] = [{"careplan_id": p, "condition_id": c} for p, c in batch.addresses]
                with transaction.atomic():
                    for model, writer in writers.items():
                        self._count(model, writer.write(batch.rows.get(model, [])))
                progress.update(bar, advance=min(PATIENTS_PER_TRANSACTION, count - start))
                done = min(count, start + PATIENTS_PER_TRANSACTION)
                if not self.console.is_terminal and done % max(PATIENTS_PER_TRANSACTION, count // 10) == 0:
                    rate = done / (time.monotonic() - began)
                    self.console.print(f"  {done:,}/{count:,} patients ({rate:,.0f}/s)")  # logs get a line per 10%

    def _caseloads(self, coordinators: list[int], count: int, first: int) -> list[int]:
        """Each patient's coordinator: `first` patients for the benchmark coordinator, the rest shared evenly."""
        first = min(first, count) if len(coordinators) > 1 else count
        others = coordinators[1:] or coordinators
        owners = [coordinators[0]] * first + [others[i % len(others)] for i in range(count - first)]
        self.rng.shuffle(owners)
        return owners

    def _appointments(self, main) -> None:
        """Scheduling data (bench/scheduling_data.py), after the key sequences are reset: it lets the
        database assign its keys. One transaction of its own, so an interrupted run leaves none of it."""
        from .scheduling_data import SchedulingGenerator

        counts = SchedulingGenerator(
            main, appointments=self.scale.appointments, seed=self.seed, console=self.console
        ).run()
        self.counts.update(counts)

    def _shares(self, partner, main, recorded_by: int, first_patient_id: int) -> None:
        """Twenty partner patients shared with the coordination organization under active consent."""
        from django.db import transaction

        from carecoord.core import clock
        from carecoord.patients.models import Consent, Patient, PatientShare

        shared = list(Patient.objects.filter(organization=partner, id__gte=first_patient_id).order_by("id")[:20])
        consents, shares = [], []
        for patient in shared:
            consent = Consent(
                id=self.ids.take(Consent),
                organization_id=partner.id,
                patient_id=patient.id,
                grantee_id=main.id,
                signed_on=clock.today_in(partner.tz) - dt.timedelta(days=30),
                signed_by=patient.full_legal_name,
                method="signed form",
                recorded_by_id=recorded_by,
            )
            consents.append(consent)
            shares.append(
                PatientShare(
                    id=self.ids.take(PatientShare),
                    patient_id=patient.id,
                    organization_id=main.id,
                    consent_id=consent.id,
                    granted_by_id=recorded_by,
                )
            )
        with transaction.atomic():
            self._save(Consent, consents)
            self._save(PatientShare, shares)

    def _finish(self) -> None:
        from . import database

        if self.connection.vendor == "postgresql":
            database.reset_sequences(self.connection, self._models())
        database.finish_load(self.connection)


if __name__ == "__main__":
    sys.exit(main())
