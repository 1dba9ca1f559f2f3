"""Search pieces the Communication parts share (outreach attempts, education deliveries): both models have
`patient`, an optional `related_person` recipient and a `method`."""

from django.db.models import Q

from carecoord.interop.fhir.base import parse_id

PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"


def medium_filter(medium: dict[str, tuple[str, str]]):
    """A `medium` token search over `method`, given our method -> (ParticipationMode code, display)."""

    def build(value: str, modifier: str) -> Q:
        system, code = value.split("|", 1) if "|" in value else (PARTICIPATION_MODE, value)
        if system not in (PARTICIPATION_MODE, ""):
            return Q(pk__in=[])
        return Q(method__in=[method for method, (mode, _) in medium.items() if mode == code])

    return build


def recipient_filter(value: str, modifier: str) -> Q:
    kind, _, ident = value.rpartition("/")
    kind = modifier or kind.rsplit("/", 1)[-1]
    key = parse_id(ident)
    if key is None:
        return Q(pk__in=[])
    to_patient = Q(patient__public_id=key, related_person__isnull=True)
    to_related = Q(related_person__public_id=key)
    return {"Patient": to_patient, "RelatedPerson": to_related, "": to_patient | to_related}.get(kind, Q(pk__in=[]))


def completed_filter(value: str, modifier: str) -> Q:
    return Q() if value.split("|", 1)[-1] == "completed" else Q(pk__in=[])
