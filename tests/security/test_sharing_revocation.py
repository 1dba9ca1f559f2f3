"""
RELIABILITY T16: a coordination organization sees a patient shared with it under consent, and nothing the
moment the share is revoked: in an open session, through a FHIR bearer token, and while 10 clients read in a
loop on a real threaded server (no response to a request started after the revoke committed carries the
patient). Granting makes a patient visible on the next request. Audit entries name the acting organization
(C) and the patient's home organization (the tenant, A).
"""

import threading
import time

import requests
from django.db import connections
from django.test import Client

from carecoord.core import clock
from carecoord.core.choices import AuditOutcome, Role
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.clients import api_client_create, token_issue
from carecoord.patients import services
from carecoord.patients.models import PatientShare
from carecoord.patients.selectors import patients_visible_to
from tests.factories import OrganizationFactory, PatientFactory, make_actor

from ._input_fixtures import http_server, http_session  # noqa: F401  (http_server: a fixture)

FAMILY = "Sharedpatientova"
READERS = 10


def world():
    clinic_a = OrganizationFactory(name="Clinic A", slug="clinic-a")
    clinic_b = OrganizationFactory(name="Clinic B", slug="clinic-b")
    coord_c = OrganizationFactory(name="Coordination C", slug="coord-c", kind="coordination_organization")
    coord_c2 = OrganizationFactory(name="Coordination C2", slug="coord-c2", kind="coordination_organization")
    a_admin = make_actor(clinic_a, Role.COORDINATOR)
    b_admin = make_actor(clinic_b, Role.COORDINATOR)
    patient_a = PatientFactory(organization=clinic_a, given_name="Ada", family_name=FAMILY, mrn="A-17")
    patient_b = PatientFactory(organization=clinic_b, given_name="Bo", family_name="Otherclinicson", mrn="B-3")
    return {
        "a": a_admin,
        "b": b_admin,
        "c_coord": make_actor(coord_c, Role.COORDINATOR),
        "c_coord2": make_actor(coord_c2, Role.COORDINATOR),
        "patient_a": patient_a,
        "patient_b": patient_b,
    }


def grant(home_actor, patient, grantee_org) -> PatientShare:
    consent = services.consent_record(
        actor=home_actor,
        patient=patient,
        grantee=grantee_org,
        signed_on=clock.today_in(home_actor.organization.tz),  # the consent's own calendar date, where signed
        signed_by="The patient",
        method="Signed form",
    )
    return services.share_grant(actor=home_actor, patient=patient, consent=consent)


def test_a_share_is_visible_while_it_stands_and_gone_at_once_when_revoked(db, client_for):
    w = world()
    c_coord, patient_a, patient_b = w["c_coord"], w["patient_a"], w["patient_b"]
    share = grant(w["a"], patient_a, c_coord.organization)
    client = client_for(c_coord)
    other = client_for(w["c_coord2"])
    chart = f"/patients/{patient_a.public_id}/"

    assert FAMILY in client.get(chart).content.decode()
    assert client.get(f"/api/v1/patients/{patient_a.public_id}").status_code == 200
    assert other.get(chart).status_code == 404
    assert list(patients_visible_to(w["c_coord2"])) == []
    assert set(patients_visible_to(c_coord)) == {patient_a}

    view = AuditEvent.objects.filter(event="patient.view", user=c_coord.user, outcome=AuditOutcome.SUCCESS).first()
    assert view.acting_organization == c_coord.organization
    assert view.tenant_organization == patient_a.organization

    # Granting B makes B's patient visible on the very next request of the open session.
    assert client.get(f"/patients/{patient_b.public_id}/").status_code == 404
    grant(w["b"], patient_b, c_coord.organization)
    assert client.get(f"/patients/{patient_b.public_id}/").status_code == 200

    services.share_revoke(actor=w["a"], share=share)
    for url in (chart, f"/api/v1/patients/{patient_a.public_id}", f"/fhir/R4/Patient/{patient_a.public_id}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert FAMILY not in response.content.decode(), url
    search = client.get(f"/api/v1/patients?q={FAMILY}")
    assert FAMILY not in search.content.decode()


def test_a_fhir_token_loses_the_patient_when_the_share_is_revoked(db):
    w = world()
    share = grant(w["a"], w["patient_a"], w["c_coord"].organization)
    client_record, secret = api_client_create(
        organization=w["c_coord"].organization, name="C's app", scopes="system/Patient.read"
    )
    token, _ = token_issue(client_id=client_record.client_id, client_secret=secret)
    url = f"/fhir/R4/Patient/{w['patient_a'].public_id}"
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get(url, **bearer).status_code == 200
    services.share_revoke(actor=w["a"], share=share)
    response = Client().get(url, **bearer)
    assert response.status_code == 404
    assert FAMILY not in response.content.decode()


def test_revoking_under_ten_concurrent_readers_leaks_nothing_after_the_commit(http_server):  # noqa: F811
    w = world()
    share = grant(w["a"], w["patient_a"], w["c_coord"].organization)
    url = f"{http_server}/api/v1/patients/{w['patient_a'].public_id}"
    sessions = [http_session(w["c_coord"]) for _ in range(READERS)]
    results: list[tuple[float, int, bool]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def read_loop(session: requests.Session) -> None:
        try:
            while not stop.is_set():
                started = time.monotonic()
                response = session.get(url, timeout=120)
                with lock:
                    results.append((started, response.status_code, FAMILY in response.text))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=read_loop, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    while sum(1 for _, status, _ in list(results) if status == 200) < READERS:
        time.sleep(0.05)
    services.share_revoke(actor=w["a"], share=share)  # autocommit: committed when it returns
    committed = time.monotonic()
    while sum(1 for started, _, _ in list(results) if started > committed) < 3 * READERS:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)

    assert all(status in (200, 404) for _, status, _ in results), {status for _, status, _ in results}
    before = [r for r in results if r[0] < committed]
    after = [r for r in results if r[0] > committed]
    assert any(status == 200 and leaked for _, status, leaked in before)
    assert after
    assert all(status == 404 and not leaked for _, status, leaked in after)
