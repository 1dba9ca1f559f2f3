"""
The scenarios: what a coordinator does all day, each runnable four ways — the app's selector in-process,
the page in-process (Django's test client), the page over HTTP against gunicorn, and the floor (one
hand-written SQL query, see floors.py).

To add a page scenario (scheduling's are in scheduling.py, FHIR's in fhir.py), append a Scenario to
SCENARIOS: `requires` names the app it needs (it shows as "not built yet" until that app is installed),
`inputs` picks varied inputs from the context, `path` gives the page, `selector` calls the app's selectors,
`floor` the hand-written query (None when the scenario is not query-bound), and both return the same
comparable shape so the runner can check they agree.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import floors

SAMPLE = 50  # distinct patients the search and chart scenarios cycle through


@dataclass
class Context:
    """Who is acting and what they look at; built once per run from the generated data."""

    user: Any
    organization: Any
    actor: Any
    roles: frozenset
    today: dt.date
    open_statuses: frozenset
    patients: list  # a sample of the benchmark coordinator's caseload
    search_page_size: int = 25


def build_context(scale_name: str, seed: int = 7) -> Context:
    from carecoord.careplans.choices import OPEN_TASK_STATUSES
    from carecoord.careplans.selectors import caseload_for
    from carecoord.core import clock
    from carecoord.core.access import actor_for
    from carecoord.core.models import Organization, User
    from carecoord.patients import views as patient_views

    from .env import BENCH_COORDINATOR_EMAIL
    from .generate import slugs

    organization = Organization.objects.filter(slug=slugs(scale_name)[0]).first()
    user = User.objects.filter(email=BENCH_COORDINATOR_EMAIL).first()
    if organization is None or user is None:
        raise SystemExit(f"No {scale_name} bench data here: run `python -m bench.generate --scale {scale_name}` first.")
    actor = actor_for(user, organization)
    caseload = list(caseload_for(actor).order_by("id"))
    patients = random.Random(seed).sample(caseload, min(SAMPLE, len(caseload)))
    return Context(
        user=user,
        organization=organization,
        actor=actor,
        roles=actor.roles,
        today=clock.today_in(organization.tz),
        open_statuses=frozenset(OPEN_TASK_STATUSES),
        patients=patients,
        search_page_size=patient_views.PAGE_SIZE,
    )


@dataclass(frozen=True)
class Targets:
    p95_ms: float | None = None
    floor_ratio: float | None = None


@dataclass
class Scenario:
    name: str
    label: str
    targets: Targets = field(default_factory=Targets)
    requires: str | None = None
    inputs: Callable[[Context], list] | None = None
    path: Callable[[Context, Any], str] | None = None
    selector: Callable[[Context, Any], Any] | None = None
    floor: Callable[[Context, Any, Any], Any] | None = None

    def available(self) -> bool:
        return self.inputs is not None and self.status() == ""

    def status(self) -> str:
        """Empty when runnable; otherwise why not (its app is missing, or nobody has written it yet)."""
        from django.apps import apps

        if self.requires is not None and not apps.is_installed(self.requires):
            return "not built yet"
        return "" if self.inputs is not None else "scenario not written yet"


# -- the worklist -----------------------------------------------------------------------------------------
def worklist_selector(ctx: Context, _input) -> dict:
    """What the worklist page reads: the bucket counts, the total for the pager and the first page."""
    from carecoord.careplans.selectors import WorklistFilters, worklist_for
    from carecoord.careplans.worklist_views import PAGE_SIZE

    work = worklist_for(ctx.actor, WorklistFilters())
    total = work.total  # from the bucket counts, as the page's pager
    ids = [task.id for task in work.tasks[:PAGE_SIZE]]
    return {"counts": dict(work.counts), "total": total, "ids": ids}


def worklist_appointments_selector(ctx: Context, _input) -> dict:
    """What the worklist's upcoming-appointments panel reads (loaded by the page once it is shown)."""
    from carecoord.scheduling.worklist_selectors import upcoming_appointments_for

    return {"ids": [appointment.id for appointment in upcoming_appointments_for(ctx.actor)]}


