"""
The tenant-isolation suite: every URL of the application that names a record is tried with organization
A's records by a user of organization B (and with no sign-in). Each must answer 404 (or 405 for a method
the URL does not take), show none of A's data, and change nothing. A new URL that takes an id nobody
mapped here makes `test_every_url_with_an_id_is_in_the_matrix` fail until it is added.
"""

import datetime as dt
import importlib
import json
import pkgutil

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from carecoord.careplans.models import CarePlan, CarePlanTemplate, Goal, Task, TemplateGoal, TemplateTask
from carecoord.checkins.models import (
    Assessment,
    CareManagementEnrollment,
    CheckinCadence,
    Measurement,
    NoteAddendum,
    OutreachAttempt,
    ProgressNote,
    TherapyPlan,
    TimeEntry,
)
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from carecoord.interop.fhir.models import ExportJob
from carecoord.messaging.models import OutboxMessage
from carecoord.patients.models import CareTeamMember, Condition, Consent, Patient, PatientShare, RelatedPerson
from carecoord.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    CalendarFeed,
    ClosedDate,
    PractitionerSchedule,
    PractitionerUnavailability,
    VisitPlan,
    WaitlistEntry,
)

from . import isolation_worlds
from .conftest import signed_in_client
from .factories import (
    ConditionFactory,
    ExternalOrganizationFactory,
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    RelatedPersonFactory,
    make_actor,
)


