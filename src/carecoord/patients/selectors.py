"""
Reads on the patient registry. `patients_visible_to` is the one place patient visibility is decided;
every patient-scoped read in CareCoord starts from it.
"""

import contextlib
import contextvars
import datetime as dt
import uuid

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.db.models.lookups import Exact

from carecoord.core import clock
from carecoord.core.access import Actor, failing_closed
from carecoord.core.audit import audit_denied, audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError
from carecoord.core.models import BreakGlassAccess
from carecoord.core.prepared import prepared_query

from .choices import ConsentStatus
from .domain import (
    DUPLICATE_THRESHOLD,
    DuplicateCandidate,
    PhoneError,
    duplicate_score,
    name_query_terms,
    normalize_phone,
    parse_loose_date,
)
from .models import CareTeamMember, Patient, PatientShare, RelatedPerson

SEARCH_LIMIT = 50


def patients_visible_to(actor: Actor) -> QuerySet[Patient]:
    """
    Patients of the actor's organization, plus those another organization shares with it under consent.
    A restricted record of the organization is visible only to its care team and through break-glass.
    Fails closed: an error while deciding raises AccessCheckUnavailableError (a 503), never returns data.
    """
    with failing_closed():
        if actor is None or not actor.can_see_patients:
            return Patient.objects.none()
        today = clock.today_in(actor.organization.tz)
        memo = _visible_memo.get()
        if memo is None:
            return _visible_patients(actor, today)
        now, key = clock.now(), (actor, today)
        try:
            built = memo.get(key)
        except TypeError:  # an actor that cannot be a dict key (an unsaved user): build as without the memo
            return _visible_patients(actor, today)
        if built is None or not dt.timedelta(0) <= now - built[0] < VISIBILITY_MEMO_MAX_AGE:
            built = memo[key] = (now, _visible_patients(actor, today))
        return built[1].all()  # a fresh clone: a caller evaluating or filtering it never touches the memo's


def _visible_patients(actor: Actor, today) -> QuerySet[Patient]:
    # A share lasts only while its consent does: withdrawn or expired consent ends it without a revoke.
    shared = shares_in_force(today).filter(patient=OuterRef("pk"), organization=actor.organization)
    home = Q(organization=actor.organization) & _restriction_q(actor, "pk", "", today)
    return Patient.objects.filter(home | Exists(shared), deleted_at__isnull=True)


def visible_patient_ids(actor: Actor, limit: int | None = None) -> list[int]:
    """
    The pks of `patients_visible_to(actor)` (at most `limit`), read as a UNION of the home organization's
    patients (on its organization index) and those shared with it: in the single query the share test is
    OR-ed with the organization test, so no index serves it and PostgreSQL reads every patient of every
    organization (0.2-0.6 s at 100,000 patients, for an organization of 50).
    """
    with failing_closed():
        if actor is None or not actor.can_see_patients:
            return []
        today = clock.today_in(actor.organization.tz)
        live = Patient.objects.filter(deleted_at__isnull=True).order_by()
        home = live.filter(_restriction_q(actor, "pk", "", today), organization=actor.organization)
        shared = live.filter(pk__in=shares_in_force(today).filter(organization=actor.organization).values("patient"))
        both = home.values_list("pk", flat=True).union(shared.values_list("pk", flat=True))
        return list(both if limit is None else both[:limit])


# Building the visibility query costs more Python time than running it (about 2 ms of ORM work: three EXISTS
# subqueries). Within one unit of work (a FHIR request, one transaction Bundle, an export) that calls it for the
# same actor again and again, `visibility_memo()` builds it once. Only the query is remembered, never its rows:
# every evaluation still asks the database, so a share revoked, a consent withdrawn or a care-team change made
# meanwhile is seen at once. The break-glass clock it compares with is at most VISIBILITY_MEMO_MAX_AGE old.
_visible_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("patients_visible_memo", default=None)
VISIBILITY_MEMO_MAX_AGE = dt.timedelta(seconds=1)


@contextlib.contextmanager
def visibility_memo():
    """Within the block, `patients_visible_to` builds its query once per actor and day (see above)."""
    if _visible_memo.get() is not None:  # already inside one: share it
        yield
        return
    token = _visible_memo.set({})
    try:
        yield
    finally:
        _visible_memo.reset(token)


