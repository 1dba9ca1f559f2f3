"""
Progress-note templates as code, and the canonical content a signature covers.

Each template names the structured sections its form shows (symptoms, medication adherence, barriers, goal
progress), whether writing it means the patient was reached (a phone check-in or home visit moves the
check-in cadence on signing), and a default title. `note_content_sha256` hashes the canonical JSON of what
was signed, so a later reader can check the stored content against its signature.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from .choices import NoteTemplateKey

SYMPTOMS = "symptoms"
ADHERENCE = "adherence"
BARRIERS = "barriers"
GOALS = "goals"
ALL_SECTIONS = (SYMPTOMS, ADHERENCE, BARRIERS, GOALS)


@dataclass(frozen=True)
class NoteTemplate:
    key: str
    label: str
    default_title: str
    sections: tuple[str, ...]
    is_contact: bool  # writing it means someone spoke with the patient (or their family)
    prompt: str

    def shows(self, section: str) -> bool:
        return section in self.sections


NOTE_TEMPLATES: dict[str, NoteTemplate] = {
    t.key: t
    for t in (
        NoteTemplate(
            NoteTemplateKey.PHONE_CHECKIN,
            "Phone check-in",
            "Phone check-in",
            (SYMPTOMS, ADHERENCE, BARRIERS, GOALS),
            is_contact=True,
            prompt="How the patient is doing, their medicines, what gets in the way, progress on goals.",
        ),
        NoteTemplate(
            NoteTemplateKey.HOME_VISIT,
            "Home visit",
            "Home visit",
            (SYMPTOMS, ADHERENCE, BARRIERS, GOALS),
            is_contact=True,
            prompt="What you saw at home: symptoms, the medicines on hand, safety and barriers, goals.",
        ),
        NoteTemplate(
            NoteTemplateKey.CARE_CONFERENCE,
            "Care conference",
            "Care conference",
            (BARRIERS, GOALS),
            is_contact=False,
            prompt="Who met, what was decided, who does what next.",
        ),
        NoteTemplate(
            NoteTemplateKey.CASE_REVIEW,
            "Case review",
            "Case review",
            (BARRIERS, GOALS),
            is_contact=False,
            prompt="Review of the chart and plan without the patient: findings and next steps.",
        ),
    )
}


def note_template(key: str) -> NoteTemplate:
    """The template named `key`; KeyError for an unknown one."""
    return NOTE_TEMPLATES[key]


def empty_structured(template: NoteTemplate) -> dict:
    """The structured fields a new note of `template` starts with."""
    blank: dict = {SYMPTOMS: "", ADHERENCE: "", BARRIERS: [], GOALS: []}
    return {section: blank[section] for section in template.sections}


def is_contact(template_key: str, participants: list[dict]) -> bool:
    """Whether a signed note records reaching the patient: a contact template, or the patient took part."""
    template = NOTE_TEMPLATES.get(template_key)
    return bool(template and template.is_contact) or any(p.get("kind") == "patient" for p in participants)


def canonical_content(*, title: str, body: str, structured: dict, participants: list, occurred_at: dt.datetime) -> str:
    """The JSON a signature covers: sorted keys, no spaces, the time in UTC ISO 8601."""
    payload = {
        "title": title,
        "body": body,
        "structured": structured,
        "participants": participants,
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def note_content_sha256(note) -> str:
    """The SHA-256 of a note's canonical content (its title, body, structured fields, participants, time)."""
    text = canonical_content(
        title=note.title,
        body=note.body,
        structured=note.structured,
        participants=note.participants,
        occurred_at=note.occurred_at,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