def walk(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.pattern.converters


def url_patterns_with_ids():
    return [(name, route, list(conv)) for name, route, conv in walk(get_resolver().url_patterns) if conv]


@pytest.fixture
def world(db):
    """Organization A with a full patient record; B unrelated; C a coordination org A shares with."""
    a_org = OrganizationFactory(name="Alpha Clinic", slug="alpha")
    b_org = OrganizationFactory(name="Beta Clinic", slug="beta")
    c_org = OrganizationFactory(name="Gamma Coordination", slug="gamma", kind="coordination_organization")
    a = make_actor(a_org, Role.COORDINATOR, Role.ORG_ADMIN)
    patient = PatientFactory(organization=a_org, given_name="Zebulon", family_name="Quixotic", mrn="ALPHA-7731",
                             birth_date=dt.date(1951, 2, 3), phone_primary="+13125550177")  # fmt: skip
    person = RelatedPersonFactory(patient=patient, given_name="Philippa", family_name="Quixotic")
    practitioner = PractitionerFactory(organization=a_org, given_name="Ozymandias", family_name="Varga")
    member = CareTeamMember.objects.create(organization=a_org, patient=patient, role="primary_care",
                                           practitioner=practitioner, start_date=dt.date(2024, 1, 1))  # fmt: skip
    condition = ConditionFactory(patient=patient)
    consent = Consent.objects.create(organization=a_org, patient=patient, grantee=c_org, signed_on=dt.date(2025, 1, 2),
                                     signed_by="Zebulon Quixotic", method="form", recorded_by=a.user)  # fmt: skip
    share = PatientShare.objects.create(patient=patient, organization=c_org, consent=consent, granted_by=a.user)
    ext = ExternalOrganizationFactory(organization=a_org, name="Alpha Secret Pharmacy")
    location = LocationFactory(organization=a_org, name="Alpha Hidden Annex")
    careplan = CarePlan.objects.create(organization=a_org, patient=patient, title="Alpha plan", category="chronic",
                                       status="draft", start_date=dt.date(2026, 1, 5), author=a.user)  # fmt: skip
    goal = Goal.objects.create(organization=a_org, patient=patient, careplan=careplan, description="Alpha goal",
                               start_date=dt.date(2026, 1, 5))  # fmt: skip
    task = Task.objects.create(organization=a_org, patient=patient, careplan=careplan, kind="call",
                               title="Alpha call", owner=a.user, due_date=dt.date(2026, 1, 9))  # fmt: skip
    template = CarePlanTemplate.objects.create(organization=a_org, key="alpha", title="Alpha tpl", category="other")
    template_goal = TemplateGoal.objects.create(template=template, description="Alpha template goal")
    template_task = TemplateTask.objects.create(template=template, goal=template_goal, title="Alpha ttask", kind="call")
    scheduling = scheduling_world(a, patient, practitioner, location)
    checkins = checkins_world(a, patient, goal, practitioner)
    message = OutboxMessage.objects.create(organization=a_org, patient=patient, channel="sms",
                                           to_address="+13125550177", body="Alpha reminder text")  # fmt: skip
    world = {
        **scheduling,
        **checkins,
        "template": template, "template_goal": template_goal, "template_task": template_task,
        "a": a, "b": make_actor(b_org, Role.COORDINATOR, Role.ORG_ADMIN, Role.AUDITOR),
        "c": make_actor(c_org, Role.COORDINATOR), "patient": patient, "person": person, "member": member,
        "condition": condition, "share": share, "practitioner": practitioner, "ext": ext, "location": location,
        "careplan": careplan, "goal": goal, "task": task, "message": message,
    }  # fmt: skip
    world["export_job"] = ExportJob.objects.create(
        organization=a_org,
        requested_by=a.user,
        level="system",
        request_url="/fhir/R4/$export",
        status="completed",
        output=[{"type": "Patient", "file": "Patient.ndjson", "count": 1}],
    )
    for plugin in PLUGINS:
        world.update({f"{plugin.NAMESPACE}:{key}": obj for key, obj in plugin.build(world).items()})
    return world


def scheduling_world(a, patient, practitioner, location) -> dict:
    """A's appointment types, hours, booked and outside appointments, series, plan, waitlist entry and feed."""
    org = a.organization
    kind = AppointmentType.objects.create(organization=org, name="Alpha Visit", duration_minutes=30)
    hours = PractitionerSchedule.objects.create(organization=org, practitioner=practitioner, location=location,
                                                weekday=0, start_time=dt.time(9), end_time=dt.time(17))  # fmt: skip
    hours.appointment_types.add(kind)
    start = dt.datetime(2030, 1, 7, 15, tzinfo=dt.UTC)
    away = PractitionerUnavailability.objects.create(organization=org, practitioner=practitioner, reason="vacation",
                                                     start=start + dt.timedelta(days=7),
                                                     end=start + dt.timedelta(days=8))  # fmt: skip
    closed = ClosedDate.objects.create(organization=org, date=dt.date(2030, 1, 2), name="Alpha staff day")
    series = AppointmentSeries.objects.create(organization=org, patient=patient, practitioner=practitioner,
                                              location=location, appointment_type=kind, weekdays=[0],
                                              local_time=dt.time(9), first_date=start.date(),
                                              occurrences=1)  # fmt: skip
    plan = VisitPlan.objects.create(organization=org, patient=patient, title="Alpha visits", request={})
    appointment = Appointment.objects.create(organization=org, patient=patient, practitioner=practitioner,
                                             location=location, appointment_type=kind, start=start,
                                             end=start + dt.timedelta(minutes=30), series=series, series_index=0,
                                             visit_plan=plan, plan_visit_key="v1")  # fmt: skip
    waitlist = WaitlistEntry.objects.create(organization=org, patient=patient, appointment_type=kind,
                                            current_appointment=appointment, earliest_date=dt.date(2029, 12, 1),
                                            latest_date=dt.date(2030, 1, 6))  # fmt: skip
    feed = CalendarFeed.objects.create(organization=org, kind="patient", patient=patient, token_sha256="a" * 64)
    return {"appointment": appointment, "appointment_type": kind, "hours": hours, "away": away, "closed": closed,
            "series": series, "plan": plan, "waitlist": waitlist, "feed": feed}  # fmt: skip


def checkins_world(a, patient, goal, practitioner) -> dict:
    """A's check-in records: cadence, outreach, a signed note with an addendum, assessment, measurement, time."""
    org, user = a.organization, a.user
    at = dt.datetime(2026, 1, 8, 15, tzinfo=dt.UTC)
    cadence = CheckinCadence.objects.create(organization=org, patient=patient, interval_days=7,
                                            next_due=dt.date(2026, 1, 15), reason="Alpha high risk")  # fmt: skip
    outreach = OutreachAttempt.objects.create(organization=org, patient=patient, method="phone", outcome="reached",
                                              occurred_at=at, by=user, note="Alpha outreach")  # fmt: skip
    note = ProgressNote.objects.create(organization=org, patient=patient, template="phone_checkin", occurred_at=at,
                                       title="Alpha note", body="Alpha body", status="final", author=user,
                                       signed_at=at, signed_by=user)  # fmt: skip
    NoteAddendum.objects.create(note=note, text="Alpha addendum", author=user)
    assessment = Assessment.objects.create(organization=org, patient=patient, instrument="phq2", total=1, severity=0,
                                           answers={"phq2-1": 1, "phq2-2": 0}, band="Negative depression screen",
                                           positive=False, occurred_at=at, by=user)  # fmt: skip
    measurement = Measurement.objects.create(organization=org, patient=patient, goal=goal, kind="weight",
                                             loinc="29463-7", value=81, unit="kg", occurred_at=at, by=user)  # fmt: skip
    time_entry = TimeEntry.objects.create(organization=org, patient=patient, user=user, activity="call",
                                          source="manual", started_at=at, minutes=12)  # fmt: skip
    enrollment = CareManagementEnrollment.objects.create(organization=org, patient=patient, program="ccm",
                                                         consent_on=dt.date(2026, 1, 2),
                                                         start_date=dt.date(2026, 1, 2))  # fmt: skip
    therapy = TherapyPlan.objects.create(organization=org, patient=patient, discipline="PT", visits_planned=12,
                                         referring_practitioner=practitioner,
                                         certification_start=dt.date(2026, 1, 5),
                                         certification_end=dt.date(2026, 3, 5))  # fmt: skip
    return {"cadence": cadence, "outreach": outreach, "note": note, "assessment": assessment,
            "measurement": measurement, "time": time_entry, "enrollment": enrollment, "therapy": therapy}  # fmt: skip


# URL names in the checkins namespace start with the kind of record their `public_id` names.
CHECKINS_TARGETS = {
    "patient": "patient", "cadence": "cadence", "outreach": "outreach", "note": "note", "assessment": "assessment",
    "measurement": "measurement", "time": "time", "enrollment": "enrollment", "therapy": "therapy", "goal": "goal",
}  # fmt: skip

# URL names in the scheduling namespace start with the kind of record their `public_id` names.
SCHEDULING_TARGETS = {
    "appointment": "appointment", "series": "series", "plan": "plan", "waitlist": "waitlist", "feed": "feed",
    "patient": "patient", "practitioner": "practitioner", "location": "location", "type": "appointment_type",
    "hours": "hours", "away": "away", "closed": "closed",
}  # fmt: skip


# Later capabilities bring their own records, URL names and secrets: one module each in tests/isolation_worlds/
# (see its __init__ for the contract), so a new app extends this matrix without editing this file.
PLUGINS = [importlib.import_module(f"{isolation_worlds.__name__}.{m.name}")
           for m in pkgutil.iter_modules(isolation_worlds.__path__)]  # fmt: skip
PLUGIN_BY_NAMESPACE = {plugin.NAMESPACE: plugin for plugin in PLUGINS}

SECRETS = ["Zebulon", "Quixotic", "ALPHA-7731", "Philippa", "Ozymandias", "Alpha Secret Pharmacy",
           "Alpha Hidden Annex", "Alpha Visit", "Alpha visits", "Alpha staff day", "Alpha high risk",
           "Alpha outreach", "Alpha note", "Alpha body", "Alpha addendum", "Alpha reminder text",
           "02/03/1951", "1951-02-03", "555-0177"]  # fmt: skip


def kwargs_for(name: str, params: list[str], world) -> dict:
    """A's record ids for every id a URL takes; fails for an id this matrix does not know yet."""
    directory_targets = {"practitioner": "practitioner", "organization": "ext", "location": "location"}
    by_param = {
        "person_id": "person", "member_id": "member", "condition_id": "condition", "share_id": "share",
        "goal_id": "goal", "task_id": "task", "patient_id": "patient", "appointment_id": "appointment",
        "coverage_id": "coverage:coverage", "auth_id": "coverage:auth",
    }  # fmt: skip
    kwargs = {}
    for param in params:
        if param == "public_id" and name.startswith("patients:"):
            kwargs[param] = world["patient"].public_id
        elif param == "public_id" and name.startswith("careplans:template_"):
            kwargs[param] = world["template"].public_id
        elif param in ("template_goal_id", "template_task_id"):
            kwargs[param] = world[param.removesuffix("_id")].pk
        elif param == "public_id" and name.startswith("careplans:"):
            # careplans:patient_* take the patient's id, careplans:task_* a task's, the others a plan's.
            entity = name.split(":")[1].split("_")[0]
            kwargs[param] = world[{"patient": "patient", "task": "task"}.get(entity, "careplan")].public_id
        elif param == "public_id" and name.startswith("directory:"):
            entity = name.split(":")[1].split("_")[0]
            kwargs[param] = world[directory_targets[entity]].public_id
        elif param == "public_id" and name.startswith("scheduling:"):
            entity = name.split(":")[1].split("_")[0]
            if entity not in SCHEDULING_TARGETS:
                pytest.fail(f"URL {name}: scheduling URL names start with one of {sorted(SCHEDULING_TARGETS)}.")
            kwargs[param] = world[SCHEDULING_TARGETS[entity]].public_id
        elif param == "public_id" and name.startswith("checkins:"):
            entity = name.split(":")[1].split("_")[0]
            if entity not in CHECKINS_TARGETS:
                pytest.fail(f"URL {name}: check-in URL names start with one of {sorted(CHECKINS_TARGETS)}.")
            kwargs[param] = world[CHECKINS_TARGETS[entity]].public_id
        elif param == "public_id" and name == "core:member_update":
            kwargs[param] = world["a"].organization.memberships.first().public_id
        elif param == "public_id" and name.startswith("messaging:"):
            kwargs[param] = world["message"].public_id
        elif param == "resource_type":
            kwargs[param] = "Patient"
        elif param == "resource_id":
            kwargs[param] = world["patient"].public_id
        elif param == "version_id":
            kwargs[param] = "1"
        elif param == "job_id":
            kwargs[param] = world["export_job"].public_id
        elif param == "file_name":
            kwargs[param] = "Patient.ndjson"
        elif param == "group_id":
            kwargs[param] = "all"
        elif param == "token":
            kwargs[param] = "x" * 43  # a well-formed feed token that matches nothing
        elif name.split(":")[0] in PLUGIN_BY_NAMESPACE:
            kwargs[param] = plugin_kwarg(PLUGIN_BY_NAMESPACE[name.split(":")[0]], name, param, world)
        elif param in by_param:
            kwargs[param] = world[by_param[param]].public_id
        else:
            pytest.fail(f"URL {name} takes “{param}”, which the isolation matrix does not know: add it here.")
    return kwargs


# A well-formed body for every JSON write, so the API must answer on the record itself (not on the body).
API_BODY = {"note": "x", "version": 1, "until": "2099-01-01", "reason": "x", "owner_email": "nobody@example.org"}


# FHIR URLs whose "id" is a resource type or the group "all", not a record: a search, a type history or an
# export of B's own records answers 200, or 400 for what a browser cannot ask (an export needs Prefer:
# respond-async); writes through a browser session answer 403 (they need a bearer token).
FHIR_TYPE_LEVEL = {"fhir:type", "fhir:search", "fhir:type_history", "fhir:export_group"}
FHIR_TYPE_LEVEL_STATUSES = (200, 400, 403, 405, 415)


def call(client, method: str, name: str, url: str):
    if method == "get":
        return client.get(url, {"q": "Zebulon"})
    if name.startswith("api:"):
        return client.post(url, json.dumps(API_BODY), content_type="application/json")
    return client.post(url, {})


def plugin_kwarg(plugin, name: str, param: str, world):
    """The id of A's record a plugin's URL takes: `public_id` by the URL name's first word, others by name."""
    if param == "public_id":
        entity = name.split(":")[1].split("_")[0]
        if entity not in plugin.TARGETS:
            pytest.fail(f"URL {name}: {plugin.NAMESPACE} URL names start with one of {sorted(plugin.TARGETS)}.")
        return world[f"{plugin.NAMESPACE}:{plugin.TARGETS[entity]}"].public_id
    key = getattr(plugin, "PARAMS", {}).get(param)
    if key is None:
        pytest.fail(f"URL {name} takes “{param}”, which tests/isolation_worlds/{plugin.NAMESPACE}.py does not map.")
    target = world[key] if key in world else world[f"{plugin.NAMESPACE}:{key}"]
    return getattr(target, "public_id", target)


def snapshot(org):
    rows = []
    for model in (Patient, RelatedPerson, CareTeamMember, Condition, Consent, PatientShare,
                  Practitioner, ExternalOrganization, Location, CarePlan, Goal, Task, CarePlanTemplate,
                  AppointmentType, PractitionerSchedule, PractitionerUnavailability, ClosedDate, AppointmentSeries,
                  VisitPlan, Appointment, WaitlistEntry, CalendarFeed, CheckinCadence, OutreachAttempt,
                  ProgressNote, Assessment, Measurement, TimeEntry, CareManagementEnrollment, TherapyPlan,
                  OutboxMessage, *[m for plugin in PLUGINS for m in plugin.MODELS]):  # fmt: skip
        rows.append(sorted(map(str, model.objects.filter(organization=org).values())))
    return rows


def assert_no_secrets(body: str, where: str, echoed: str = ""):
    """Fails when `body` shows any of A's data (other than the search text the caller typed, `echoed`)."""
    secrets = SECRETS + [secret for plugin in PLUGINS for secret in plugin.SECRETS]
    leaked = [s for s in secrets if s in body.replace(echoed, "") and s.lower() not in echoed.lower()]
    assert not leaked, f"{where} shows organization A's data: {leaked}"


def test_every_url_with_an_id_is_in_the_matrix(world):
    patterns = url_patterns_with_ids()
    assert patterns, "the URL walk found no patterns; the matrix would test nothing"
    for name, _route, params in patterns:
        kwargs_for(name, params, world)


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organization_gets_404_everywhere(world, method):
    before = snapshot(world["a"].organization)
    client = signed_in_client(world["b"])
    for name, _route, params in url_patterns_with_ids():
        url = reverse(name, kwargs=kwargs_for(name, params, world))
        response = call(client, method, name, url)
        allowed = (
            FHIR_TYPE_LEVEL_STATUSES
            if name in FHIR_TYPE_LEVEL
            else (403, 404, 405)
            if name.startswith("fhir:")
            else (404, 405)
        )
        assert response.status_code in allowed, f"{method.upper()} {url} ({name}) answered {response.status_code}"
        echoed = "Zebulon" if name in FHIR_TYPE_LEVEL else ""  # a search's self link repeats what was asked
        assert_no_secrets(response.content.decode(), f"{method.upper()} {url}", echoed=echoed)
    assert snapshot(world["a"].organization) == before, "organization A's data changed"


def test_anonymous_callers_reach_nothing(world):
    client = Client()
    for name, _route, params in url_patterns_with_ids():
        url = reverse(name, kwargs=kwargs_for(name, params, world))
        for method in ("get", "post"):
            response = call(client, method, name, url)
            expected = (401, 404, 405) if name.startswith(("api:", "fhir:")) else (302, 404, 405)
            assert response.status_code in expected, f"{method.upper()} {url} answered {response.status_code}"
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("core:login"))
            assert_no_secrets(response.content.decode(), f"anonymous {method.upper()} {url}")


