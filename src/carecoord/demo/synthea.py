"""
Loads Synthea FHIR R4 transaction bundles into one organization: first the Organizations and Practitioners
of hospitalInformation*.json and practitionerInformation*.json into its directory, then each patient bundle
(the Patient and its Conditions; the full FHIR import is a later piece of work).

What is kept: name, birth date, gender and birth sex, the medical record number (identifier type MR), phone
numbers that are real numbers, email, home address, preferred language and interpreter need; Conditions
coded in SNOMED CT (or ICD-10-CM) with onset, abatement, clinical and verification status. Social Security
numbers and every other identifier are never stored. A clinician's NPI is kept only if its check digit is
right; a SNOMED code failing its check digit is skipped and counted.

Each file loads in its own savepoint, so one bad file is reported without stopping the others; patients
already present (same MRN) and directory entries already present are skipped, so loading twice is harmless.
"""

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import US_STATES, AuditAction
from carecoord.core.errors import ValidationError
from carecoord.core.models import Organization
from carecoord.directory.models import ExternalOrganization, ExternalOrganizationKind, Practitioner
from carecoord.patients.choices import (
    LANGUAGE_NAMES,
    AdministrativeGender,
    BirthSex,
    CodeSystem,
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionVerificationStatus,
    PhoneKind,
)
from carecoord.patients.domain import PhoneError, normalize_phone, search_name, sort_name, validate_condition_code
from carecoord.patients.models import Condition, Patient

from .people import npi_is_valid

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
BIRTH_SEX_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
INTERPRETER_URL = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
CODE_SYSTEMS = (CodeSystem.SNOMED, CodeSystem.ICD10CM)  # in order of preference
STATE_CODES = {name.lower(): code for code, name in US_STATES} | {code.lower(): code for code, _ in US_STATES}
PHONE_KINDS = {"mobile": PhoneKind.MOBILE, "home": PhoneKind.HOME, "work": PhoneKind.WORK}
INFO_PREFIXES = ("hospitalInformation", "practitionerInformation")
OLDEST_BIRTH_DATE = dt.date(1900, 1, 1)


# What the import summary shows, in this order.
COUNT_LABELS = {
    "organizations": "Organizations added to the directory",
    "practitioners": "Practitioners added to the directory",
    "npis_dropped": "NPIs left blank (wrong check digit)",
    "patients": "Patients loaded",
    "patients_skipped": "Patients already loaded (same MRN)",
    "conditions": "Conditions loaded",
    "conditions_skipped_check_digit": "Conditions skipped (SNOMED CT check digit)",
    "conditions_skipped_other_code": "Conditions skipped (neither SNOMED CT nor ICD-10-CM)",
    "conditions_skipped_dates": "Conditions skipped (onset before birth or in the future)",
    "phones_dropped": "Phone numbers left out (not real numbers)",
    "languages_unknown": "Languages not recognized (English assumed)",
    "files_failed": "Files that could not be loaded",
}


class BundleError(ValueError):
    """A file that cannot be loaded, with the reason in words."""


@dataclass
class FileResult:
    name: str
    status: str  # loaded, skipped, error
    detail: str = ""


@dataclass
class SyntheaReport:
    files: list[FileResult] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]


def synthea_files(directory: Path) -> list[Path]:
    """Directory files first (hospitals, then practitioners), then patient bundles, each group by name."""
    files = sorted(directory.glob("*.json"))
    return sorted(files, key=lambda p: (_rank(p), p.name))


def _rank(path: Path) -> int:
    for rank, prefix in enumerate(INFO_PREFIXES):
        if path.name.startswith(prefix):
            return rank
    return len(INFO_PREFIXES)


