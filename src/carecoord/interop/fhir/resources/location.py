"""Location <-> directory.Location (US Core Location 6.1.0: name, address, managing organization)."""

from carecoord.directory.models import Location
from carecoord.directory.selectors import external_organization_get, locations_for
from carecoord.directory.services import location_create, location_update
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, reference, referenced_id
from carecoord.interop.fhir.codes import US_CORE
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import reference_filter, string_filter

from ._directory import address, address_fields, phone_of, telecom


@register
class LocationMapper(ResourceMapper):
    resource_type = "Location"
    model = Location
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-location"
    search_params = {
        "name": SearchParam("name", "string", string_filter("name")),
        "address-city": SearchParam("address-city", "string", string_filter("city")),
        "address-postalcode": SearchParam("address-postalcode", "string", string_filter("postal_code")),
        "organization": SearchParam(
            "organization",
            "reference",
            reference_filter("external_organization", "Organization"),
            target="Organization",
            include_attr="external_organization",
        ),
    }
    sort_fields = {"name": "name"}

    def queryset(self, actor):
        return locations_for(actor, active_only=False)

    def patient_of(self, obj):
        return None

    def is_retired(self, obj: Location) -> bool:
        return not obj.active

    def to_fhir(self, obj: Location) -> dict:
        return compact(
            {
                **self.base(obj),
                "status": "active" if obj.active else "inactive",
                "name": obj.name,
                "telecom": telecom(obj.phone),
                "address": (address(obj.address_line, obj.city, obj.state, obj.postal_code) or [None])[0],
                "managingOrganization": reference("Organization", obj.external_organization),
            }
        )

    def from_fhir(self, actor, resource: dict) -> dict:
        if not resource.get("name"):
            raise FhirError(400, "Location.name is required.", expression=["Location.name"])
        fields = address_fields({"address": [resource.get("address") or {}]})
        key = referenced_id(resource.get("managingOrganization"), "Organization", path="Location.managingOrganization")
        return {
            "name": resource["name"][:200],
            "phone": phone_of(resource, "Location.telecom"),
            "active": resource.get("status", "active") == "active",
            "external_organization": external_organization_get(actor, key) if key else None,
            **fields,
        }

    def create(self, actor, resource: dict) -> Location:
        return location_create(actor=actor, data=self.from_fhir(actor, resource))

    def update(self, actor, obj: Location, resource: dict) -> Location:
        return location_update(
            actor=actor, location=obj, data=self.from_fhir(actor, resource), expected_version=obj.version
        )

    def delete(self, actor, obj: Location) -> None:
        location_update(actor=actor, location=obj, data={"active": False}, expected_version=obj.version)
