"""Practitioner <-> directory.Practitioner (US Core Practitioner 6.1.0: NPI, name)."""

from django.db.models import Q

from carecoord.directory.models import Practitioner
from carecoord.directory.selectors import practitioners_for
from carecoord.directory.services import practitioner_create, practitioner_deactivate, practitioner_update
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact
from carecoord.interop.fhir.codes import BCP47, US_CORE
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import string_filter, token_filter

from ._directory import (
    known_match,
    npi_filter,
    npi_identifier,
    npi_of,
    phone_of,
    prefetch_matches,
    remember_match,
    telecom,
    telecom_value,
)

NUCC = "http://nucc.org/provider-taxonomy"


@register
class PractitionerMapper(ResourceMapper):
    resource_type = "Practitioner"
    model = Practitioner
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-practitioner"
    search_params = {
        "name": SearchParam("name", "string", string_filter("given_name", "family_name")),
        "family": SearchParam("family", "string", string_filter("family_name")),
        "given": SearchParam("given", "string", string_filter("given_name")),
        "identifier": SearchParam("identifier", "token", npi_filter, "NPI."),
        "active": SearchParam("active", "token", token_filter("active", codes={"true": True, "false": False})),
    }
    sort_fields = {"family": "family_name", "given": "given_name"}

    def queryset(self, actor):
        return practitioners_for(actor, active_only=False)

    def patient_of(self, obj):
        return None

    def is_retired(self, obj: Practitioner) -> bool:
        return not obj.active

    def to_fhir(self, obj: Practitioner) -> dict:
        return compact(
            {
                **self.base(obj),
                "identifier": npi_identifier(obj.npi),
                "active": obj.active,
                "name": [
                    {
                        "use": "official",
                        "family": obj.family_name,
                        "given": [obj.given_name],
                        "prefix": [obj.prefix] if obj.prefix else [],
                        "suffix": [obj.suffix] if obj.suffix else [],
                    }
                ],
                "telecom": telecom(obj.phone, obj.email),
                "qualification": [
                    {
                        "code": {
                            "coding": [{"system": NUCC, "code": obj.specialty_code, "display": obj.specialty_display}]
                        }
                    }
                ]
                if obj.specialty_code
                else [],
                "communication": [{"coding": [{"system": BCP47, "code": code}]} for code in obj.languages or []],
            }
        )

    def from_fhir(self, resource: dict) -> dict:
        names = resource.get("name") or [{}]
        name = next((n for n in names if n.get("use") == "official"), names[0])
        if not name.get("family") or not name.get("given"):
            raise FhirError(400, "Practitioner.name needs a family and a given name.", expression=["Practitioner.name"])
        qualification = next(
            (
                c
                for q in resource.get("qualification") or []
                for c in (q.get("code") or {}).get("coding") or []
                if c.get("system") == NUCC
            ),
            {},
        )
        return {
            "npi": npi_of(resource, "Practitioner.identifier"),
            "prefix": " ".join(name.get("prefix") or [])[:20],
            "given_name": name["given"][0],
            "family_name": name["family"],
            "suffix": " ".join(name.get("suffix") or [])[:40],
            "specialty_code": qualification.get("code", ""),
            "specialty_display": qualification.get("display", ""),
            "languages": [
                c.get("code")
                for comm in resource.get("communication") or []
                for c in comm.get("coding") or []
                if c.get("system") == BCP47
            ],
            "phone": phone_of(resource, "Practitioner.telecom"),
            "email": telecom_value(resource, "email"),
        }

    def create(self, actor, resource: dict) -> Practitioner:
        created = practitioner_create(actor=actor, data=self.from_fhir(resource))
        remember_match(self, actor, created)
        return created

    def prefetch_existing(self, actor, resources: list[dict]) -> None:
        """What find_existing looks up for the entries of a transaction Bundle, read at once (_directory)."""
        prefetch_matches(self, actor, resources)

    def update(self, actor, obj: Practitioner, resource: dict) -> Practitioner:
        return practitioner_update(
            actor=actor, practitioner=obj, data=self.from_fhir(resource), expected_version=obj.version
        )

    def delete(self, actor, obj: Practitioner) -> None:
        practitioner_deactivate(actor=actor, practitioner=obj)

    def find_existing(self, actor, resource: dict):
        data = self.from_fhir(resource)
        found = self.queryset(actor)
        known, obj = known_match(self, actor, self.match_key(data))
        if known:
            return obj
        if data["npi"]:
            return found.filter(npi=data["npi"]).first()
        return found.filter(given_name=data["given_name"], family_name=data["family_name"], npi="").first()

    # What find_existing compares, for a Bundle's matches read at once (_directory.prefetch_matches).
    def match_key(self, data: dict) -> tuple:
        return ("npi", data["npi"]) if data["npi"] else ("name", data["given_name"], data["family_name"])

    def match_filter(self, keys: list[tuple]) -> Q:
        npis = [key[1] for key in keys if key[0] == "npi"]
        names = [key[1:] for key in keys if key[0] == "name"]
        return Q(npi__in=npis) | Q(npi="", given_name__in={g for g, _ in names}, family_name__in={f for _, f in names})

    def match_keys_of(self, obj: Practitioner) -> list[tuple]:
        return [("npi", obj.npi) if obj.npi else ("name", obj.given_name, obj.family_name)]
