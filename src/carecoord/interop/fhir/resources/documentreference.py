"""
DocumentReference <-> checkins.ProgressNote, once signed (US Core DocumentReference 6.1.0). Drafts are not
shared.

status: current (entered-in-error for a note struck out after signing); docStatus: final. type: LOINC
11506-3 Progress note; category: US Core clinical-note. subject, date (when signed), author (who wrote it)
and authenticator (who signed it) as logical references by our user id. description: the title.
content: one text/plain attachment (UTF-8, base64 in data, with its SHA-1 hash): the title, when it happened,
the body, the structured sections, who took part, and any addenda with their authors and times; format
urn:ihe:iti:xds:2017:mimeTypeSufficient. context.period: when the contact happened. The note's signature
hash (SHA-256 of the signed content) is the identifier (system urn:carecoord:note-sha256). Read and search
only, without _history: drafts are saved as they are written, and their versions must not be shown.
"""

import base64
import hashlib

from django.db.models import Q

from carecoord.checkins.choices import NoteStatus
from carecoord.checkins.models import ProgressNote
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, instant, reference
from carecoord.interop.fhir.codes import US_CORE, coding
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter

from ._care import carecoord_system, user_reference
from ._checkins import own_or_home

LOINC = "http://loinc.org"
PROGRESS_NOTE = "11506-3"
CATEGORY_SYSTEM = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
FORMAT_SYSTEM = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
MIME_SUFFICIENT = "urn:ihe:iti:xds:2017:mimeTypeSufficient"
HASH_SYSTEM = carecoord_system("note-sha256")
CONTENT_TYPE = "text/plain; charset=utf-8"


def _type_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (LOINC, value)
    return Q() if system in (LOINC, "") and code == PROGRESS_NOTE else Q(pk__in=[])


def _category_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (CATEGORY_SYSTEM, value)
    return Q() if system in (CATEGORY_SYSTEM, "") and code == "clinical-note" else Q(pk__in=[])


def _status_filter(value: str, modifier: str) -> Q:
    code = value.split("|", 1)[-1]
    return {
        "current": Q(status=NoteStatus.SIGNED),
        "entered-in-error": Q(status=NoteStatus.ENTERED_IN_ERROR),
    }.get(code, Q(pk__in=[]))


@register
class DocumentReferenceMapper(ResourceMapper):
    resource_type = "DocumentReference"
    model = ProgressNote
    profile = f"{US_CORE}/us-core-documentreference"
    interactions = ("read", "search-type")
    keep_history = False  # drafts are saved too and must not show up in a _history; a signed note never changes
    select_related = ("patient", "patient__organization", "author", "signed_by")
    prefetch_related = ("addenda__author",)
    documentation = "Signed progress notes (LOINC 11506-3) with their text, addenda included, as text/plain."
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "date": SearchParam("date", "date", date_filter("signed_at"), "When the note was signed."),
        "period": SearchParam("period", "date", date_filter("occurred_at"), "When the contact happened."),
        "type": SearchParam("type", "token", _type_filter, "11506-3 (progress note)."),
        "category": SearchParam("category", "token", _category_filter, "clinical-note."),
        "status": SearchParam("status", "token", _status_filter),
    }
    sort_fields = {"date": "signed_at", "period": "occurred_at"}

    def queryset(self, actor):
        signed = ProgressNote.objects.filter(signed_at__isnull=False).exclude(status=NoteStatus.DRAFT)
        return own_or_home(signed, actor)

    def is_retired(self, obj: ProgressNote) -> bool:
        return obj.status == NoteStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: ProgressNote) -> dict:
        text = note_text(obj)
        data = text.encode("utf-8")
        return compact(
            {
                **self.base(obj),
                "identifier": [{"system": HASH_SYSTEM, "value": obj.content_sha256}] if obj.content_sha256 else [],
                "status": "entered-in-error" if obj.status == NoteStatus.ENTERED_IN_ERROR else "current",
                "docStatus": "final",
                "type": {
                    "coding": [coding(LOINC, PROGRESS_NOTE, "Progress note")],
                    "text": choice_label(obj, "template"),
                },
                "category": [{"coding": [coding(CATEGORY_SYSTEM, "clinical-note", "Clinical Note")]}],
                "subject": reference("Patient", obj.patient),
                "date": instant(obj.signed_at),
                "author": [user_reference(obj.author)],
                "authenticator": user_reference(obj.signed_by),
                "description": obj.title,
                "content": [
                    {
                        "attachment": {
                            "contentType": CONTENT_TYPE,
                            "language": "en",
                            "data": base64.b64encode(data).decode("ascii"),
                            "size": len(data),
                            "hash": base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode(
                                "ascii"
                            ),
                            "title": obj.title,
                            "creation": instant(obj.signed_at),
                        },
                        "format": {"system": FORMAT_SYSTEM, "code": MIME_SUFFICIENT, "display": "mimeType Sufficient"},
                    }
                ],
                "context": {"period": {"start": instant(obj.occurred_at)}},
            }
        )


def note_text(note: ProgressNote) -> str:
    """The note as plain text: what a reader of the chart sees, in the organization's time zone."""
    tz = note.patient.organization.tz
    lines = [note.title, f"{choice_label(note, 'template')}, {note.occurred_at.astimezone(tz):%Y-%m-%d %H:%M %Z}", ""]
    if note.body:
        lines += [note.body, ""]
    for section, value in (note.structured or {}).items():
        if value in ("", [], {}, None):
            continue
        shown = "; ".join(_plain(item) for item in value) if isinstance(value, list) else _plain(value)
        lines.append(f"{section.replace('_', ' ').capitalize()}: {shown}")
    if note.participants:
        lines.append("Participants: " + "; ".join(_plain(p) for p in note.participants))
    if note.signed_by:
        lines += ["", f"Signed by {note.signed_by} at {note.signed_at.astimezone(tz):%Y-%m-%d %H:%M %Z}"]
    for addendum in note.addenda.all():
        lines += ["", f"Addendum by {addendum.author}, {addendum.created_at.astimezone(tz):%Y-%m-%d %H:%M %Z}:"]
        lines.append(addendum.text)
    return "\n".join(lines).strip() + "\n"


def _plain(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in ("", None, [], {}))
    return str(value)
