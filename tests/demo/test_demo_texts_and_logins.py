"""
The demo reads right: a child's tasks are done with a parent (no "daughter" of a five-year-old), a prior
authorization names a provider whose specialty fits the service, and the logins file lists each login once.
The generating functions are tested directly; one module-scoped demo world checks the built data.
"""

import re
import zoneinfo

import pytest

from carecoord.careplans.choices import TaskKind
from carecoord.careplans.models import Task, TaskEvent
from carecoord.core import clock
from carecoord.coverage.models import PriorAuthorization
from carecoord.demo.careplans import on_hold_notes, outcome_notes, snooze_reasons
from carecoord.demo.coverage import SERVICE_PROVIDERS, SERVICES, _provider, providers_for
from carecoord.demo.directory import ADULT_PCP
from carecoord.demo.logins import logins_by_user, logins_save
from carecoord.demo.world import Login
from carecoord.directory.models import Practitioner

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
PHARMACIST = "183500000X"
PHYSICAL_THERAPIST = "225100000X"
FAMILY_MEDICINE = "207Q00000X"
# Words that make a child patient an adult: their own children or spouse, or "the patient" deciding alone.
ADULT_WORDS = re.compile(r"\b(daughter|son|grandson|granddaughter|grandchild\w*|wife|husband|spouse)\b", re.I)


# --- a child's texts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(TaskKind))
def test_no_outcome_of_a_childs_task_mentions_the_childs_own_family(kind):
    for age in (0, 5, 17):
        for note in outcome_notes(kind, age):
            assert not ADULT_WORDS.search(note), (kind, age, note)


def test_a_childs_notes_are_as_many_as_an_adults_so_the_random_stream_is_unchanged():
    for kind in (TaskKind.SCHEDULE, TaskKind.MEDICATION_REVIEW, TaskKind.REFERRAL, TaskKind.EDUCATION):
        assert len(outcome_notes(kind, 5)) == len(outcome_notes(kind, 40)), kind
    assert len(on_hold_notes(5)) == len(on_hold_notes(40))
    assert len(snooze_reasons(5)) == len(snooze_reasons(40))


def test_child_on_hold_and_snooze_texts_speak_of_parents():
    for text in (*on_hold_notes(5), *snooze_reasons(5)):
        assert not ADULT_WORDS.search(text), text
        assert "Patient wants" not in text
    assert any("daughter" in note.lower() for note in outcome_notes(TaskKind.SCHEDULE, 80))  # adults unchanged
    assert any("parent" in note for note in outcome_notes(TaskKind.SCHEDULE, 5))


# --- prior authorizations -----------------------------------------------------------------------------------


def practitioner(code: str) -> Practitioner:
    return Practitioner(given_name="A", family_name=code, specialty_code=code)


def test_physical_therapy_asks_a_physical_therapist_never_a_pharmacist():
    staff = [practitioner(PHARMACIST), practitioner(FAMILY_MEDICINE), practitioner(PHYSICAL_THERAPIST)]
    assert [p.specialty_code for p in providers_for("Outpatient physical therapy", staff)] == [PHYSICAL_THERAPIST]
    assert [p.specialty_code for p in providers_for("Outpatient physical therapy", staff[:2])] == [FAMILY_MEDICINE]
    assert providers_for("Outpatient physical therapy", staff[:1]) == []


def test_the_provider_drawn_is_kept_when_fit_and_replaced_when_not():
    staff = [practitioner(PHARMACIST), practitioner(FAMILY_MEDICINE), practitioner(PHYSICAL_THERAPIST)]
    for p, pk in zip(staff, (1, 2, 3), strict=True):
        p.pk = pk
    assert _provider(staff[2], "Outpatient physical therapy", staff) is staff[2]
    assert _provider(staff[0], "Outpatient physical therapy", staff) is staff[2]
    assert _provider(staff[0], "Home health skilled nursing visits", staff) is staff[1]
    assert _provider(staff[0], "Outpatient physical therapy", staff[:1]) is None
    assert _provider(None, "Outpatient physical therapy", staff) is None


def test_every_service_has_its_providers_and_none_is_a_pharmacist():
    assert {service for _, service, *_ in SERVICES} == set(SERVICE_PROVIDERS)
    for codes in SERVICE_PROVIDERS.values():
        assert PHARMACIST not in codes
    assert PHARMACIST not in ADULT_PCP


# --- logins -------------------------------------------------------------------------------------------------


LOGINS = [
    Login("maria.lopez@prairie.demo", "Prairie Care Coordination", "Coordinator", "pw-123"),
    Login("ann.lee@northside.demo", "Northside Family Clinic", "Provider", "pw-123"),
    Login("maria.lopez@prairie.demo", "Northside Family Clinic", "Coordinator", "pw-123"),
]


def test_each_login_is_listed_once_with_all_its_organizations(tmp_path):
    rows = logins_by_user(LOGINS)
    assert [row.email for row in rows] == ["maria.lopez@prairie.demo", "ann.lee@northside.demo"]
    assert rows[0].organization == "Prairie Care Coordination; Northside Family Clinic"
    assert rows[0].role == "Coordinator"

    text = logins_save(LOGINS, tmp_path / "logins.txt").read_text()
    lines = [line for line in text.splitlines() if line.startswith("maria.lopez@")]
    assert len(lines) == 1
    assert "Prairie Care Coordination; Northside Family Clinic" in lines[0]
    assert lines[0].split()[-1] == "pw-123"


def test_different_roles_are_listed_in_the_order_of_the_organizations():
    mixed = [LOGINS[0], Login("maria.lopez@prairie.demo", "Northside Family Clinic", "Scheduler", "pw-123")]
    assert logins_by_user(mixed)[0].role == "Coordinator; Scheduler"


# --- the built world ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_built_world_reads_right(world, tmp_path):
    today = clock.today_in(CHICAGO)
    child_tasks = [t for t in Task.objects.select_related("patient") if t.patient.age_on(today) < 18]
    assert child_tasks, "the demo has children's plans"
    for task in child_tasks:
        for text in (task.outcome_note, task.snooze_reason):
            assert not ADULT_WORDS.search(text or ""), (task.patient, task.title, text)
    for event in TaskEvent.objects.filter(task__in=child_tasks):
        assert not ADULT_WORDS.search(event.note or ""), event.note

    auths = list(PriorAuthorization.objects.select_related("provider"))
    assert auths
    for auth in auths:
        if auth.provider is not None:
            assert auth.provider.specialty_code != PHARMACIST, (auth.service, auth.provider)
            fits = SERVICE_PROVIDERS[auth.service] + tuple(ADULT_PCP)
            assert auth.provider.specialty_code in fits, (auth.service, auth.provider.specialty_code)
    therapy = [a for a in auths if "physical therapy" in a.service]
    assert therapy, "the demo has physical-therapy authorizations"

    saved = logins_save(world.logins, tmp_path / "demo-logins.txt").read_text().splitlines()
    emails = [line.split()[0] for line in saved if line.strip() and "@" in line.split()[0]]
    assert len(emails) == len(set(emails))
    maria = next(line for line in saved if line.startswith("maria.lopez@prairie.demo"))
    assert "Northside Family Clinic" in maria