@contextlib.contextmanager
def visibility_narrowed(actor: Actor, ids: list[int] | None):
    """
    Within the block, `patients_visible_to(actor)` is the visibility query also limited to `ids`, which must be
    every patient visible to the actor, just read (`visible_patient_ids`): for a bulk export building many
    querysets over the same few patients. Each then finds the visible patients among those ids by primary
    key instead of testing the rule on every patient of the database (SQLite scanned all of them for each
    query: 60-110 ms a query at 100,000 patients). The rule stays in the query, so the narrowing can only
    leave a patient out, never add one. The block has a memo of its own holding only this entry: the memo of
    an enclosing block (a request's) never sees the narrowed query. Nothing is narrowed without ids.
    """
    today = clock.today_in(actor.organization.tz) if actor is not None else None
    try:
        key = (actor, today)
        hash(key)
    except TypeError:  # an actor that cannot be a memo key (an unsaved user): the memo builds as it would
        ids = None
    if not ids:
        yield
        return
    token = _visible_memo.set({key: (clock.now(), patients_visible_to(actor).filter(pk__in=ids))})
    try:
        yield
    finally:
        _visible_memo.reset(token)


def _restriction_q(actor: Actor, pk_ref: str, prefix: str, today) -> Q:
    """A home-organization patient is visible unless restricted; then to its current care team and break-glass."""
    if actor.user is None:  # a job or feed acting for the organization (no person reads)
        return Q()
    team = CareTeamMember.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        patient=OuterRef(pk_ref),
        user=actor.user,
        start_date__lte=today,
    )
    glass = BreakGlassAccess.objects.filter(
        patient_pk=OuterRef(pk_ref), user=actor.user, organization=actor.organization, expires_at__gt=clock.now()
    )
    return Q(**{f"{prefix}restricted": False}) | Exists(team) | Exists(glass)


def visible_patient_q(actor: Actor, field: str = "patient") -> Q:
    """
    The same rule as `patients_visible_to`, as a filter on a patient-scoped model's `field`, evaluated row
    by row: the patient belongs to the actor's organization, or is shared with it under consent in force.
    Large lists (the worklist, calendars) filter this way instead of `patient__in=<every visible patient>`.
    """
    with failing_closed():
        if actor is None or not actor.can_see_patients:
            return Q(pk__in=[])
        today = clock.today_in(actor.organization.tz)
        shared = shares_in_force(today).filter(patient=OuterRef(f"{field}_id"), organization=actor.organization)
        home = Q(**{f"{field}__organization": actor.organization}) & _restriction_q(
            actor, f"{field}_id", f"{field}__", today
        )
        visible = home | Q(Exists(shared))
        return visible & Q(**{f"{field}__deleted_at__isnull": True})


# Who reads a shared patient's records (docs/security.md, "A shared patient's records"). A partner the patient is
# shared with reads what its own organization and the patient's home organization wrote, never a third
# organization's; the home organization reads what every partner wrote about its patient (the work done for
# it reports back: coordination for treatment, 45 CFR 164.506(c)). These say who wrote a record that may be read;
# whether the patient may be seen at all is still `patients_visible_to`'s question, asked first. Changing a record
# stays with the organization that wrote it.
def readable_writers_q(actor: Actor, patient: Patient | None = None, *, writer: str = "organization") -> Q:
    """
    The rule above as a filter on a patient-scoped model whose `writer` field is the writing organization: for one
    patient when `patient` is given (no join), else row by row through the row's patient.
    """
    own = actor.organization.pk
    if patient is not None:
        if patient.organization_id == own:
            return Q()
        return Q(**{f"{writer}_id__in": (own, patient.organization_id)})
    home = F("patient__organization")
    return Q(**{f"{writer}_id": own}) | Q(**{f"{writer}_id": home}) | Q(patient__organization_id=own)


def may_read_record(actor: Actor, writer_id: int, home_id: int) -> bool:
    """The rule above for one record: written by `writer_id` about a patient of `home_id`."""
    return actor.organization.pk in (writer_id, home_id) or writer_id == home_id


def shares_in_force(today) -> QuerySet[PatientShare]:
    """Shares not revoked whose consent is active and unexpired on `today`."""
    return PatientShare.objects.filter(
        Q(consent__expires_on__isnull=True) | Q(consent__expires_on__gte=today),
        revoked_at__isnull=True,
        consent__status=ConsentStatus.ACTIVE,
    )


def patients_shared_with(organization) -> QuerySet[Patient]:
    """
    Another organization's patients shared with this organization by a share in force today (in its zone),
    whatever the role reading: the organization-level half of `patients_visible_to`, for its audit log.
    """
    today = clock.today_in(organization.tz)
    shared = shares_in_force(today).filter(patient=OuterRef("pk"), organization=organization)
    return Patient.objects.filter(Exists(shared), deleted_at__isnull=True).exclude(organization=organization)


