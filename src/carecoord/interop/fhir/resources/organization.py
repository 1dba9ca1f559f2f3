"""Organization <-> directory.ExternalOrganization (US Core Organization 6.1.0: name, NPI, address)."""

from django.db.models import Q

from carecoord.directory.models import ExternalOrganization, ExternalOrganizationKind
from carecoord.directory.selectors import external_organizations_for
from carecoord.directory.services import external_organization_create, external_organization_update
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact
from carecoord.interop.fhir.codes import US_CORE, coding
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import string_filter, token_filter

from ._directory import (
    address,
    address_fields,
    ascii_upper,
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

ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
# Our kinds as FHIR organization-type codes (prov = healthcare provider, ins = insurer, govt, cg = community group).
KIND_TO_TYPE = {
    ExternalOrganizationKind.PAYER: "ins",
    ExternalOrganizationKind.GOVERNMENT: "govt",
    ExternalOrganizationKind.COMMUNITY: "cg",
    ExternalOrganizationKind.OTHER: "other",
}


@register
class OrganizationMapper(ResourceMapper):
    resource_type = "Organization"
    model = ExternalOrganization
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-organization"
    search_params = {
        "name": SearchParam("name", "string", string_filter("name")),
        "identifier": SearchParam("identifier", "token", lambda value, modifier: _identifier(value)),
        "address-city": SearchParam("address-city", "string", string_filter("city")),
        "active": SearchParam("active", "token", token_filter("active", codes={"true": True, "false": False})),
    }
    sort_fields = {"name": "name"}

    def queryset(self, actor):
        return external_organizations_for(actor, active_only=False)

    def patient_of(self, obj):
        return None

    def is_retired(self, obj: ExternalOrganization) -> bool:
        return not obj.active

    def to_fhir(self, obj: ExternalOrganization) -> dict:
        return compact(
            {
                **self.base(obj),
                "identifier": npi_identifier(obj.npi),
                "active": obj.active,
                "type": [
                    {
                        "coding": [coding(ORG_TYPE, KIND_TO_TYPE.get(obj.kind, "prov"))],
                        "text": choice_label(obj, "kind"),
                    }
                ],
                "name": obj.name,
                "telecom": telecom(obj.phone, obj.email, obj.fax),
                "address": address(obj.address_line, obj.city, obj.state, obj.postal_code),
            }
        )

    def from_fhir(self, resource: dict) -> dict:
        if not resource.get("name"):
            raise FhirError(400, "Organization.name is required.", expression=["Organization.name"])
        types = {c.get("code") for t in resource.get("type") or [] for c in t.get("coding") or []}
        kind = next(
            (k for k, code in KIND_TO_TYPE.items() if code in types),
            ExternalOrganizationKind.HOSPITAL if "prov" in types or not types else ExternalOrganizationKind.OTHER,
        )
        return {
            "name": resource["name"][:200],
            "kind": kind,
            "npi": npi_of(resource, "Organization.identifier"),
            "phone": phone_of(resource, "Organization.telecom"),
            "email": telecom_value(resource, "email"),
            "active": resource.get("active", True),
            **address_fields(resource),
        }

    def create(self, actor, resource: dict) -> ExternalOrganization:
        created = external_organization_create(actor=actor, data=self.from_fhir(resource))
        remember_match(self, actor, created)
        return created

    def prefetch_existing(self, actor, resources: list[dict]) -> None:
        """What find_existing looks up for the entries of a transaction Bundle, read at once (_directory)."""
        prefetch_matches(self, actor, resources)

    def update(self, actor, obj: ExternalOrganization, resource: dict) -> ExternalOrganization:
        return external_organization_update(
            actor=actor, organization=obj, data=self.from_fhir(resource), expected_version=obj.version
        )

    def delete(self, actor, obj: ExternalOrganization) -> None:
        external_organization_update(
            actor=actor, organization=obj, data={"active": False}, expected_version=obj.version
        )

    def find_existing(self, actor, resource: dict):
        data = self.from_fhir(resource)
        found = self.queryset(actor)
        known, obj = known_match(self, actor, self.match_key(data))
        if known:
            return obj
        if data["npi"]:
            return found.filter(npi=data["npi"]).first()
        return found.filter(name__iexact=data["name"], city__iexact=data["city"]).first()

    # What find_existing compares, for a Bundle's matches read at once (_directory.prefetch_matches); names
    # and cities case-insensitively, as iexact, where that is the same in Python and the database (ASCII).
    def match_key(self, data: dict) -> tuple | None:
        if data["npi"]:
            return ("npi", data["npi"])
        names = ascii_upper(data["name"], data["city"])
        return ("name", *names) if names else None

    def match_filter(self, keys: list[tuple]) -> Q:
        match = Q(npi__in=[key[1] for key in keys if key[0] == "npi"])
        for _, name, city in (key for key in keys if key[0] == "name"):
            match |= Q(name__iexact=name, city__iexact=city)
        return match

    def match_keys_of(self, obj: ExternalOrganization) -> list[tuple] | None:
        names = ascii_upper(obj.name, obj.city)
        if names is None:
            return None
        return [*([("npi", obj.npi)] if obj.npi else []), ("name", *names)]


def _identifier(value: str) -> Q:
    return npi_filter(value, "")
