"""
Which of the organization's patients an ADT message is about. In order:

1. **Identifier.** A PID-3 identifier with an assigning authority (CX-4) that a patient already carries
   (a PatientIdentifier with that system and value, or the organization's own MRN when the authority is the
   organization's slug or name). One patient, with a birth date that agrees -> that patient. Identifiers
   pointing to two patients, or a birth date that disagrees -> review.
2. **Demographics.** Patients born on the same day (or with day and month swapped, or the same family name
   in the same birth year) are scored with `patients.domain.duplicate_score`: rapidfuzz's token-set ratio of
   the folded full names (0-100), times 0.9 when the birth date is only close.
   - `AUTO_MATCH` (95): exactly one candidate at or above it, with the exact birth date and no conflicting
     administrative sex -> that patient (and the hospital's identifier is recorded on them, so the next
     message matches by identifier).
   - `REVIEW` (70): any other candidate at or above it -> a PatientMatchReview for a coordinator.
   - below `REVIEW` for everyone -> nobody matches: a new patient is created from PID (when allowed and PID
     has a name and a birth date), else review.
SSNs (type SS or SSN, or assigned by the SSA: redact.is_ssn_identifier) are never stored and never used to
match.
"""

import contextlib
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from carecoord.careplans.services import _system_actor
from carecoord.core.choices import US_STATES
from carecoord.core.errors import ApplicationError, ValidationError
from carecoord.core.models import Organization
from carecoord.directory.domain import normalize_zip
from carecoord.patients.choices import IdentifierType
from carecoord.patients.domain import DuplicateCandidate, PhoneError, duplicate_score, fold, normalize_phone
from carecoord.patients.models import Patient, PatientIdentifier
from carecoord.patients.selectors import patients_visible_to
from carecoord.patients.services import identifier_add, patient_register

from .parse import PatientData
from .redact import is_ssn_identifier

AUTO_MATCH = 95.0
REVIEW = 70.0
SEX_TO_GENDER = {"F": "female", "M": "male", "O": "other", "A": "other", "U": "unknown", "N": "unknown"}
STATES = frozenset(code for code, _ in US_STATES)


@dataclass
class MatchResult:
    patient: Patient | None
    how: str  # "identifier", "demographics", "created", "review", "none"
    reason: str = ""
    candidates: list[dict] = field(default_factory=list)


def _candidates_json(scored: list[tuple[float, Patient, list[str]]]) -> list[dict]:
    return [
        {"patient": str(p.public_id), "name": p.display_name, "birth_date": p.birth_date.isoformat(),
         "score": round(score, 1), "reasons": reasons}
        for score, p, reasons in scored
    ]  # fmt: skip


def _usable_identifiers(data: PatientData):
    return [i for i in data.identifiers if i.authority and not is_ssn_identifier(i.type, i.authority)]


def match_by_identifier(organization: Organization, data: PatientData) -> MatchResult | None:
    """Step 1; None when no identifier names a patient."""
    visible = patients_visible_to(_system_actor(organization))
    own_authorities = {organization.slug.casefold(), organization.name.casefold()}
    found: dict[int, Patient] = {}
    for identifier in _usable_identifiers(data):
        hits = visible.filter(
            Q(identifiers__system__iexact=identifier.authority, identifiers__value=identifier.value)
            | (Q(mrn__iexact=identifier.value, organization=organization)
               if identifier.authority.casefold() in own_authorities else Q(pk__in=[]))
        ).distinct()  # fmt: skip
        for patient in hits:
            found[patient.pk] = patient
    if not found:
        return None
    if len(found) > 1:
        scored = [(100.0, p, ["identifier"]) for p in found.values()]
        return MatchResult(None, "review", "The hospital's identifiers name more than one patient.",
                           _candidates_json(scored))  # fmt: skip
    patient = next(iter(found.values()))
    if data.birth_date and data.birth_date != patient.birth_date:
        return MatchResult(None, "review", "The identifier matches a patient whose birth date differs.",
                           _candidates_json([(100.0, patient, ["identifier", "birth date differs"])]))  # fmt: skip
    return MatchResult(patient, "identifier")


def _sex_conflicts(data: PatientData, patient: Patient) -> bool:
    reported = SEX_TO_GENDER.get(data.sex, "unknown")
    return "unknown" not in (reported, patient.gender) and reported != patient.gender