def patient_get(actor: Actor, public_id, *, audit_event: str | None = "patient.view") -> Patient:
    """The patient if the actor may see them; NotFoundError otherwise (missing and forbidden look alike)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        _audit_denied(actor, public_id)  # probing with malformed ids is recorded like any other miss
        raise NotFoundError() from exc
    patient = _visible_patient(actor, key)
    if patient is None:
        _audit_denied(actor, key)
        raise NotFoundError()
    if audit_event:
        audit_record(actor=actor, event=audit_event, action=AuditAction.READ, target=patient, patient=patient)
    return patient


# A UUID no patient has, standing where the requested id goes in the compiled statement (core.prepared).
_PUBLIC_ID_SENTINEL = uuid.UUID("9a7e9a7e-0000-4000-8000-9a7e9a7e9a7e")


def _visible_patient(actor: Actor, key: uuid.UUID) -> Patient | None:
    """
    `patients_visible_to(actor)` filtered to one public id, with its organization: nearly every patient page,
    service and FHIR write starts here, and building the visibility query costs several times more Python time
    than running it. So its SQL is compiled once per connection, actor and day (core.prepared) and run with the
    id and the clock of each call: every call still asks the database (a revoked share, an ended care team or
    break-glass window are seen at once). Inside `failing_closed()`, like building the query, so an access
    fault still refuses the request.
    """
    with failing_closed():
        if actor is None or not actor.can_see_patients:
            return None
        remembered = _remembered.get()
        if remembered is not None and (patient := remembered.get((key, *actor_key(actor)))) is not None:
            return patient
        statement = prepared_query(
            ("patients.patient_get", actor, clock.today_in(actor.organization.tz)),
            lambda: patients_visible_to(actor).select_related("organization").filter(public_id=_PUBLIC_ID_SENTINEL)[:1],
            {"public_id": _PUBLIC_ID_SENTINEL},
        )
    if statement is None:
        patient = patients_visible_to(actor).select_related("organization").filter(public_id=key).first()
    else:
        patient = statement.first(public_id=key)
    if remembered is not None and patient is not None:
        remembered[(key, *actor_key(actor))] = patient
    return patient


# Inside one transaction Bundle (interop.fhir.context.subject_cache) its entries name the same few patients
# again and again, and every service re-checks the patient it is given (condition_add, careplan_create: 250
# reads in an import of 48 patients). Visibility cannot change inside that transaction except through a PUT
# or DELETE, which empties the store; so within `visible_patients_remembered(store)` a patient found visible
# to an actor is answered from `store` for that actor (its organization, user and roles) until then.
_remembered: contextvars.ContextVar[dict | None] = contextvars.ContextVar("patients_remembered", default=None)


@contextlib.contextmanager
def visible_patients_remembered(store: dict):
    token = _remembered.set(store)
    try:
        yield
    finally:
        _remembered.reset(token)


def actor_key(actor: Actor) -> tuple:
    """What an access decision remembered for an actor depends on: its organization, user and roles."""
    return (actor.organization.pk, getattr(actor.user, "pk", None), actor.roles)


def _audit_denied(actor: Actor, key) -> None:
    """Records an attempt to open a patient the actor may not see (or that does not exist)."""
    if actor is None:
        return
    audit_denied(actor=actor, event="patient.view", detail={"requested": str(key)[:64]})


def patient_search(actor: Actor, query: str) -> QuerySet[Patient]:
    """
    Finds patients by name (word prefixes in any order: "jo smi" finds Smith, John), by date of birth
    (1948-03-07 or 03/07/1948), by MRN (exact) or by phone (any format).
    """
    patients = patients_visible_to(actor).select_related("organization")
    query = (query or "").strip()
    if not query:
        return patients.order_by("sort_name", "id")
    birth_date = parse_loose_date(query)
    if birth_date:
        return patients.filter(birth_date=birth_date).order_by("sort_name", "id")
    return patients.filter(_search_match(query)).order_by("sort_name", "id")


def _search_match(query: str) -> Q:
    """
    Only the lookups this kind of query can match, each on its own index (patients migration 0003): OR-ing
    every kind made each search scan the whole table. Names hold no digits, so a query with a digit is an MRN
    (exact, any case) or a phone; one without is name prefixes, or an MRN when it is a single word.
    """
    mrn = Q(Exact(Upper("mrn"), Upper(Value(query))))
    if any(ch.isdigit() for ch in query):
        phone = _as_phone(query)
        return mrn | Q(phone_primary=phone) | Q(phone_secondary=phone) if phone else mrn
    terms = name_query_terms(query)[:5]
    if not terms:
        return mrn
    names = _name_prefix_match(terms)
    return names | mrn if len(query.split()) == 1 else names


def _name_prefix_match(terms: list[str]) -> Q:
    """Patients with a name word starting with each term: FTS5 prefix query on SQLite, trigram LIKE elsewhere."""
    if connection.vendor == "sqlite":
        match = " AND ".join(f'"{term}"*' for term in terms)  # fold() leaves letters, digits and marks only
        return Q(pk__in=RawSQL(NAME_FTS_SQL, (match,)))  # noqa: S611 -- constant SQL; the match is a parameter
    names = Q()
    for term in terms:
        names &= Q(search_name__contains=f" {term}")
    return names


NAME_FTS_SQL = "SELECT rowid FROM patients_patient_name_fts WHERE patients_patient_name_fts MATCH %s"


def _as_phone(query: str) -> str:
    digits = sum(ch.isdigit() for ch in query)
    if digits < 7 or any(ch.isalpha() for ch in query):
        return ""
    try:
        return normalize_phone(query)
    except PhoneError:
        return ""


def duplicate_candidates(actor: Actor, *, given_name: str, family_name: str, birth_date) -> list[Patient]:
    """Patients in the actor's organization who are likely the same person as a new registration."""
    years = (birth_date.year - 1, birth_date.year, birth_date.year + 1)
    pool = Patient.objects.filter(organization=actor.organization).filter(
        Q(birth_date__year__in=years) | Q(family_name__iexact=family_name.strip())
    )
    scored = []
    for patient in pool.only("public_id", "given_name", "family_name", "preferred_name", "birth_date", "mrn"):
        names = [patient.given_name] + ([patient.preferred_name] if patient.preferred_name else [])
        score = max(
            duplicate_score(
                given_name, family_name, birth_date, DuplicateCandidate(name, patient.family_name, patient.birth_date)
            )
            for name in names
        )
        if score >= DUPLICATE_THRESHOLD:
            scored.append((score, patient))
    scored.sort(key=lambda pair: -pair[0])
    return [patient for _, patient in scored[:5]]