# -- patient search ---------------------------------------------------------------------------------------
def search_selector(ctx: Context, query: str) -> dict:
    """What the search page reads: the number of matches and the first page."""
    from carecoord.patients.selectors import patient_search

    found = patient_search(ctx.actor, query)
    total = found.count()
    return {"total": total, "ids": [p.id for p in found[: ctx.search_page_size]]}


def _name_query(patient) -> str:
    """What a coordinator types: the first letters of the last name, then of the first name ("garc mar")."""
    from carecoord.patients.domain import fold

    family = fold(patient.family_name).split()[0]
    given = fold(patient.given_name).split()[0]
    return f"{family[:4]} {given[:3]}"


def _phone_query(patient) -> str:
    from carecoord.patients.domain import format_phone

    return format_phone(patient.phone_primary)  # "(312) 555-0123", as read off a referral fax


def _search_path(_ctx, query: str) -> str:
    from urllib.parse import urlencode

    return f"/patients/?{urlencode({'q': query})}"


# -- the chart --------------------------------------------------------------------------------------------
def chart_selector(ctx: Context, public_id) -> dict:
    """What the chart reads: the access-checked (and audited) patient, then its summary panels."""
    from carecoord.patients.selectors import chart_for, patient_get

    patient = patient_get(ctx.actor, public_id)
    data = chart_for(ctx.actor, patient)
    keys = {
        "identifiers": "identifiers",
        "family": "related_persons",
        "care_team": "care_team",
        "conditions": "conditions",
        "consents": "consents",
        "shares": "shares",
    }
    return {"patient": patient.id, **{k: sorted(obj.id for obj in data[v]) for k, v in keys.items()}}


SCENARIOS: list[Scenario] = [
    Scenario(
        "worklist",
        "Worklist page (caseload ~400)",
        Targets(p95_ms=100, floor_ratio=3),
        inputs=lambda ctx: [None],
        path=lambda ctx, _: "/worklist/",
        selector=worklist_selector,
        floor=floors.worklist,
    ),
    Scenario(
        "worklist_appointments",
        "Worklist: upcoming-appointments panel",
        Targets(p95_ms=100),
        inputs=lambda ctx: [None],
        path=lambda ctx, _: "/worklist/appointments/",
        selector=worklist_appointments_selector,
        floor=floors.worklist_appointments,
    ),
    Scenario(
        "search_name",
        "Patient search: name prefix",
        Targets(p95_ms=50),
        inputs=lambda ctx: [_name_query(p) for p in ctx.patients],
        path=_search_path,
        selector=search_selector,
        floor=floors.search_name,
    ),
    Scenario(
        "search_dob",
        "Patient search: date of birth",
        Targets(p95_ms=50),
        inputs=lambda ctx: [p.birth_date.strftime("%m/%d/%Y") for p in ctx.patients],
        path=_search_path,
        selector=search_selector,
        floor=floors.search_dob,
    ),
    Scenario(
        "search_mrn",
        "Patient search: MRN",
        Targets(p95_ms=50),
        inputs=lambda ctx: [p.mrn for p in ctx.patients],
        path=_search_path,
        selector=search_selector,
        floor=floors.search_mrn,
    ),
    Scenario(
        "search_phone",
        "Patient search: phone",
        Targets(p95_ms=50),
        inputs=lambda ctx: [_phone_query(p) for p in ctx.patients],
        path=_search_path,
        selector=search_selector,
        floor=floors.search_phone,
    ),
    Scenario(
        "chart",
        "Patient chart",
        Targets(p95_ms=150),
        inputs=lambda ctx: [p.public_id for p in ctx.patients],
        path=lambda ctx, pid: f"/patients/{pid}/",
        selector=chart_selector,
        floor=floors.chart,
    ),
    # Scheduling's scenarios (slot search, planner, booking) run from bench/scheduling.py, FHIR's (import,
    # read, create, $export) from bench/fhir.py: their shapes (throughput, concurrency) differ from a page's.
]