def score_candidates(organization: Organization, data: PatientData) -> list[tuple[float, Patient, list[str]]]:
    """Patients who might be the person PID describes, best first, with the reasons for each score."""
    if not data.birth_date or not (data.family_name or data.given_name):
        return []
    born = data.birth_date
    dates = {born}
    if born.day <= 12:
        with contextlib.suppress(ValueError):
            dates.add(born.replace(month=born.day, day=born.month))
    family = fold(data.family_name).split()
    query = Q(birth_date__in=dates)
    if family:
        query |= Q(search_name__contains=f" {family[0]} ", birth_date__year=born.year)
    scored = []
    for patient in patients_visible_to(_system_actor(organization)).filter(query)[:50]:
        score = duplicate_score(
            data.given_name, data.family_name, born,
            DuplicateCandidate(patient.given_name, patient.family_name, patient.birth_date),
        )  # fmt: skip
        reasons = [f"name {score:.0f}/100" if patient.birth_date == born else f"name {score:.0f}/100, date close"]
        if _sex_conflicts(data, patient):
            reasons.append("sex differs")
        if score >= REVIEW:
            scored.append((score, patient, reasons))
    scored.sort(key=lambda item: (-item[0], item[1].pk))
    return scored


def match_patient(organization: Organization, data: PatientData, *, create_unknown: bool) -> MatchResult:
    """Identifier, then demographics, then (if allowed) a new patient; anything uncertain -> review."""
    by_identifier = match_by_identifier(organization, data)
    if by_identifier is not None:
        return by_identifier
    scored = score_candidates(organization, data)
    certain = [
        (score, patient) for score, patient, reasons in scored
        if score >= AUTO_MATCH and patient.birth_date == data.birth_date and "sex differs" not in reasons
    ]  # fmt: skip
    if len(certain) == 1 and len(scored) == 1:
        patient = certain[0][1]
        remember_identifiers(organization, patient, data)
        return MatchResult(patient, "demographics")
    if scored:
        return MatchResult(None, "review", "Name and birth date are close to a patient's but not certain.",
                           _candidates_json(scored))  # fmt: skip
    if not create_unknown:
        return MatchResult(None, "review", "No patient matches; this feed does not create patients.")
    patient = create_from_pid(organization, data)
    if patient is None:
        return MatchResult(None, "review", "No patient matches, and PID lacks what a new record needs.")
    return MatchResult(patient, "created")


def remember_identifiers(organization: Organization, patient: Patient, data: PatientData) -> int:
    """Records the hospital's identifiers on the patient (skipping SSNs and ones another patient holds)."""
    if patient.organization_id != organization.pk:
        return 0  # a patient shared with us: their home organization keeps their identifiers
    actor = _system_actor(organization)
    added = 0
    for identifier in _usable_identifiers(data):
        kind = identifier.type.upper() if identifier.type.upper() in IdentifierType.values else IdentifierType.OTHER
        if PatientIdentifier.objects.filter(
            organization=organization, system__iexact=identifier.authority, value=identifier.value
        ).exists():
            continue
        try:
            with transaction.atomic():
                identifier_add(actor=actor, patient=patient, type=kind, system=identifier.authority[:200],
                               value=identifier.value[:80])  # fmt: skip
            added += 1
        except ApplicationError:
            continue
    return added


def create_from_pid(organization: Organization, data: PatientData) -> Patient | None:
    """A new patient from PID with a provisional MRN (H-...) a coordinator can change; None if PID is too thin."""
    if not (data.family_name and data.given_name and data.birth_date):
        return None
    try:
        phone = normalize_phone(data.phone)
    except PhoneError:
        phone = ""
    gender = SEX_TO_GENDER.get(data.sex, "unknown")
    values = {
        "mrn": f"H-{uuid.uuid4().hex[:10].upper()}",
        "given_name": _name(data.given_name),
        "middle_name": _name(data.middle_name),
        "family_name": _name(data.family_name),
        "birth_date": data.birth_date,
        "gender": gender,
        "sex_at_birth": {"female": "F", "male": "M"}.get(gender, "UNK"),
        "phone_primary": phone,
        "address_line1": data.address_line1[:200],
        "city": data.city[:100],
        "state": data.state if data.state in STATES else "",
        "postal_code": _zip(data.postal_code),
    }
    patient = _register(organization, values)
    if patient is None:  # an address or phone the registry refuses: register without them
        patient = _register(organization, {k: v for k, v in values.items() if k in MINIMUM_FIELDS})
    if patient is not None:
        remember_identifiers(organization, patient, data)
    return patient


MINIMUM_FIELDS = ("mrn", "given_name", "middle_name", "family_name", "birth_date", "gender", "sex_at_birth")


def _register(organization: Organization, values: dict) -> Patient | None:
    try:
        with transaction.atomic():
            return patient_register(actor=_system_actor(organization), data=values, allow_possible_duplicate=True)
    except ApplicationError:
        return None


def _zip(text: str) -> str:
    """PID-11's ZIP code as the registry keeps it, or "" (the rest of the address still kept) if it is not one."""
    try:
        return normalize_zip(text, required=False)
    except ValidationError:
        return ""


def _name(text: str) -> str:
    """SHOUTED names (as hospitals send them) in title case; mixed case (McDonald) kept as sent."""
    return (text.title() if text.isupper() else text)[:100]
