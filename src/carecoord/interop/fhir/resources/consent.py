"""
Consent (read and search only) <- patients.Consent. No US Core profile exists for Consent.

status and scope: FHIR R4 codes verbatim; category: LOINC 59284-0 (consent document); dateTime: the day it
was signed; performer: who signed, by name (display only); organization: the patient's home organization;
policyRule: v3-ActCode OPTIN; provision: permit for the consent's period (signed -> expires), with the
organization it allows sharing with as the information recipient (a CareCoord organization: identifier
urn:carecoord:organization|<slug> and name). How it was given (signed form, verbal...) and who recorded it
are not shown. Consents are recorded in CareCoord's pages, where sharing is granted with them.
"""

from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, reference
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter, token_filter
from carecoord.patients.models import Consent
from carecoord.patients.selectors import patients_visible_to

from ._care import carecoord_system

SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
STATUS = "http://hl7.org/fhir/consent-state-codes"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ORGANIZATION_SYSTEM = carecoord_system("organization")


@register
class ConsentMapper(ResourceMapper):
    resource_type = "Consent"
    model = Consent
    interactions = ("read", "vread", "search-type", "history-instance", "history-type")
    select_related = ("patient", "organization", "grantee")
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "status": SearchParam("status", "token", token_filter("status", system=STATUS)),
        "scope": SearchParam("scope", "token", token_filter("scope", system=SCOPE)),
        "date": SearchParam("date", "date", date_filter("signed_on", is_date=True), "The day it was signed."),
    }
    sort_fields = {"date": "signed_on"}

    def queryset(self, actor):
        return Consent.objects.filter(patient__in=patients_visible_to(actor))

    def to_fhir(self, obj: Consent) -> dict:
        grantee = obj.grantee
        return compact(
            {
                **self.base(obj),
                "status": obj.status,
                "scope": {"coding": [coding(SCOPE, obj.scope)], "text": choice_label(obj, "scope")},
                "category": [{"coding": [coding(LOINC, "59284-0", "Consent Document")]}],
                "patient": reference("Patient", obj.patient),
                "dateTime": obj.signed_on.isoformat(),
                "performer": [{"display": obj.signed_by}] if obj.signed_by else [],
                "organization": [{"display": obj.organization.name}],
                "policyRule": {"coding": [coding(ACT_CODE, "OPTIN", "opt-in")]},
                "provision": {
                    "type": "permit",
                    "period": {
                        "start": obj.signed_on.isoformat(),
                        "end": obj.expires_on.isoformat() if obj.expires_on else None,
                    },
                    "actor": [
                        {
                            "role": {"coding": [coding(PARTICIPATION, "IRCP", "information recipient")]},
                            "reference": {
                                "identifier": {"system": ORGANIZATION_SYSTEM, "value": grantee.slug},
                                "display": grantee.name,
                            },
                        }
                    ]
                    if grantee
                    else [],
                },
            }
        )
