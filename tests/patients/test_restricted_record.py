"""
Restricting a record (RELIABILITY T20): someone of the home organization who edits and sees the record marks
it; then only the current care team sees it, others need break-glass.
"""

import pytest

from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.core.errors import PermissionDeniedError
from carecoord.core.models import AuditEvent
from carecoord.patients.models import CareTeamMember
from carecoord.patients.selectors import patients_visible_to
from carecoord.patients.services import patient_restricted_set
from tests.factories import PatientFactory, make_actor


@pytest.fixture
def admin(org):
    return make_actor(org, Role.ORG_ADMIN)


def test_an_admin_restricts_a_record_and_only_the_care_team_sees_it(org, admin):
    patient = PatientFactory(organization=org, given_name="Ottilie", family_name="Quarantelli")
    coordinator = make_actor(org, Role.COORDINATOR)
    on_team = make_actor(org, Role.COORDINATOR)
    CareTeamMember.objects.create(
        organization=org, patient=patient, role="coordinator", user=on_team.user, start_date=clock.today_in(org.tz)
    )

    patient_restricted_set(actor=admin, patient=patient, restricted=True, expected_version=patient.version)

    patient.refresh_from_db()
    assert patient.restricted
    assert patient not in set(patients_visible_to(coordinator))
    assert patient in set(patients_visible_to(on_team))
    assert AuditEvent.objects.filter(event="patient.restrict", patient_public_id=patient.public_id).count() == 1


def test_a_role_that_cannot_edit_records_cannot_restrict(org):
    scheduler = make_actor(org, Role.SCHEDULER)
    patient = PatientFactory(organization=org)
    with pytest.raises(PermissionDeniedError):
        patient_restricted_set(actor=scheduler, patient=patient, restricted=True, expected_version=patient.version)
    patient.refresh_from_db()
    assert not patient.restricted


def test_the_chart_offers_the_record_actions_by_role(org, admin, actor, client_for):
    patient = PatientFactory(organization=org)
    admin_page = client_for(admin).get(f"/patients/{patient.public_id}/").content.decode()
    assert f"/patients/{patient.public_id}/restrict/" in admin_page
    assert f"/records/patients/{patient.public_id}/delete/" in admin_page
    coordinator_page = client_for(actor).get(f"/patients/{patient.public_id}/").content.decode()
    assert f"/records/patients/{patient.public_id}/export/" in coordinator_page
    assert f"/patients/{patient.public_id}/restrict/" in coordinator_page
    assert f"/records/patients/{patient.public_id}/delete/" not in coordinator_page
    scheduler_page = client_for(make_actor(org, Role.SCHEDULER)).get(f"/patients/{patient.public_id}/").content.decode()
    assert f"/patients/{patient.public_id}/restrict/" not in scheduler_page


def test_restricting_from_outside_the_care_team_leaves_the_chart(org, admin, client_for):
    patient = PatientFactory(organization=org)
    response = client_for(admin).post(f"/patients/{patient.public_id}/restrict/", {"restricted": "1", "version": 1})
    patient.refresh_from_db()
    assert patient.restricted
    assert response["Location"] == "/patients/"
    assert client_for(admin).get(f"/patients/{patient.public_id}/").status_code == 404


def test_the_care_team_reopens_a_record_and_a_stale_version_changes_nothing(org, client_for):
    patient = PatientFactory(organization=org, restricted=True)
    member = make_actor(org, Role.COORDINATOR)
    CareTeamMember.objects.create(
        organization=org, patient=patient, role="coordinator", user=member.user, start_date=clock.today_in(org.tz)
    )
    client = client_for(member)
    url = f"/patients/{patient.public_id}/restrict/"
    assert client.post(url, {"restricted": "0", "version": patient.version - 1}).status_code == 302
    patient.refresh_from_db()
    assert patient.restricted, "a stale version must not change the record"
    assert client.post(url, {"restricted": "0", "version": patient.version})["Location"].endswith(
        f"/patients/{patient.public_id}/"
    )
    patient.refresh_from_db()
    assert not patient.restricted


def _row_of(page: str, name: str) -> str:
    """The list row (<tr>…</tr>) naming `name`, or ""."""
    for row in page.split("<tr>")[1:]:
        if name in row:
            return row.split("</tr>", 1)[0]
    return ""


@pytest.mark.parametrize("url", ["/patients/", "/patients/?q=quarantelli", "/patients/?q=RR-0001"])
def test_the_list_and_search_results_mark_restricted_records_for_those_who_see_them(org, client_for, url):
    restricted = PatientFactory(
        organization=org, given_name="Ottilie", family_name="Quarantelli", mrn="RR-0001", restricted=True
    )
    open_record = PatientFactory(organization=org, given_name="Oskar", family_name="Quarantelli", mrn="RR-0002")
    on_team = make_actor(org, Role.COORDINATOR)
    CareTeamMember.objects.create(
        organization=org, patient=restricted, role="coordinator", user=on_team.user, start_date=clock.today_in(org.tz)
    )
    client = client_for(on_team)
    for headers in ({}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "patient-results"}):
        page = client.get(url, **headers).content.decode()
        row = _row_of(page, restricted.display_name)
        assert row, (url, headers)
        assert ">Restricted</span>" in row
        if "RR-0001" not in url:
            assert _row_of(page, open_record.display_name)
            assert "Restricted" not in _row_of(page, open_record.display_name)

    outsider = client_for(make_actor(org, Role.COORDINATOR))  # not on the care team: no row, no badge
    page = outsider.get(url).content.decode()
    assert not _row_of(page, restricted.display_name)
    assert ">Restricted</span>" not in page
