"""Pieces the directory mappers (Practitioner, Organization, Location) share."""

from django.db.models import Q

from carecoord.core.errors import ValidationError
from carecoord.directory.domain import normalize_npi
from carecoord.interop.fhir.codes import NPI_SYSTEM
from carecoord.interop.fhir.context import lenient, subjects
from carecoord.interop.fhir.outcome import FhirError
from carecoord.patients.domain import PhoneError, normalize_phone

from ._care import actor_key, bundle_memo

# Inside a transaction Bundle (_care.bundle_memo): a directory type's records by what its find_existing matches
# (the mapper's match_keys: NPI, or names), read in one query for every entry of that type in the Bundle
# (prefetch_matches): key -> the record .first() finds, or None when there is none; the Bundle's own creates
# are added. A PUT or DELETE forgets them (context.forget_subjects), and so does a create of a type that may
# change the directory (bundle.py).
MATCHES = "Directory matches"


def npi_identifier(npi: str) -> list[dict]:
    return [{"system": NPI_SYSTEM, "value": npi}] if npi else []


def npi_of(resource: dict, path: str) -> str:
    """The NPI of the resource; an import drops one failing its check digit, an API call is told why."""
    raw = next((i.get("value", "") for i in resource.get("identifier") or [] if i.get("system") == NPI_SYSTEM), "")
    try:
        return normalize_npi(raw)
    except ValidationError as exc:
        if lenient():
            return ""
        raise FhirError(400, f"{path}: {exc.message}", expression=[path]) from exc


def npi_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (NPI_SYSTEM, value)
    return Q(npi=code) if system in (NPI_SYSTEM, "") and code else Q(pk__in=[])


def telecom_value(resource: dict, system: str) -> str:
    return next((t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == system), "")


def phone_of(resource: dict, path: str) -> str:
    raw = telecom_value(resource, "phone")
    if not raw:
        return ""
    try:
        return normalize_phone(raw)
    except PhoneError as exc:
        if lenient():
            return ""
        raise FhirError(400, f"{path}: “{raw}” is not a phone number.", expression=[path]) from exc


def telecom(phone: str, email: str = "", fax: str = "") -> list[dict]:
    found = [{"system": "phone", "value": phone, "use": "work"}] if phone else []
    if fax:
        found.append({"system": "fax", "value": fax, "use": "work"})
    if email:
        found.append({"system": "email", "value": email, "use": "work"})
    return found


def address(line: str, city: str, state: str, postal_code: str) -> list[dict]:
    if not (line or city or postal_code):
        return []
    return [
        {
            "use": "work",
            "line": [line] if line else [],
            "city": city,
            "state": state,
            "postalCode": postal_code,
            "country": "US",
        }
    ]


def address_fields(resource: dict) -> dict:
    found = (resource.get("address") or [{}])[0]
    state = str(found.get("state", "")).upper()
    return {
        "address_line": " ".join(found.get("line") or [])[:200],
        "city": found.get("city", "")[:100],
        "state": state if len(state) == 2 else "",
        "postal_code": str(found.get("postalCode", ""))[:10],
    }


def prefetch_matches(mapper, actor, resources: list[dict]) -> None:
    """
    Reads, in one query, the records of `mapper` (a directory type: its records belong to an organization,
    which a match's audit entry names) that `find_existing` would look up one by one.
    """
    if subjects() is None:
        return
    keys = set()
    for resource in resources:
        try:
            key = mapper.match_key(mapper.from_fhir(resource))
        except Exception:  # noqa: S112 - find_existing raises it again for that entry
            continue
        if key is not None:
            keys.add(key)
    memo = bundle_memo((MATCHES, mapper.resource_type, *actor_key(actor)), dict)
    missing = sorted(keys - memo.keys())
    for start in range(0, len(missing), 200):
        chunk = missing[start : start + 200]
        rows = mapper.queryset(actor).filter(mapper.match_filter(chunk)).select_related("organization")
        found: dict = {}
        for obj in rows if rows.ordered else rows.order_by("pk"):  # the order .first() takes
            keys_of = mapper.match_keys_of(obj)
            if keys_of is None:  # a record the mapper cannot key as the database compares: ask it each time
                return
            for key in keys_of:
                found.setdefault(key, obj)
        for key in chunk:
            memo[key] = found.get(key)


def known_match(mapper, actor, key) -> tuple[bool, object]:
    """(True, the record or None) when the Bundle read this key already; (False, None) when it must be queried."""
    memo = (subjects() or {}).get((MATCHES, mapper.resource_type, *actor_key(actor)))
    if key is None or memo is None or key not in memo:
        return False, None
    return True, memo[key]


def remember_match(mapper, actor, obj) -> None:
    """A record the Bundle created: the match of its keys from now on (or a query, when another one had one)."""
    memo = (subjects() or {}).get((MATCHES, mapper.resource_type, *actor_key(actor)))
    if memo is None:
        return
    keys_of = mapper.match_keys_of(obj)
    if keys_of is None:
        memo.clear()
        return
    for key in keys_of:
        if key not in memo:
            continue
        if memo[key] is None:
            memo[key] = obj
        else:
            del memo[key]  # two records with it: which one .first() finds is the database's to say


def ascii_upper(*values) -> tuple | None:
    """The values upper-cased as iexact compares them (ASCII text only: elsewhere databases differ); else None."""
    if not all(isinstance(v, str) and v.isascii() for v in values):
        return None
    return tuple(v.upper() for v in values)
