"""
Import of an Open Referral HSDS 3.0 directory into the acting organization's directory: the JSON shapes of the
HSDA API (an organization or service "full" object, a list page with "contents", or a list of them) and the
tabular package (organizations.csv, locations.csv, addresses.csv, services.csv, service_at_location.csv,
languages.csv, schedules.csv, cost_options.csv, phones.csv, attributes.csv, taxonomy_terms.csv).

Idempotent by HSDS id: a record already imported is updated, never duplicated. Each row is its own savepoint,
so one bad row is reported (table, row, id, message) and the rest still arrive. Need categories come from the
taxonomy terms linked to a service (an SDOHCC domain code, or a keyword of NEED_KEYWORDS in the term's name).
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize

from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ValidationError

from .choices import LocationType, Need, ServiceStatus
from .domain import valid_coordinates
from .models import Agency, CommunityService, ResourceLocation, ServiceAtLocation, tags_to_text

NEED_KEYWORDS: dict[str, tuple[str, ...]] = {
    Need.FOOD_INSECURITY: ("food", "meal", "pantry", "nutrition", "hunger", "grocer"),
    Need.HOMELESSNESS: ("homeless", "shelter"),
    Need.HOUSING_INSTABILITY: ("housing", "rent", "eviction"),
    Need.INADEQUATE_HOUSING: ("home repair", "housing quality", "weatherization"),
    Need.TRANSPORTATION_INSECURITY: ("transport", "transit", "ride"),
    Need.UTILITY_INSECURITY: ("utilit", "energy", "heating", "electric bill", "water bill"),
    Need.INTERPERSONAL_SAFETY: ("domestic violence", "abuse", "interpersonal safety", "intimate partner"),
    Need.FINANCIAL_INSECURITY: ("financial", "cash assistance", "benefits"),
    Need.EMPLOYMENT: ("employment", "job"),
}


@dataclass(frozen=True)
class RowError:
    table: str
    row: int  # 1-based data row in a CSV file; the position in a JSON list
    hsds_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row} ({self.hsds_id or 'no id'}): {self.message}"


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def count(self, table: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[table] = target.get(table, 0) + 1

    @property
    def summary(self) -> str:
        def part(counts):
            return ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) or "nothing"

        problems = f"{len(self.errors)} row{pluralize(len(self.errors))} with problems"
        return f"Created {part(self.created)}; updated {part(self.updated)}; {problems}."


def needs_from_terms(terms: Iterable[str]) -> list[str]:
    """Need categories named by taxonomy terms: an SDOHCC domain code itself, or a keyword in the term."""
    found = []
    for term in terms:
        text = (term or "").strip().lower()
        if text in Need.values:
            found.append(text)
            continue
        found += [need for need, words in NEED_KEYWORDS.items() if any(w in text for w in words)]
    return sorted(set(found))


def _text(value, limit: int | None = None) -> str:
    text = "" if value is None else str(value).strip().strip('"').strip()
    return text[:limit] if limit else text


def _int(value) -> int | None:
    text = _text(value)
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError as exc:
        raise ValueError(f"“{text}” is not a whole number.") from exc


def _float(value) -> float | None:
    text = _text(value)
    return float(text) if text else None


class _Importer:
    def __init__(self, actor: Actor):
        self.actor = actor
        self.org = actor.organization
        self.report = ImportReport()

    # --- one row, in its own savepoint --------------------------------------------------------------------
    def row(self, table: str, number: int, hsds_id: str, build) -> object | None:
        try:
            with transaction.atomic():
                return build()
        except (DjangoValidationError, ValueError, KeyError, TypeError) as exc:
            self.report.errors.append(RowError(table, number, hsds_id, _message(exc)))
            return None

    def _upsert(self, model, table: str, hsds_id: str, values: dict, **extra):
        if not hsds_id:
            raise ValueError("The record has no id.")
        instance = model.objects.filter(organization=self.org, hsds_id=hsds_id).first()
        created = instance is None
        if created:
            instance = model(organization=self.org, hsds_id=hsds_id, **extra)
        for name, value in {**values, **extra}.items():
            setattr(instance, name, value)
        instance.full_clean(exclude=["organization", "agency"], validate_unique=False)
        if not created:
            instance.version += 1
        instance.save()
        self.report.count(table, created)
        return instance

    # --- records ------------------------------------------------------------------------------------------
    def agency(self, data: dict) -> Agency:
        phones = data.get("phones") or []
        values = {
            "name": _text(data.get("name"), 200),
            "description": _text(data.get("description")),
            "email": _text(data.get("email"), 254),
            "website": _text(data.get("website") or data.get("url"), 200),
            "phone": _text(phones[0].get("number"), 40) if phones else "",
        }
        return self._upsert(Agency, "organizations", _text(data.get("id")), values)

    def location(self, data: dict, agency: Agency | None, address: dict | None = None) -> ResourceLocation:
        address = address or next(iter(data.get("addresses") or []), None) or {}
        kind = _text(data.get("location_type")) or LocationType.PHYSICAL
        if kind not in LocationType.values:
            raise ValueError(f"Unknown location_type “{kind}”.")
        values = {
            "name": _text(data.get("name"), 200),
            "location_type": kind,
            "transportation": _text(data.get("transportation")),
            "address_1": _text(address.get("address_1"), 200),
            "city": _text(address.get("city"), 100),
            "state": _text(address.get("state_province"), 60),
            "postal_code": _text(address.get("postal_code"), 20),
            **self._coordinates(data),
        }
        return self._upsert(ResourceLocation, "locations", _text(data.get("id")), values, agency=agency)

    def _coordinates(self, data: dict) -> dict:
        lat, lon = _float(data.get("latitude")), _float(data.get("longitude"))
        if lat is None and lon is None:
            return {"latitude": None, "longitude": None}
        if not valid_coordinates(lat, lon):
            raise ValueError(
                f"Latitude {lat} / longitude {lon} are not on Earth (latitude -90..90, longitude -180..180)."
            )
        return {"latitude": lat, "longitude": lon}

    def service(self, data: dict, agency: Agency, extra: dict | None = None) -> CommunityService:
        extra = extra or {}
        status = _text(data.get("status")) or ServiceStatus.ACTIVE
        if status not in ServiceStatus.values:
            raise ValueError(f"Unknown service status “{status}”.")
        phones = data.get("phones") or extra.get("phones") or []
        languages = data.get("languages") or extra.get("languages") or []
        terms = [
            t for attribute in data.get("attributes") or [] for t in _term_words(attribute.get("taxonomy_term") or {})
        ] + extra.get("terms", [])
        values = {
            "name": _text(data.get("name"), 200),
            "description": _text(data.get("description")),
            "status": status,
            "url": _text(data.get("url"), 200),
            "email": _text(data.get("email"), 254),
            "phone": _text(phones[0].get("number"), 40) if phones else "",
            "eligibility_description": _text(data.get("eligibility_description")),
            "minimum_age": _int(data.get("minimum_age")),
            "maximum_age": _int(data.get("maximum_age")),
            "fees_description": _text(data.get("fees_description")),
            "application_process": _text(data.get("application_process")),
            "languages": tags_to_text(_text(lang.get("code")) for lang in languages),
            "hours": [_schedule(s) for s in (data.get("schedules") or extra.get("schedules") or [])],
            "cost_options": [_cost(c) for c in (data.get("cost_options") or extra.get("cost_options") or [])],
            "taxonomy_terms": sorted({t for t in terms if t}),
            "needs": tags_to_text(needs_from_terms(terms)),
        }
        return self._upsert(CommunityService, "services", _text(data.get("id")), values, agency=agency)

    def link(self, service: CommunityService, location: ResourceLocation, hsds_id: str, description: str) -> None:
        _sal, created = ServiceAtLocation.objects.update_or_create(
            service=service,
            location=location,
            defaults={"organization": self.org, "hsds_id": hsds_id, "description": description},
        )
        self.report.count("service_at_location", created)


def _term_words(term: dict) -> list[str]:
    return [_text(term.get("code")), _text(term.get("name"))]


def _schedule(data: dict) -> dict:
    keys = ("freq", "byday", "opens_at", "closes_at", "description", "attending_type")
    return {k: _text(data.get(k)) for k in keys if _text(data.get(k))}


def _cost(data: dict) -> dict:
    keys = ("option", "amount", "currency", "amount_description")
    return {k: _text(data.get(k)) for k in keys if _text(data.get(k))}


def _message(exc: Exception) -> str:
    if isinstance(exc, DjangoValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in exc.message_dict.items())
    if isinstance(exc, KeyError):
        return f"Missing {exc}."
    return str(exc)


# JSON ------------------------------------------------------------------------------------------------------


def hsds_import_json(*, actor: Actor, payload) -> ImportReport:
    """Imports HSDS JSON (organization or service objects, a list page, or a list); reports bad rows."""
    require_patient_editor(actor)
    if isinstance(payload, dict) and "contents" in payload:
        payload = payload["contents"]
    items = payload if isinstance(payload, list) else [payload]
    importer = _Importer(actor)
    with transaction.atomic():
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                importer.report.errors.append(RowError("json", number, "", "Not an HSDS object."))
            elif "services" in item or "status" not in item:
                _json_organization(importer, number, item)
            else:
                _json_service(importer, number, item, None)
        _audit(actor, "json", importer.report)
    return importer.report


def _json_organization(importer: _Importer, number: int, item: dict) -> None:
    agency = importer.row("organizations", number, _text(item.get("id")), lambda: importer.agency(item))
    if agency is None:
        return
    for n, location in enumerate(item.get("locations") or [], start=1):
        importer.row("locations", n, _text(location.get("id")), lambda loc=location: importer.location(loc, agency))
    for n, service in enumerate(item.get("services") or [], start=1):
        _json_service(importer, n, service, agency)


def _json_service(importer: _Importer, number: int, item: dict, agency: Agency | None) -> None:
    if agency is None:
        parent = item.get("organization")
        if isinstance(parent, dict):
            agency = importer.row("organizations", number, _text(parent.get("id")), lambda: importer.agency(parent))
        else:
            agency = Agency.objects.filter(
                organization=importer.org, hsds_id=_text(item.get("organization_id"))
            ).first()
        if agency is None:
            importer.report.errors.append(
                RowError("services", number, _text(item.get("id")), "The service's organization is not known.")
            )
            return
    service = importer.row("services", number, _text(item.get("id")), lambda: importer.service(item, agency))
    if service is None:
        return
    for n, sal in enumerate(item.get("service_at_locations") or [], start=1):
        location = sal.get("location") or {}

        def build(sal=sal, location=location):
            place = importer.location(location, agency)
            importer.link(service, place, _text(sal.get("id")), _text(sal.get("description")))

        importer.row("service_at_location", n, _text(sal.get("id")), build)


# CSV (the tabular package) ---------------------------------------------------------------------------------

CSV_FILES = (
    "organizations.csv",
    "locations.csv",
    "addresses.csv",
    "services.csv",
    "service_at_location.csv",
    "languages.csv",
    "schedules.csv",
    "cost_options.csv",
    "phones.csv",
    "attributes.csv",
    "taxonomy_terms.csv",
)


def _rows(files: dict[str, str], name: str) -> list[dict]:
    text = files.get(name)
    if not text:
        return []
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _by(rows: list[dict], key: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(_text(row.get(key)), []).append(row)
    return grouped


def hsds_import_csv(*, actor: Actor, files: dict[str, str]) -> ImportReport:
    """Imports the HSDS tabular package (file name -> CSV text); organizations.csv or services.csv is needed."""
    require_patient_editor(actor)
    unknown = sorted(set(files) - set(CSV_FILES) - {"datapackage.json"})
    if not any(name in files for name in ("organizations.csv", "services.csv", "locations.csv")):
        raise ValidationError("The package needs organizations.csv, services.csv or locations.csv.")
    importer = _Importer(actor)
    with transaction.atomic():
        for name in unknown:
            importer.report.errors.append(RowError(name, 0, "", "Not an HSDS table this import reads; skipped."))
        agencies = {}
        for n, row in enumerate(_rows(files, "organizations.csv"), start=1):
            agency = importer.row("organizations", n, _text(row.get("id")), lambda row=row: importer.agency(row))
            if agency is not None:
                agencies[agency.hsds_id] = agency
        addresses = _by(_rows(files, "addresses.csv"), "location_id")
        locations = {}
        for n, row in enumerate(_rows(files, "locations.csv"), start=1):
            agency = _agency(importer, agencies, row.get("organization_id"))
            address = next(iter(addresses.get(_text(row.get("id")), [])), None)
            place = importer.row(
                "locations",
                n,
                _text(row.get("id")),
                lambda row=row, a=agency, ad=address: importer.location(row, a, ad),
            )
            if place is not None:
                locations[place.hsds_id] = place
        _csv_services(importer, files, agencies, locations)
        _audit(actor, "csv", importer.report)
    return importer.report


def _agency(importer: _Importer, agencies: dict, hsds_id) -> Agency | None:
    key = _text(hsds_id)
    if not key:
        return None
    if key not in agencies:
        agencies[key] = Agency.objects.filter(organization=importer.org, hsds_id=key).first()
    return agencies[key]


def _csv_services(importer: _Importer, files: dict, agencies: dict, locations: dict) -> None:
    languages = _by(_rows(files, "languages.csv"), "service_id")
    schedules = _by(_rows(files, "schedules.csv"), "service_id")
    costs = _by(_rows(files, "cost_options.csv"), "service_id")
    phones = _by(_rows(files, "phones.csv"), "service_id")
    terms = {_text(t.get("id")): t for t in _rows(files, "taxonomy_terms.csv")}
    attributes = _by(_rows(files, "attributes.csv"), "link_id")
    services = {}
    for n, row in enumerate(_rows(files, "services.csv"), start=1):
        sid = _text(row.get("id"))
        agency = _agency(importer, agencies, row.get("organization_id"))
        if agency is None:
            importer.report.errors.append(RowError("services", n, sid, "The service's organization is not known."))
            continue
        words = [
            w for a in attributes.get(sid, []) for w in _term_words(terms.get(_text(a.get("taxonomy_term_id")), {}))
        ]
        extra = {
            "languages": languages.get(sid, []),
            "schedules": schedules.get(sid, []),
            "cost_options": costs.get(sid, []),
            "phones": phones.get(sid, []),
            "terms": words,
        }
        service = importer.row("services", n, sid, lambda row=row, a=agency, e=extra: importer.service(row, a, e))
        if service is not None:
            services[sid] = service
    for n, row in enumerate(_rows(files, "service_at_location.csv"), start=1):
        service = (
            services.get(_text(row.get("service_id")))
            or CommunityService.objects.filter(organization=importer.org, hsds_id=_text(row.get("service_id"))).first()
        )
        place = (
            locations.get(_text(row.get("location_id")))
            or ResourceLocation.objects.filter(organization=importer.org, hsds_id=_text(row.get("location_id"))).first()
        )
        if service is None or place is None:
            importer.report.errors.append(
                RowError("service_at_location", n, _text(row.get("id")), "Its service or location was not imported.")
            )
            continue
        importer.row(
            "service_at_location",
            n,
            _text(row.get("id")),
            lambda s=service, p=place, row=row: importer.link(
                s, p, _text(row.get("id")), _text(row.get("description"))
            ),
        )


def _audit(actor: Actor, kind: str, report: ImportReport) -> None:
    audit_record(
        actor=actor,
        event="directory.import",
        action=AuditAction.CREATE,
        detail={"format": kind, "created": report.created, "updated": report.updated, "errors": len(report.errors)},
    )
