"""
Reads of insurance records. Like check-ins, a record is seen by the organization that wrote it and, for a
patient shared under consent, by the organizations the patient is shared with (records of the home
organization); every read starts from `patients_visible_to`. Payers are each organization's own directory.
"""

import datetime as dt
import uuid

from django.db.models import Case, Count, DateField, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to, readable_writers_q

from . import domain
from .choices import APPROVED_STATUSES, AppealLevel, AppealStatus, CoverageStatus, PriorAuthStatus
from .models import (
    Appeal,
    AppealDocument,
    ApplicationDocument,
    Coverage,
    EligibilityCheck,
    FundingApplication,
    Payer,
    PriorAuthorization,
    PriorAuthVisit,
)


def payers_for(actor: Actor, *, active_only: bool = True) -> QuerySet[Payer]:
    """The actor's organization's payer directory (nothing for roles that do not work with patients)."""
    if actor is None or not actor.can_see_patients:
        return Payer.objects.none()
    payers = Payer.objects.filter(organization=actor.organization).select_related("external_organization")
    return payers.filter(active=True) if active_only else payers


def payer_get(actor: Actor, public_id) -> Payer:
    return _by_key(payers_for(actor, active_only=False), public_id)


def _by_key(queryset: QuerySet, public_id):
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    record = queryset.filter(public_id=key).first()
    if record is None:
        raise NotFoundError()
    return record


def _visible(queryset: QuerySet, actor: Actor) -> QuerySet:
    """Records of patients the actor sees, by a writer the actor may read (`readable_writers_q`)."""
    return queryset.filter(patient__in=patients_visible_to(actor)).filter(readable_writers_q(actor))


def _scope(queryset: QuerySet, actor: Actor, patient: Patient) -> QuerySet:
    return _visible(queryset.filter(patient=patient), actor)


def _get(queryset: QuerySet, actor: Actor, public_id, *related: str):
    return _by_key(_visible(queryset, actor).select_related("patient", "patient__organization", *related), public_id)


# Coverages and eligibility ----------------------------------------------------------------------------------


def coverages_for_patient(actor: Actor, patient: Patient, *, include_ended: bool = True) -> QuerySet[Coverage]:
    """The patient's coverages, active ones by order (primary first), then ended ones."""
    found = _scope(Coverage.objects.all(), actor, patient).exclude(status=CoverageStatus.ENTERED_IN_ERROR)
    if not include_ended:
        found = found.filter(status=CoverageStatus.ACTIVE)
    return found.select_related("payer", "payer__external_organization")


def coverages_in_force(actor: Actor, patient: Patient, day: dt.date) -> QuerySet[Coverage]:
    """The patient's active coverages whose period includes `day`, primary first."""
    return (
        coverages_for_patient(actor, patient, include_ended=False)
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=day))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
    )


# The insurance member ID is a restricted field (RELIABILITY T15): the roles that check eligibility, book and
# bill see it; a provider and an auditor do not need it (minimum necessary, 45 CFR 164.502(b)).
MEMBER_ID_ROLES = frozenset({Role.COORDINATOR, Role.SCHEDULER, Role.SUPERVISOR, Role.ORG_ADMIN})
MEMBER_ID_HIDDEN = "restricted"


def may_see_member_id(actor: Actor | None) -> bool:
    return actor is not None and actor.has_role(*MEMBER_ID_ROLES)


def with_member_ids(actor: Actor, coverages):
    """Sets `member_id_shown` on each coverage: its member ID, or a placeholder for roles that may not see it."""
    allowed = may_see_member_id(actor)
    for coverage in coverages:
        coverage.member_id_shown = coverage.member_id if allowed or not coverage.member_id else MEMBER_ID_HIDDEN
    return coverages


def coverages_visible_to(actor: Actor) -> QuerySet[Coverage]:
    """Every coverage the actor may read (the FHIR API's search starts here)."""
    return _visible(Coverage.objects.all(), actor).select_related("patient", "payer", "payer__external_organization")


def coverage_get(actor: Actor, public_id) -> Coverage:
    return _get(Coverage.objects.all(), actor, public_id, "payer")


def eligibility_checks_for_patient(actor: Actor, patient: Patient) -> QuerySet[EligibilityCheck]:
    return _scope(EligibilityCheck.objects.all(), actor, patient).select_related(
        "coverage", "coverage__payer", "requested_by"
    )


def eligibility_get(actor: Actor, public_id) -> EligibilityCheck:
    return _get(EligibilityCheck.objects.all(), actor, public_id, "coverage", "coverage__payer")


# Prior authorizations -------------------------------------------------------------------------------------


def prior_auths_for_patient(actor: Actor, patient: Patient) -> QuerySet[PriorAuthorization]:
    return _scope(PriorAuthorization.objects.all(), actor, patient).select_related(
        "coverage", "coverage__payer", "provider"
    )


