"""
PractitionerRole <- directory.Practitioner (US Core PractitionerRole 6.1.0 where the data allows), read-only.
CareCoord keeps one role per directory practitioner: the practice they work for (their external
organization, or none for the organization's own staff), their NUCC specialty, the locations where they have
weekly hours, and how to reach them. Its id is the practitioner's id (ids are unique per resource type), and
its version is the practitioner's. Roles are changed by editing the practitioner.
"""

from django.db.models import Prefetch, Q

from carecoord.directory.models import Practitioner
from carecoord.directory.selectors import practitioners_for
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, reference
from carecoord.interop.fhir.codes import US_CORE
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import id_filter, reference_filter, token_filter
from carecoord.scheduling.models import PractitionerSchedule

from ._directory import telecom
from .practitioner import NUCC


def _practitioner_filter(value: str, modifier: str) -> Q:
    """The role of the practitioner named by `value`: a role's id is its practitioner's."""
    kind, _, ident = value.rpartition("/")
    if kind and kind.rsplit("/", 1)[-1] != "Practitioner":
        return Q(pk__in=[])
    return id_filter(ident, "")


def _location_filter(value: str, modifier: str) -> Q:
    locations = reference_filter("location", "Location")(value, modifier)
    return Q(pk__in=PractitionerSchedule.objects.filter(locations, active=True).values("practitioner_id"))


@register
class PractitionerRoleMapper(ResourceMapper):
    resource_type = "PractitionerRole"
    model = Practitioner
    interactions = ("read", "search-type")
    keep_history = False
    profile = f"{US_CORE}/us-core-practitionerrole"
    select_related = ("external_organization",)
    search_params = {
        "practitioner": SearchParam("practitioner", "reference", _practitioner_filter, target="Practitioner"),
        "organization": SearchParam(
            "organization",
            "reference",
            reference_filter("external_organization", "Organization"),
            target="Organization",
            include_attr="external_organization",
        ),
        "specialty": SearchParam("specialty", "token", token_filter("specialty_code", system=NUCC)),
        "location": SearchParam("location", "reference", _location_filter, target="Location"),
        "active": SearchParam("active", "token", token_filter("active", codes={"true": True, "false": False})),
    }

    def queryset(self, actor):
        active_hours = PractitionerSchedule.objects.filter(active=True).select_related("location")
        return practitioners_for(actor, active_only=False).prefetch_related(
            Prefetch("schedules", queryset=active_hours, to_attr="active_hours")
        )

    def patient_of(self, obj):
        return None

    def to_fhir(self, obj: Practitioner) -> dict:
        locations = {block.location_id: block.location for block in getattr(obj, "active_hours", [])}
        return compact(
            {
                **self.base(obj),
                "active": obj.active,
                "practitioner": reference("Practitioner", obj),
                "organization": reference("Organization", obj.external_organization),
                "specialty": [
                    {"coding": [{"system": NUCC, "code": obj.specialty_code, "display": obj.specialty_display}]}
                ]
                if obj.specialty_code
                else [],
                "location": [reference("Location", location) for location in locations.values()],
                "telecom": telecom(obj.phone, obj.email),
            }
        )