def test_lists_and_searches_show_nothing_of_another_organization(world):
    client = signed_in_client(world["b"])
    for query in ["Zebulon", "quix", "ALPHA-7731", "02/03/1951", "1951-02-03", "(312) 555-0177", "Ozymandias"]:
        for url in ("/patients/", "/directory/", "/directory/organizations/", "/directory/locations/"):
            response = client.get(url, {"q": query})
            assert response.status_code == 200, url
            assert_no_secrets(response.content.decode(), f"{url}?q={query}", echoed=query)
    audit_page = client.get("/audit/").content.decode()
    assert_no_secrets(audit_page, "B's audit log")


def test_denied_attempts_are_audited_for_the_attempting_organization_without_data(world):
    client = signed_in_client(world["b"])
    client.get(reverse("patients:chart", args=[world["patient"].public_id]))
    denied = AuditEvent.objects.filter(outcome="denied", acting_organization=world["b"].organization)
    assert denied.count() == 1
    event = denied.get()
    assert_no_secrets(str(event.detail) + event.object_id + event.object_type, "the denied audit event")


def test_shared_patient_is_visible_to_the_grantee_until_revoked(world):
    client = signed_in_client(world["c"])
    chart_url = reverse("patients:chart", args=[world["patient"].public_id])
    response = client.get(chart_url)
    assert response.status_code == 200
    assert "Quixotic" in response.content.decode()
    assert "Quixotic" in client.get("/patients/", {"q": "quix"}).content.decode()

    owner = signed_in_client(world["a"])
    revoke = reverse("patients:share_revoke", args=[world["patient"].public_id, world["share"].public_id])
    assert owner.post(revoke).status_code == 302

    assert client.get(chart_url).status_code == 404
    assert "Quixotic" not in client.get("/patients/", {"q": "quix"}).content.decode()


def test_grantee_cannot_share_onward(world):
    client = signed_in_client(world["c"])
    other = OrganizationFactory(name="Delta Plan", slug="delta")
    url = reverse("patients:share_add", args=[world["patient"].public_id])
    response = client.post(url, {"share-grantee": other.pk, "share-signed_on": "2025-01-02",
                                 "share-signed_by": "x", "share-method": "form"})  # fmt: skip
    assert response.status_code == 400
    assert not PatientShare.objects.filter(organization=other).exists()