def prior_auth_get(actor: Actor, public_id) -> PriorAuthorization:
    return _get(PriorAuthorization.objects.all(), actor, public_id, "coverage", "coverage__payer", "provider")


def appeal_get(actor: Actor, public_id) -> Appeal:
    return _get(Appeal.objects.all(), actor, public_id, "authorization")


def document_get(actor: Actor, public_id) -> AppealDocument:
    return _get(AppealDocument.objects.all(), actor, public_id, "appeal")


class _AddDays(Func):
    """`date + days` as a date, in the SQL of SQLite and of PostgreSQL (a per-row number of days)."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        (day, day_params), (days, days_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"({day} + CAST({days} AS integer))", [*day_params, *days_params]

    def as_sqlite(self, compiler, connection, **extra):
        (day, day_params), (days, days_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"DATE({day}, '+' || {days} || ' days')", [*day_params, *days_params]


AWAITING_DECISION = (PriorAuthStatus.SUBMITTED, PriorAuthStatus.PENDED)
# The list's "status" filter: the statuses a coordinator works by, and those about dates coming up.
PRIOR_AUTH_LIST_FILTERS = (
    "draft",
    "pending",
    "approved",
    "denied",
    "expired",
    "appeal_due",
    "appeal_pending",
    "ending",
)
OPEN_APPEAL_STATUSES = (AppealStatus.PREPARING, AppealStatus.FILED)
# A filed appeal without the payer's decision date (Appeal.decision_due, from its acknowledgement letter) is
# followed up by an estimate: a standard pre-service appeal is decided within 30 days (29 CFR 2560.503-1(i),
# 42 CFR 422.590 for Medicare Advantage).
APPEAL_FOLLOW_UP_DAYS = 30
# The latest appeal level's fields, annotated as appeal_<name> (one subquery each, no query per row).
LATEST_APPEAL_FIELDS = ("public_id", "level", "status", "filing_deadline", "filed_on", "decision_due", "outcome_on")


def _prior_auth_filter(name: str, today: dt.date) -> Q:
    if name == "appeal_due":
        return Q(appeal_by__gte=today, appeal_by__lte=today + dt.timedelta(days=domain.APPEAL_SOON_DAYS))
    if name == "appeal_pending":
        return Q(status=PriorAuthStatus.DENIED, appeal_status__in=OPEN_APPEAL_STATUSES)
    if name == "ending":
        # approved_auths_ending's rule (the expiry job), from today on, over what the actor sees.
        until = today + dt.timedelta(days=domain.EXPIRY_ALERT_DAYS)
        return Q(status__in=APPROVED_STATUSES, end_date__gte=today, end_date__lte=until)
    statuses = {
        "draft": (PriorAuthStatus.DRAFT,),
        "pending": AWAITING_DECISION,
        "approved": APPROVED_STATUSES,
        "denied": (PriorAuthStatus.DENIED,),
        "expired": (PriorAuthStatus.EXPIRED,),
    }
    if name not in statuses:
        raise ValueError(f"Unknown prior authorization filter {name!r}.")
    return Q(status__in=statuses[name])


def _with_latest_appeal(queryset: QuerySet) -> QuerySet:
    latest = Appeal.objects.filter(authorization=OuterRef("pk")).order_by("-level", "-id")
    return queryset.annotate(
        **{f"appeal_{name}": Subquery(latest.values(name)[:1]) for name in LATEST_APPEAL_FIELDS}
    ).annotate(
        appeal_follow_up_on=Case(
            When(appeal_status=AppealStatus.FILED, appeal_decision_due__isnull=False, then=F("appeal_decision_due")),
            When(appeal_status=AppealStatus.FILED, then=_AddDays(F("appeal_filed_on"), Value(APPEAL_FOLLOW_UP_DAYS))),
            default=Value(None),
            output_field=DateField(),
        )
    )


def _appeal_by() -> Case:
    """
    The last day to file the appeal still to file: of the denial, of a level being prepared, of the next level.
    domain.appeal_deadline's rule (`days` after the decision), in SQL so the list can sort by it.
    """
    return Case(
        When(
            Q(status=PriorAuthStatus.DENIED, decided_on__isnull=False, appeal_status__isnull=True),
            then=_AddDays(F("decided_on"), F("appeal_deadline_days")),
        ),
        When(Q(status=PriorAuthStatus.DENIED, appeal_status=AppealStatus.PREPARING), then=F("appeal_filing_deadline")),
        When(
            Q(status=PriorAuthStatus.DENIED, appeal_status=AppealStatus.UPHELD, appeal_outcome_on__isnull=False)
            & Q(appeal_level__lt=AppealLevel.EXTERNAL),
            then=_AddDays(F("appeal_outcome_on"), F("appeal_deadline_days")),
        ),
        default=Value(None),
        output_field=DateField(),
    )


def prior_auths_visible_to(
    actor: Actor, *, status: str | None = None, payer: Payer | None = None, today: dt.date | None = None
) -> QuerySet[PriorAuthorization]:
    """
    Every prior authorization the actor may read, across patients, most urgent first. Each carries its latest
    appeal (`appeal_level`, `appeal_status`, `appeal_filed_on`... None without one), `appeal_by` (a denial
    with an appeal still to file: the last day to file it), `appeal_follow_up_on` (a filed appeal: its
    `appeal_decision_due` when recorded, else an estimate, APPEAL_FOLLOW_UP_DAYS after filing) and
    `action_on`, the date it is sorted by: the appeal deadline or the follow-up of a denial, the end of an
    approval, the start of a request still awaiting a decision (it is needed by then).
    Overdue follow-ups and requests stay up top; passed appeal deadlines and ends, and closed requests, come
    last (newest first).
    """
    if actor is None or not actor.can_see_patients:
        return PriorAuthorization.objects.none()
    today = today or clock.today_in(actor.organization.tz)
    found = (
        _with_latest_appeal(_visible(PriorAuthorization.objects.all(), actor))
        .annotate(appeal_by=_appeal_by())
        .annotate(
            action_on=Case(
                When(status=PriorAuthStatus.DENIED, appeal_by__gte=today, then=F("appeal_by")),
                When(status=PriorAuthStatus.DENIED, appeal_status=AppealStatus.FILED, then=F("appeal_follow_up_on")),
                When(status__in=APPROVED_STATUSES, end_date__gte=today, then=F("end_date")),
                When(status__in=(PriorAuthStatus.DRAFT, *AWAITING_DECISION), then=F("start_date")),
                default=Value(None),
                output_field=DateField(),
            )
        )
    )
    if status:
        found = found.filter(_prior_auth_filter(status, today))
    if payer is not None:
        found = found.filter(coverage__payer=payer)
    return found.select_related("patient", "patient__organization", "coverage", "coverage__payer").order_by(
        F("action_on").asc(nulls_last=True), "-start_date", "-id"
    )


# The list's "whose" filter: the actor's organization's own requests (the default: the ones it works), or every
# request it may read, which includes the patient's home organization's and, for the home organization, its
# partners' (`readable_writers_q`); those are read only here, their organization changes them.
OWN_SCOPE, ALL_SCOPE = "ours", "all"


def prior_auths_in_scope(actor: Actor, *, scope: str = OWN_SCOPE, **filters) -> QuerySet[PriorAuthorization]:
    """
    `prior_auths_visible_to(actor, **filters)`, only the actor's organization's own requests unless `scope` is
    ALL_SCOPE; each row has its `organization` loaded, so a row of another organization can say whose it is.
    """
    found = prior_auths_visible_to(actor, **filters).select_related("organization")
    return found if scope == ALL_SCOPE else found.filter(organization=actor.organization)


def prior_auths_of_others_count(actor: Actor, **filters) -> int:
    """How many of the requests the actor may read (with `filters`) another organization wrote."""
    return prior_auths_visible_to(actor, **filters).exclude(organization=actor.organization).count()


def approved_auths_ending(organization, *, until) -> QuerySet[PriorAuthorization]:
    """Approved authorizations of `organization` that end on or before `until` (the expiry job's candidates)."""
    return PriorAuthorization.objects.filter(
        organization=organization, status__in=APPROVED_STATUSES, end_date__lte=until
    ).select_related("patient", "coverage__payer")


# Funding applications ---------------------------------------------------------------------------------------


def _missing_documents() -> Prefetch:
    missing = ApplicationDocument.objects.filter(received_at=None).order_by("id")
    return Prefetch("documents", queryset=missing, to_attr="missing_documents")


def applications_for_patient(actor: Actor, patient: Patient) -> QuerySet[FundingApplication]:
    """The patient's applications, each with `missing_documents` (a list) and `document_count`."""
    found = _scope(FundingApplication.objects.all(), actor, patient)
    return found.annotate(document_count=Count("documents")).prefetch_related(_missing_documents())


def application_get(actor: Actor, public_id) -> FundingApplication:
    return _get(FundingApplication.objects.all(), actor, public_id)


def application_documents(application: FundingApplication) -> list[ApplicationDocument]:
    """An application's documents in the order they were listed, with who marked them received."""
    return list(application.documents.select_related("received_by").order_by("id"))


def application_document_get(actor: Actor, application: FundingApplication, public_id) -> ApplicationDocument:
    """One document of `application` (already read through `application_get`); NotFoundError for any other."""
    documents = ApplicationDocument.objects.filter(application=application)
    return _get(documents, actor, public_id, "application", "application__organization")


def visit_get(actor: Actor, public_id) -> PriorAuthVisit:
    return _get(PriorAuthVisit.objects.all(), actor, public_id, "authorization")
