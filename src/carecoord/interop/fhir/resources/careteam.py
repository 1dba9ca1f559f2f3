"""
CareTeam (read and search only) <- a patient's patients.CareTeamMember rows (US Core CareTeam 6.1.0).

One virtual CareTeam per patient who has at least one member: its id is the patient's id (CareTeam/<id> and
Patient/<id> name the same person's team and record), meta.versionId is the sum of the member rows' versions
(each member added or changed adds one, so it only grows), meta.lastUpdated the latest change to a member.
No version history is kept (no vread/_history): write the team through CareCoord's pages.
status: active while a member's period includes today (the organization's day), else inactive.
participant: one per member row, with role (SNOMED CT where our role has a code, else text), member
(Practitioner or RelatedPerson reference; a staff user by our user id and name) and period. The member's
note is not shown.
"""

import datetime as dt

from django.db.models import Count, Max, Prefetch, Q, Sum

from carecoord.core import clock
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, instant, parse_id, reference
from carecoord.interop.fhir.codes import US_CORE, coding
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter
from carecoord.patients.choices import CareTeamRole
from carecoord.patients.models import CareTeamMember, Patient
from carecoord.patients.selectors import patients_visible_to

from ._care import user_reference

SNOMED = "http://snomed.info/sct"
# Our roles with a SNOMED CT code (US Core Care Team Member Function); the others travel as text only.
ROLE_CODES = {
    CareTeamRole.PRIMARY_CARE: ("453231000124104", "Primary care provider"),
    CareTeamRole.NURSE: ("106292003", "Professional nurse"),
    CareTeamRole.SOCIAL_WORKER: ("106328005", "Social worker"),
    CareTeamRole.PHARMACIST: ("46255001", "Pharmacist"),
    CareTeamRole.CAREGIVER: ("133932002", "Caregiver"),
}


def _current(day: dt.date) -> Q:
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def _status_filter(value: str, modifier: str, *, tz: dt.tzinfo = dt.UTC) -> Q:
    if modifier not in ("", "not"):
        raise FhirError(400, f"The modifier :{modifier} is not supported on a token parameter.")
    system, code = value.split("|", 1) if "|" in value else (None, value)
    if system not in (None, "", "http://hl7.org/fhir/care-team-status"):
        return Q(pk__in=[])
    current = CareTeamMember.objects.filter(_current(clock.today_in(tz))).values("patient_id")
    query = {"active": Q(pk__in=current), "inactive": ~Q(pk__in=current)}.get(code, Q(pk__in=[]))
    return ~query if modifier == "not" else query


_status_filter.needs_tz = True  # type: ignore[attr-defined]


def _self_filter(value: str, modifier: str) -> Q:
    """patient=Patient/<id>: the team's id is the patient's."""
    if modifier and modifier != "Patient":
        return Q(pk__in=[])
    kind, _, ident = value.rpartition("/")
    if kind and kind.rsplit("/", 1)[-1] != "Patient":
        return Q(pk__in=[])
    key = parse_id(ident)
    return Q(public_id=key) if key else Q(pk__in=[])


@register
class CareTeamMapper(ResourceMapper):
    resource_type = "CareTeam"
    model = Patient  # the team is read off the patient; keep_history=False keeps Patient saves out of it
    interactions = ("read", "search-type")
    keep_history = False
    profile = f"{US_CORE}/us-core-careteam"
    select_related = ("organization",)
    search_params = {
        "patient": SearchParam("patient", "reference", _self_filter, target="Patient"),
        "subject": SearchParam("subject", "reference", _self_filter, target="Patient"),
        "status": SearchParam("status", "token", _status_filter, "active (a member is current today) or inactive."),
        "_lastUpdated": SearchParam("_lastUpdated", "date", date_filter("team_updated"), "The latest member change."),
    }
    sort_fields = {"_lastUpdated": "team_updated"}

    def queryset(self, actor):
        return (
            patients_visible_to(actor)
            .annotate(
                team_size=Count("care_team"),
                team_version=Sum("care_team__version"),
                team_updated=Max("care_team__updated_at"),
            )
            .filter(team_size__gt=0)
        )

    def read_queryset(self, actor):
        members = CareTeamMember.objects.select_related("user", "practitioner", "related_person").order_by(
            "role", "start_date", "id"
        )
        return super().read_queryset(actor).prefetch_related(Prefetch("care_team", queryset=members))

    def patient_of(self, obj: Patient) -> Patient:
        return obj

    def meta(self, obj: Patient) -> dict:
        members = list(obj.care_team.all())
        version = getattr(obj, "team_version", None) or sum(m.version for m in members)
        updated = getattr(obj, "team_updated", None) or max(m.updated_at for m in members)
        return {"versionId": str(version), "lastUpdated": instant(updated), "profile": [self.profile]}

    def to_fhir(self, obj: Patient) -> dict:
        today = clock.today_in(obj.organization.tz)
        members = list(obj.care_team.all())
        return compact(
            {
                **self.base(obj),
                "status": "active" if any(m.is_current(today) for m in members) else "inactive",
                "name": f"Care team of {obj.full_legal_name}",
                "subject": reference("Patient", obj),
                "participant": [self._participant(m) for m in members],
                "managingOrganization": [{"display": obj.organization.name}],
            }
        )

    def _participant(self, member: CareTeamMember) -> dict:
        code = ROLE_CODES.get(member.role)
        role = {"coding": [coding(SNOMED, *code)] if code else [], "text": choice_label(member, "role")}
        if member.user_id:
            who = user_reference(member.user)
        elif member.practitioner_id:
            who = reference("Practitioner", member.practitioner)
        else:
            who = reference("RelatedPerson", member.related_person)
        return {
            "role": [role],
            "member": who,
            "period": {
                "start": member.start_date.isoformat(),
                "end": member.end_date.isoformat() if member.end_date else None,
            },
        }