def synthea_load(
    directory: Path, organization: Organization, *, on_file: Callable[[Path], None] | None = None
) -> SyntheaReport:
    """Loads every bundle of `directory` into `organization`; `on_file` is called after each file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValidationError(f"{directory} is not a folder.")
    loader = _Loader(organization)
    with transaction.atomic():
        for path in synthea_files(directory):
            loader.load_file(path)
            if on_file:
                on_file(path)
        audit_record(event="demo.synthea_load", action=AuditAction.CREATE, organization=organization,
                     target=organization, detail=dict(loader.report.counts))  # fmt: skip
    return loader.report


class _Loader:
    """Holds what is already in the organization, so each file checks for repeats without new queries."""

    def __init__(self, organization: Organization):
        self.org = organization
        self.today = clock.today_in(organization.tz)
        self.report = SyntheaReport()
        self.outside = {_outside_key(o.name, o.address_line, o.city): o
                        for o in ExternalOrganization.objects.filter(organization=organization)}  # fmt: skip
        self.by_address = {_address_key(o.address_line, o.city): o for o in self.outside.values()}
        self.practitioners = {
            _practitioner_key(p.npi, p.given_name, p.family_name, p.external_organization_id)
            for p in Practitioner.objects.filter(organization=organization)
        }
        self.mrns = {m.lower() for m in Patient.objects.filter(organization=organization).values_list("mrn", flat=True)}

    def load_file(self, path: Path) -> None:
        counts_before = self.report.counts.copy()
        try:
            with transaction.atomic():
                resources = _resources(path)
                if path.name.startswith("hospitalInformation"):
                    result = self._organizations(path, resources)
                elif path.name.startswith("practitionerInformation"):
                    result = self._practitioners(path, resources)
                else:
                    result = self._patient(path, resources)
        except (BundleError, DjangoValidationError, DatabaseError, OSError, KeyError, TypeError, ValueError) as exc:
            self.report.counts = counts_before  # the savepoint rolled the file's rows back
            self.report.counts["files_failed"] += 1
            result = FileResult(path.name, "error", _reason(exc))
        self.report.files.append(result)

    def _organizations(self, path: Path, resources: list[dict]) -> FileResult:
        rows = []
        for resource in _of_type(resources, "Organization"):
            line, _, city, state, postal_code = _address(resource.get("address"))
            key = _outside_key(resource.get("name", ""), line, city)
            if not resource.get("name") or key in self.outside:
                continue
            row = ExternalOrganization(
                organization=self.org, name=resource["name"][:200], kind=ExternalOrganizationKind.HOSPITAL,
                phone=self._phone(resource.get("telecom")), address_line=line, city=city, state=state,
                postal_code=postal_code,
            )  # fmt: skip
            row.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
            rows.append((key, row))
        ExternalOrganization.objects.bulk_create([row for _, row in rows])
        for key, row in rows:  # remembered only once saved, so a failed file leaves no stale entry
            self.outside[key] = row
            self.by_address.setdefault(_address_key(row.address_line, row.city), row)
        self.report.counts["organizations"] += len(rows)
        return FileResult(path.name, "loaded", f"{len(rows)} organizations")

    def _practitioners(self, path: Path, resources: list[dict]) -> FileResult:
        rows, keys = [], set()
        for resource in _of_type(resources, "Practitioner"):
            name = _pick_name(resource.get("name"))
            given, family = " ".join(_clean(g) for g in name.get("given", [])), _clean(name.get("family", ""))
            if not given or not family:
                continue
            raw = next(
                (i.get("value", "") for i in resource.get("identifier", []) if i.get("system") == NPI_SYSTEM), ""
            )
            npi = raw if npi_is_valid(raw) else ""
            line, _, city, _, _ = _address(resource.get("address"))
            workplace = self.by_address.get(_address_key(line, city))
            key = _practitioner_key(npi, given, family, workplace.pk if workplace else None)
            if key in self.practitioners or key in keys:
                continue
            keys.add(key)
            self.report.counts["npis_dropped"] += bool(raw) and not npi
            rows.append(Practitioner(
                organization=self.org, npi=npi, prefix=(name.get("prefix") or [""])[0][:20], given_name=given[:100],
                family_name=family[:100], external_organization=workplace,
            ))  # fmt: skip
        Practitioner.objects.bulk_create(rows)
        self.practitioners |= keys
        self.report.counts["practitioners"] += len(rows)
        return FileResult(path.name, "loaded", f"{len(rows)} practitioners")

    def _patient(self, path: Path, resources: list[dict]) -> FileResult:
        found = _of_type(resources, "Patient")
        if len(found) != 1:
            raise BundleError(f"expected one Patient, found {len(found)}")
        resource = found[0]
        mrn = _mrn(resource)
        if mrn.lower() in self.mrns:
            self.report.counts["patients_skipped"] += 1
            return FileResult(path.name, "skipped", f"MRN {mrn} is already loaded")
        patient = self._patient_row(resource, mrn)
        patient.save()
        conditions = [c for c in (self._condition(r, patient) for r in _of_type(resources, "Condition")) if c]
        Condition.objects.bulk_create(conditions)
        self.mrns.add(mrn.lower())
        self.report.counts["patients"] += 1
        self.report.counts["conditions"] += len(conditions)
        return FileResult(path.name, "loaded", f"{len(conditions)} conditions")

    def _patient_row(self, resource: dict, mrn: str) -> Patient:
        name = _pick_name(resource.get("name"))
        given = [_clean(g) for g in name.get("given", []) if _clean(g)]
        family = _clean(name.get("family", ""))
        if not given or not family:
            raise BundleError("the Patient has no usable name")
        birth_date = _date(resource.get("birthDate"))
        if birth_date is None or not OLDEST_BIRTH_DATE <= birth_date <= self.today:
            raise BundleError(f"the birth date “{resource.get('birthDate')}” is missing or impossible")
        line1, line2, city, state, postal_code = _address(resource.get("address"))
        patient = Patient(
            organization=self.org, mrn=mrn, given_name=given[0][:100], middle_name=" ".join(given[1:])[:100],
            family_name=family[:100], birth_date=birth_date, address_line1=line1, address_line2=line2, city=city,
            state=state, postal_code=postal_code, deceased_date=_date(resource.get("deceasedDateTime")),
        )  # fmt: skip
        gender = resource.get("gender", "unknown")
        patient.gender = gender if gender in AdministrativeGender.values else AdministrativeGender.UNKNOWN
        sex = _extension(resource, BIRTH_SEX_URL, "valueCode")
        patient.sex_at_birth = sex if sex in BirthSex.values else BirthSex.UNK
        patient.interpreter_needed = _extension(resource, INTERPRETER_URL, "valueBoolean") is True
        patient.preferred_language = self._language(resource.get("communication"))
        self._contacts(patient, resource.get("telecom") or [])
        patient.search_name = search_name(patient.given_name, patient.middle_name, patient.family_name)
        patient.sort_name = sort_name(patient.family_name, patient.given_name)
        patient.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        return patient

    def _contacts(self, patient: Patient, telecom: list[dict]) -> None:
        phones = []
        for contact in telecom:
            if contact.get("system") == "email" and not patient.email:
                patient.email = contact.get("value", "").strip().lower()
            elif contact.get("system") == "phone":
                number = self._phone([contact])
                if number:
                    phones.append((number, PHONE_KINDS.get(contact.get("use"), PhoneKind.HOME)))
        if phones:
            patient.phone_primary, patient.phone_primary_kind = phones[0]
        if len(phones) > 1:
            patient.phone_secondary, patient.phone_secondary_kind = phones[1]

    def _phone(self, telecom: list[dict] | None) -> str:
        for contact in telecom or []:
            if contact.get("system") == "phone" and contact.get("value"):
                try:
                    return normalize_phone(contact["value"])
                except PhoneError:  # Synthea writes 555-xxx-xxxx: no such area code
                    self.report.counts["phones_dropped"] += 1
        return ""

    def _language(self, communication: list[dict] | None) -> str:
        entries = communication or []
        chosen = next((c for c in entries if c.get("preferred")), entries[0] if entries else None)
        codes = [c.get("code", "") for c in ((chosen or {}).get("language") or {}).get("coding", [])]
        for code in codes:
            base = code.split("-")[0].lower()
            if base in LANGUAGE_NAMES:
                return base
        if codes:
            self.report.counts["languages_unknown"] += 1
        return "en"

    def _condition(self, resource: dict, patient: Patient) -> Condition | None:
        codings = (resource.get("code") or {}).get("coding", [])
        coding = next((c for system in CODE_SYSTEMS for c in codings if c.get("system") == system), None)
        if coding is None:
            self.report.counts["conditions_skipped_other_code"] += 1
            return None
        try:
            code = validate_condition_code(coding["system"], coding.get("code", ""))
        except ValueError:
            self.report.counts["conditions_skipped_check_digit"] += 1
            return None
        onset = _date(resource.get("onsetDateTime") or (resource.get("onsetPeriod") or {}).get("start"))
        abatement = _date(resource.get("abatementDateTime") or (resource.get("abatementPeriod") or {}).get("start"))
        if (onset and not patient.birth_date <= onset <= self.today) or (abatement and onset and abatement < onset):
            self.report.counts["conditions_skipped_dates"] += 1
            return None
        display = coding.get("display") or (resource.get("code") or {}).get("text") or code
        return Condition(
            organization=self.org, patient=patient, code_system=coding["system"], code=code, display=display[:300],
            clinical_status=_status(resource, "clinicalStatus", ConditionClinicalStatus, "active"),
            verification_status=_status(resource, "verificationStatus", ConditionVerificationStatus, "confirmed"),
            category=_category(resource), onset_date=onset, abatement_date=abatement,
        )  # fmt: skip


def _resources(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        bundle = json.load(handle)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleError("not a FHIR Bundle")
    return [e["resource"] for e in bundle.get("entry", []) if isinstance(e, dict) and "resource" in e]


def _of_type(resources: list[dict], resource_type: str) -> list[dict]:
    return [r for r in resources if r.get("resourceType") == resource_type]


def _mrn(resource: dict) -> str:
    """The MR identifier's value; the resource id when there is none. Other identifiers (SSN!) are ignored."""
    for identifier in resource.get("identifier", []):
        codes = {c.get("code") for c in (identifier.get("type") or {}).get("coding", [])}
        if "MR" in codes and identifier.get("value"):
            return identifier["value"].strip()[:40]
    if resource.get("id"):
        return str(resource["id"])[:40]
    raise BundleError("the Patient has neither a medical record number nor an id")