def chart_for(actor: Actor, patient: Patient) -> dict:
    """Everything the chart's summary panels show, each a bounded query."""
    return {
        "identifiers": list(patient.identifiers.all()),
        "related_persons": list(patient.related_persons.filter(active=True)),
        "care_team": list(
            patient.care_team.select_related("user", "practitioner", "related_person").order_by("role", "start_date")
        ),
        "conditions": list(patient.conditions.exclude(verification_status="entered-in-error")),
        "consents": list(patient.consents.select_related("grantee").all()),
        "shares": list(
            shares_in_force(clock.today_in(actor.organization.tz))
            .filter(patient=patient)
            .select_related("organization", "consent")
        ),
    }


def related_persons_for(actor: Actor, patient_id, *, include_inactive: bool = False) -> tuple[Patient, list]:
    """
    A patient's family members, caregivers and proxies (proxies first), the patient looked up for the actor
    (NotFoundError if they may not see them) and the read audited as `related_person.list`.
    """
    patient = patient_get(actor, patient_id, audit_event=None)
    people = patient.related_persons.all() if include_inactive else patient.related_persons.filter(active=True)
    people = list(people)
    audit_record(
        actor=actor,
        event="related_person.list",
        action=AuditAction.READ,
        target=patient,
        patient=patient,
        detail={"shown": len(people)},
    )
    return patient, people


def related_person_get(actor: Actor, patient: Patient, person_id) -> RelatedPerson:
    """One related person of a patient the actor sees (patient_get first); NotFoundError otherwise."""
    try:
        key = uuid.UUID(str(person_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    person = RelatedPerson.objects.filter(patient=patient, public_id=key).select_related("patient__organization")
    found = person.first()
    if found is None:
        raise NotFoundError()
    return found


def care_team_choices(actor: Actor, patient: Patient) -> dict:
    """Who can be put on this patient's care team: staff, directory practitioners, the patient's family."""
    from carecoord.core.models import User
    from carecoord.directory.models import Practitioner

    orgs = {actor.organization.pk, patient.organization_id}
    return {
        "staff": User.objects.filter(memberships__organization__in=orgs, memberships__active=True, is_active=True)
        .distinct()
        .order_by("full_name"),
        "practitioners": Practitioner.objects.filter(organization__in=orgs, active=True).order_by(
            "family_name", "given_name"
        ),
        "related_persons": patient.related_persons.filter(active=True),
    }


def share_target_organizations(actor: Actor):
    """Organizations a patient can be shared with: every other active organization on this installation."""
    from carecoord.core.models import Organization

    return Organization.objects.filter(active=True).exclude(pk=actor.organization.pk).order_by("name")


def banner_for(actor: Actor, patient: Patient) -> dict:
    """
    What the patient banner shows about a patient the page already read through the access checks (and audited):
    age today, whether the record is shared with the actor's organization, the health care proxies. One query.
    """
    return {
        "patient": patient,
        "age": patient.age_on(clock.today_in(actor.organization.tz)),
        "is_home_org": patient.organization_id == actor.organization.pk,
        "related_persons": list(patient.related_persons.filter(active=True, is_health_care_proxy=True)),
    }
