import datetime as dt

from carecoord.core.models import AuditEvent
from carecoord.patients.models import Patient

from ..factories import PatientFactory


def test_register_then_open_chart(actor, client_for):
    client = client_for(actor)
    response = client.post(
        "/patients/new/",
        {
            "mrn": "A100", "given_name": "Rosa", "family_name": "Delgado", "birth_date": "1950-04-02",
            "gender": "female", "sex_at_birth": "F", "phone_primary": "(312) 555-0142", "phone_primary_kind": "mobile",
            "phone_secondary_kind": "home", "preferred_language": "es", "interpreter_needed": "on",
            "preferred_contact_method": "phone", "state": "IL",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = Patient.objects.get(mrn="A100")
    assert patient.phone_primary == "+13125550142"
    chart = client.get(response["Location"])
    assert chart.status_code == 200
    assert "Delgado, Rosa" in chart.content.decode()
    assert AuditEvent.objects.filter(event="patient.view", patient_public_id=patient.public_id).count() == 1


def test_registering_without_a_second_phone_needs_no_second_phone_type(actor, client_for):
    client = client_for(actor)
    page = client.get("/patients/new/").content.decode()
    assert "Main phone" in page
    assert "Other phone type" in page
    response = client.post(
        "/patients/new/",
        {
            "mrn": "A101", "given_name": "Ana", "family_name": "Reyes", "birth_date": "1961-05-03",
            "gender": "female", "sex_at_birth": "F", "phone_primary": "(312) 555-0143", "phone_primary_kind": "mobile",
            "phone_secondary_kind": "", "preferred_language": "en", "preferred_contact_method": "phone", "state": "IL",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = Patient.objects.get(mrn="A101")
    assert (patient.phone_secondary, patient.phone_secondary_kind) == ("", "home")


def test_list_and_search(actor, client_for):
    PatientFactory(organization=actor.organization, given_name="John", family_name="Smith",
                   birth_date=dt.date(1948, 3, 7))  # fmt: skip
    client = client_for(actor)
    assert "Smith, John" in client.get("/patients/?q=smi+jo").content.decode()
    assert "Smith, John" in client.get("/patients/?q=03/07/1948").content.decode()


def test_the_edit_page_refuses_a_postal_code_that_is_not_a_zip_code(actor, client_for):
    patient = PatientFactory(organization=actor.organization, given_name="Rosa", family_name="Delgado")
    client = client_for(actor)
    data = {
        "mrn": patient.mrn, "given_name": "Rosa", "family_name": "Delgado", "birth_date": "1950-04-02",
        "gender": "female", "sex_at_birth": "F", "phone_primary_kind": "mobile", "phone_secondary_kind": "home",
        "preferred_language": "en", "preferred_contact_method": "phone", "city": "Cicero", "state": "IL",
        "postal_code": "ZZZ", "version": patient.version,
    }  # fmt: skip
    response = client.post(f"/patients/{patient.public_id}/edit/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_postal_code_error"' in html
    assert "is not a ZIP code" in html
    patient.refresh_from_db()
    assert (patient.city, patient.postal_code) == ("", "")
    response = client.post(f"/patients/{patient.public_id}/edit/", {**data, "postal_code": "60804-1234"})
    assert response.status_code == 302, response.content.decode()[:3000]
    patient.refresh_from_db()
    assert (patient.city, patient.postal_code) == ("Cicero", "60804-1234")


def test_the_edit_page_shows_every_problem_on_the_first_submit(actor, client_for):
    patient = PatientFactory(organization=actor.organization, given_name="Rosa", family_name="Delgado")
    client = client_for(actor)
    data = {
        "mrn": patient.mrn, "given_name": "", "family_name": "D" * 300, "birth_date": "2030-01-01",
        "gender": "female", "sex_at_birth": "F", "phone_primary": "abc", "phone_primary_kind": "mobile",
        "phone_secondary_kind": "home", "preferred_language": "en", "preferred_contact_method": "phone",
        "city": "Cicero", "version": patient.version,
    }  # fmt: skip
    response = client.post(f"/patients/{patient.public_id}/edit/", data)
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("given_name", "family_name", "birth_date", "phone_primary"):
        assert f'id="id_{field}_error"' in html, field
    assert "The date of birth cannot be in the future." in html
    assert "is not a phone number" in html
    patient.refresh_from_db()
    assert (patient.given_name, patient.city, patient.version) == ("Rosa", "", 1)


def test_the_register_page_shows_every_problem_on_the_first_submit(actor, client_for):
    data = {
        "mrn": "A100", "given_name": "", "family_name": "Delgado", "birth_date": "2030-01-01",
        "gender": "female", "sex_at_birth": "F", "phone_primary": "abc", "phone_primary_kind": "mobile",
        "phone_secondary_kind": "home", "preferred_language": "es", "preferred_contact_method": "phone",
        "postal_code": "ZZZ",
    }  # fmt: skip
    response = client_for(actor).post("/patients/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("given_name", "birth_date", "phone_primary", "postal_code"):
        assert f'id="id_{field}_error"' in html, field
    assert not Patient.objects.filter(mrn="A100").exists()


def test_the_register_page_numbers_the_address_lines(actor, client_for):
    html = client_for(actor).get("/patients/new/").content.decode()
    assert ">Address line 1<" in html
    assert ">Address line 2<" in html
    assert "Address line1" not in html
    assert "Address line2" not in html
