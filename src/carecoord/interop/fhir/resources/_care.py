"""
Pieces the patient-record and care-plan mappers share (RelatedPerson, CareTeam, Consent, CarePlan, Goal,
Task): references to staff users, CareCoord's own code systems, the subject patient, dates, period search.
"""

import datetime as dt
import html
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Q

from carecoord.core.errors import NotFoundError
from carecoord.core.models import User
from carecoord.interop.fhir.base import parse_id, referenced_id
from carecoord.interop.fhir.context import NotKept, lenient, subjects
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.search import parse_date_range, split_prefix
from carecoord.patients.selectors import actor_key, patient_get


def carecoord_system(kind: str) -> str:
    """A code or identifier system of CareCoord itself (not one organization's): urn:carecoord:<kind>."""
    return f"{getattr(settings, 'CARECOORD_IDENTIFIER_BASE', 'urn:carecoord')}:{kind}"


USER_SYSTEM = carecoord_system("user")


def bad(path: str, message: str) -> Exception:
    """A 400 naming the element; during a lenient import the resource is skipped instead (NotKept)."""
    if lenient():
        return NotKept(f"{path}: {message}")
    return FhirError(400, f"{path}: {message}", expression=[path])


def code_in(value, allowed, path: str) -> str:
    """A code of a required value set (fhir.resources does not check those): 400 naming the element otherwise."""
    if value not in allowed:
        raise bad(path, f"“{value}” is not one of {', '.join(allowed)}.")
    return value


def user_reference(user: User | None) -> dict | None:
    """A staff user has no FHIR resource here: a logical reference by our user id, with the name shown."""
    if user is None:
        return None
    return {"identifier": {"system": USER_SYSTEM, "value": str(user.public_id)}, "display": str(user)}


def member_user(actor, ref: dict | None, path: str) -> User | None:
    """The member of the actor's organization a reference names (by our user id or email), else a 400."""
    if not ref:
        return None
    identifier = ref.get("identifier") or {}
    value = str(identifier.get("value", "")).strip()
    if not value:
        raise bad(path, "name the staff member by identifier (our user id, system " + USER_SYSTEM + ", or email).")
    key = parse_id(value)
    match = Q(public_id=key) if key else Q(email__iexact=value)
    user = (
        User.objects.filter(match, memberships__organization=actor.organization, memberships__active=True)
        .distinct()
        .first()
    )
    if user is None:
        raise bad(path, f"no member of your organization has the identifier “{value}”.")
    return user


def subject_patient(actor, ref: dict | None, path: str):
    """The visible patient a reference points at; 400 naming the element when missing or unknown."""
    key = referenced_id(ref, "Patient", path=path)
    if key is None:
        raise bad(path, "must reference the Patient (“Patient/<id>”).")
    try:
        return visible_patient(actor, key)
    except NotFoundError as exc:
        raise bad(path, f"Patient/{key} is not known.") from exc


def visible_patient(actor, key):
    """patient_get without an audit entry (remembered for the rest of a transaction Bundle: context.py)."""
    return patient_get(actor, key, audit_event=None)


def subject_checked_in_bundle(actor, resource: dict, path: str) -> bool:
    """
    Whether this transaction Bundle already found the resource's subject visible to the actor: then a create
    whose service writes everything inside its own atomic block fails without leaving anything (no refused
    access to audit) and needs no savepoint of the interaction's own (interactions._create_block).
    """
    try:
        key = referenced_id(resource.get("subject"), "Patient", path=path)
    except FhirError:
        return False
    cache = subjects()
    return key is not None and cache is not None and (key, *actor_key(actor)) in cache


def bundle_memo(key: tuple, load):
    """
    Within a transaction Bundle (context.subject_cache), `load()` once per key and the same value after; None
    outside one. Keys start with a name (a str) so `bundle_forget` can drop one kind; a PUT or DELETE forgets
    all of them (context.forget_subjects).
    """
    cache = subjects()
    if cache is None:
        return None
    if key not in cache:
        cache[key] = load()
    return cache[key]


# Memos that hold nothing for a patient created in the Bundle: (memo name, the patient attribute in its key
# after the name, a function making the empty value). Modules add theirs (empty_for_new_patient).
_EMPTY_FOR_NEW_PATIENT: list[tuple[str, str, object]] = []


def empty_for_new_patient(name: str, attribute: str, empty) -> None:
    """Registers a memo keyed (name, patient.<attribute>, *actor_key) that is empty for a new patient."""
    _EMPTY_FOR_NEW_PATIENT.append((name, attribute, empty))


def bundle_new_patient(actor, patient) -> None:
    """
    A patient the Bundle has just created has no records on file yet: its memos start empty without a query
    (the Bundle's own creates are added to them as they happen, as for a patient read from the database).
    """
    cache = subjects()
    if cache is None:
        return
    for name, attribute, empty in _EMPTY_FOR_NEW_PATIENT:
        cache.setdefault((name, getattr(patient, attribute), *actor_key(actor)), empty())


def bundle_forget(name: str) -> None:
    """Drops what `bundle_memo` keeps under keys starting with `name`."""
    cache = subjects()
    for key in [k for k in cache or () if k[0] == name]:
        del cache[key]


def parse_date(value, path: str) -> dt.date | None:
    """The date of a FHIR date or dateTime (its local calendar day as written); 400 when it is not one."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise bad(path, f"“{value}” is not a date (YYYY-MM-DD).") from exc


def parse_decimal(value, path: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise bad(path, f"“{value}” is not a number.") from exc


def number(value: Decimal | int | float | None):
    """A stored decimal (or a number not yet read back from the database) as a JSON number: 7.00 -> 7, 7.5 -> 7.5."""
    if value is None:
        return None
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def narrative(*lines: str) -> dict:
    """A generated narrative (text) of plain lines, escaped."""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def extension_value(resource: dict, url: str, key: str):
    return next((e.get(key) for e in resource.get("extension") or [] if e.get("url") == url), None)


def references_to(refs, resource_type: str, path: str) -> list[uuid.UUID]:
    return [key for ref in refs or [] if (key := referenced_id(ref, resource_type, path=path)) is not None]


def period_filter(start_field: str, end_field: str):
    """
    A date search on a period stored as two DateFields (end may be open): eq = the period overlaps the value's
    range, ge/gt = it goes on at or after it, le/lt = it began at or before it, sa = starts after, eb = ends
    before, ne = does not overlap.
    """

    def build(value: str, modifier: str, *, tz: dt.tzinfo = dt.UTC) -> Q:
        prefix, text = split_prefix(value)
        span = parse_date_range(text, tz)
        start, end = span.start.astimezone(tz).date(), span.end.astimezone(tz).date()
        if end == start:
            end = start + dt.timedelta(days=1)
        open_end = Q(**{f"{end_field}__isnull": True})
        overlaps = Q(**{f"{start_field}__lt": end}) & (open_end | Q(**{f"{end_field}__gte": start}))
        ranges = {
            "eq": overlaps,
            "ne": ~overlaps,
            "ge": open_end | Q(**{f"{end_field}__gte": start}),
            "gt": open_end | Q(**{f"{end_field}__gte": end}),
            "le": Q(**{f"{start_field}__lt": end}),
            "lt": Q(**{f"{start_field}__lt": start}),
            "sa": Q(**{f"{start_field}__gte": end}),
            "eb": Q(**{f"{end_field}__lt": start}),
        }
        return ranges[prefix]

    build.needs_tz = True  # type: ignore[attr-defined]
    return build