def _pick_name(names: list[dict] | None) -> dict:
    names = names or [{}]
    for use in ("official", "usual", None):
        for name in names:
            if name.get("use") == use:
                return name
    return next((n for n in names if n.get("use") != "maiden"), names[0])


def _clean(part: str) -> str:
    """Synthea may append digits to names to keep them unique (Buster503); people's names have none."""
    return re.sub(r"\d+", "", part or "").strip()


def _address(addresses: list[dict] | None) -> tuple[str, str, str, str, str]:
    addresses = addresses or []
    chosen = next((a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else {})
    lines = chosen.get("line") or []
    state = STATE_CODES.get((chosen.get("state") or "").strip().lower(), "")
    return ((lines[0] if lines else "")[:200], " ".join(lines[1:])[:200], (chosen.get("city") or "")[:100], state,
            (chosen.get("postalCode") or "")[:10])  # fmt: skip


def _date(value) -> dt.date | None:
    if not value:
        return None
    text = str(value)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _extension(resource: dict, url: str, key: str):
    return next((e.get(key) for e in resource.get("extension", []) if e.get("url") == url), None)


def _status(resource: dict, name: str, choices, default: str) -> str:
    codes = [c.get("code") for c in (resource.get(name) or {}).get("coding", [])]
    return next((code for code in codes if code in choices.values), default)


def _category(resource: dict) -> str:
    for category in resource.get("category", []):
        for coding in category.get("coding", []):
            if coding.get("code") in ConditionCategory.values:
                return coding["code"]
    return ConditionCategory.PROBLEM_LIST


def _outside_key(name: str, line: str, city: str) -> tuple[str, str, str]:
    return (name.strip().lower(), line.strip().lower(), city.strip().lower())


def _address_key(line: str, city: str) -> tuple[str, str]:
    return (line.strip().lower(), city.strip().lower())


def _practitioner_key(npi: str, given: str, family: str, workplace_id) -> tuple:
    return ("npi", npi) if npi else ("name", given.lower(), family.lower(), workplace_id)


def _reason(exc: Exception) -> str:
    if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    if isinstance(exc, DjangoValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg}, line {exc.lineno})"
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return str(exc) or type(exc).__name__
