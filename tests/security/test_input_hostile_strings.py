"""
T05 (RELIABILITY.md): hostile strings in text fields. Each value is stored and returned byte-exact, or refused
with a 400 naming the field; a NUL byte (raw or as \\u0000 in JSON) is refused with 400, never a 500; in the
pages and in the HTML the care-plan PDF is printed from, markup and template syntax show escaped and literal.
Covers the care plan, goal, task and appointment fields of /api/v1, and the web forms of care plans, patients
(register, edit), progress notes, insurance coverages and medication lists.
"""

import json

import pytest
from django.urls import reverse

from carecoord.careplans.models import CarePlan, Goal
from carecoord.careplans.pdf import careplan_print_html
from carecoord.core.choices import Role

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor

PAYLOADS = {
    "emoji": "Walk 🚶‍♀️ daily 👩🏽‍⚕️🩺",
    "rtl": "مرحبا بالعالم שלום עולם",
    "combining": "e\u0301\u0302 Z\u0324\u0354\u0367\u0311\u0313 \u202eRTL override\u202c",
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "template": "{{7*7}} {% debug %} ${7*7} #{7*7}",
    "sql": "'; DROP TABLE careplans_careplan;--",
    "path": "../../../../etc/passwd ..\\..\\windows",
    "crlf": "line one\r\nSet-Cookie: x=1\r\nline three",
}
MB = 1024 * 1024
URL = "/api/v1/careplans"


@pytest.fixture
def actor(org):
    return make_actor(org, Role.COORDINATOR, Role.PROVIDER)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Ysolde", family_name="Grabowski")


def create(client, patient, **fields):
    goal = fields.pop("goal", "Walk more")
    body = {"patient": str(patient.public_id), "title": "Plan", "category": "chronic", "start_date": "2026-03-01",
            "goals": [{"description": goal}], **fields}  # fmt: skip
    return client.post(URL, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("name", PAYLOADS)
def test_api_values_are_stored_and_returned_byte_exact_and_shown_escaped(actor, patient, name):
    value = PAYLOADS[name]
    client = signed_in_client(actor)
    response = create(client, patient, title=value[:200], description=value, goal=value[:300])
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["description"], body["goals"][0]["description"]) == (value, value, value)
    plan = CarePlan.objects.get(public_id=body["id"])
    assert (plan.title, plan.description, Goal.objects.get(careplan=plan).description) == (value, value, value)
    for html in (client.get(reverse("careplans:detail", args=[plan.public_id])).content.decode(),
                 careplan_print_html(actor, plan)):  # fmt: skip
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x onerror" not in html
        if name == "script":
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        if name == "template":
            assert "{{7*7}}" in html  # shown literally, never evaluated


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"title": "x" * MB}, "title"), ({"description": "x" * MB}, "description"),
     ({"goal": "x" * MB}, "goals[0].description"), ({"category": "x" * MB}, "category")],
)  # fmt: skip
def test_a_one_megabyte_string_is_refused_naming_the_field(actor, patient, fields, field):
    response = create(signed_in_client(actor), patient, **fields)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["field"] == field
    assert len(response.content) < 2000  # the refusal does not echo the megabyte back
    assert not CarePlan.objects.exists()


@pytest.mark.parametrize("raw", [False, True])
def test_a_nul_in_a_json_value_is_refused_with_400(actor, patient, raw):
    client = signed_in_client(actor)
    body = json.dumps({"patient": str(patient.public_id), "title": "Plan\u0000x", "category": "chronic",
                       "start_date": "2026-03-01"})  # fmt: skip
    if raw:
        body = body.replace("\\u0000", "\x00")
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not CarePlan.objects.exists()


def test_malformed_json_is_refused_with_a_structured_400(actor):
    response = signed_in_client(actor).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [("/api/v1/tasks/00000000-0000-4000-8000-000000000000/complete", {"note": "x" * MB, "version": 1}, "note"),
     ("/api/v1/scheduling/appointments", {"notes": "x" * MB}, "notes"),
     ("/api/v1/scheduling/appointments", {"reason": "x" * MB}, "reason")],
)  # fmt: skip
def test_other_api_text_fields_refuse_a_megabyte(actor, url, body, field):
    response = signed_in_client(actor).post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["field"] == field


def test_the_care_plan_form_refuses_a_megabyte_description_naming_it(actor, patient):
    url = reverse("careplans:patient_careplan_create", args=[patient.public_id])
    data = {"plan-title": "Plan", "plan-category": "chronic", "plan-intent": "plan", "plan-start_date": "2026-03-01",
            "plan-description": "x" * MB}  # fmt: skip
    response = signed_in_client(actor).post(url, data)
    assert response.status_code == 400
    assert "at most 10000 characters" in response.content.decode().replace(",", "")
    assert not CarePlan.objects.exists()


@pytest.mark.parametrize("name", ["script", "template", "crlf", "rtl"])
def test_the_care_plan_form_stores_hostile_text_byte_exact(actor, patient, name):
    value = PAYLOADS[name]
    url = reverse("careplans:patient_careplan_create", args=[patient.public_id])
    data = {"plan-title": value, "plan-category": "chronic", "plan-intent": "plan", "plan-start_date": "2026-03-01",
            "plan-description": value}  # fmt: skip
    response = signed_in_client(actor).post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    plan = CarePlan.objects.get()
    # Form fields strip surrounding white space; the CRLF inside survives (browsers send CRLF line breaks).
    assert (plan.title, plan.description) == (value.strip(), value.strip())


# The web forms of the patient, progress note, insurance and medication records ------------------------------
# Every text field stores the hostile value byte-exact (form fields strip surrounding white space only) and the
# pages show it escaped and literal; a megabyte is refused by the field's length limit with the field named
# (its error list is id="id_<field>_error"), nothing saved, never a 500.

WEB_PAYLOADS = ["emoji", "rtl", "combining", "script", "attribute", "template", "sql", "path", "crlf"]


def assert_shown_escaped(html: str, name: str) -> None:
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror" not in html
    if name == "script":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    if name == "attribute":
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    if name == "template":
        assert "{{7*7}}" in html  # shown literally, never evaluated
        assert "{% debug %}" in html


def assert_refused_naming(response, field: str, limit: int, prefix: str = "") -> None:
    assert response.status_code in (200, 400), response.status_code  # the form again, never a 500
    html = response.content.decode()
    assert f'id="id_{prefix}{field}_error"' in html, f"no error shown on {field}"
    assert f"at most {limit:,} characters".replace(",", "") in html.replace(",", "")


def patient_post(**overrides) -> dict:
    data = {"mrn": "A100", "given_name": "Rosa", "family_name": "Delgado", "birth_date": "1950-04-02",
            "gender": "female", "sex_at_birth": "F", "phone_primary_kind": "mobile", "phone_secondary_kind": "home",
            "preferred_language": "en", "preferred_contact_method": "phone", "state": "IL"}  # fmt: skip
    return {**data, **overrides}


PATIENT_TEXT = ("given_name", "middle_name", "family_name", "preferred_name", "pronouns", "address_line1",
                "address_line2", "city", "best_time_to_contact", "chart_alert")  # fmt: skip


@pytest.mark.parametrize("name", WEB_PAYLOADS)
def test_the_patient_forms_store_hostile_text_byte_exact_and_pages_show_it_escaped(actor, name):
    from carecoord.patients.models import Patient

    value = PAYLOADS[name].strip()
    client = signed_in_client(actor)
    fields = {field: value[:40] if field == "pronouns" else value for field in PATIENT_TEXT}
    response = client.post(reverse("patients:register"), patient_post(mrn=value[:40], **fields))
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = Patient.objects.get()
    assert patient.mrn == value[:40]
    assert {field: getattr(patient, field) for field in PATIENT_TEXT} == fields
    for url in (
        reverse("patients:chart", args=[patient.public_id]),
        reverse("patients:edit", args=[patient.public_id]),
    ):
        assert_shown_escaped(client.get(url).content.decode(), name)
    # Editing keeps them byte-exact too.
    edit = patient_post(mrn="B200", version=patient.version, **{**fields, "chart_alert": value + " (edited)"})
    response = client.post(reverse("patients:edit", args=[patient.public_id]), edit)
    assert response.status_code == 302, response.content.decode()[:3000]
    patient.refresh_from_db()
    assert (patient.chart_alert, patient.family_name) == (value + " (edited)", value)


@pytest.mark.parametrize(
    ("field", "limit"),
    [("given_name", 100), ("family_name", 100), ("address_line1", 200), ("chart_alert", 200), ("mrn", 40),
     ("best_time_to_contact", 100)],
)  # fmt: skip
def test_the_patient_forms_refuse_a_megabyte_naming_the_field(actor, patient, field, limit):
    from carecoord.patients.models import Patient

    client = signed_in_client(actor)
    assert_refused_naming(client.post(reverse("patients:register"), patient_post(**{field: "x" * MB})), field, limit)
    assert Patient.objects.count() == 1
    edit = patient_post(version=patient.version, **{field: "x" * MB})
    assert_refused_naming(client.post(reverse("patients:edit", args=[patient.public_id]), edit), field, limit)
    patient.refresh_from_db()
    assert getattr(patient, field) != "x" * MB


def note_post(**overrides) -> dict:
    data = {"template": "phone_checkin", "title": "Weekly call", "occurred_at": "2026-11-26T08:30",
            "symptoms": "Less tired", "adherence": "taking", "body": "Doing well.",
            "participant_patient": "on"}  # fmt: skip
    return {**data, **overrides}


@pytest.mark.parametrize("name", WEB_PAYLOADS)
def test_the_progress_note_form_stores_hostile_text_byte_exact_and_shows_it_escaped(actor, patient, name):
    from carecoord.checkins.models import ProgressNote

    value = PAYLOADS[name].strip()
    client = signed_in_client(actor)
    url = reverse("checkins:patient_note_new", args=[patient.public_id])
    response = client.post(url, note_post(title=value, symptoms=value, body=value, participant_other="Ana"))
    assert response.status_code == 302, response.content.decode()[:3000]
    note = ProgressNote.objects.get()
    assert (note.title, note.body, note.structured["symptoms"]) == (value, value, value)
    for page in ("checkins:note_detail", "checkins:note_edit"):
        assert_shown_escaped(client.get(reverse(page, args=[note.public_id])).content.decode(), name)
    edit = note_post(title=value, body=value + "\r\nmore", symptoms=value, version=note.version)
    response = client.post(reverse("checkins:note_edit", args=[note.public_id]), edit)
    assert response.status_code == 302, response.content.decode()[:3000]
    note.refresh_from_db()
    assert note.body == value + "\r\nmore"


@pytest.mark.parametrize(("field", "limit"), [("title", 200), ("body", 20_000), ("symptoms", 4000),
                                              ("participant_other", 2000)])  # fmt: skip
def test_the_progress_note_form_refuses_a_megabyte_naming_the_field(actor, patient, field, limit):
    from carecoord.checkins.models import ProgressNote

    url = reverse("checkins:patient_note_new", args=[patient.public_id])
    response = signed_in_client(actor).post(url, note_post(**{field: "x" * MB}))
    assert response.status_code == 400
    assert_refused_naming(response, field, limit)
    assert not ProgressNote.objects.exists()


def coverage_post(payer, **overrides) -> dict:
    data = {"position": "9", "product_type": "commercial", "payer": str(payer.public_id), "member_id": "W1",
            "relationship": "spouse", "subscriber_family_name": "Delgado"}  # fmt: skip
    return {f"coverage-{k}": v for k, v in {**data, **overrides}.items()}


COVERAGE_TEXT = ("plan_name", "member_id", "group_id", "subscriber_given_name", "subscriber_family_name")


@pytest.mark.parametrize("name", WEB_PAYLOADS)
def test_the_coverage_form_stores_hostile_text_byte_exact_and_shows_it_escaped(actor, patient, name):
    from carecoord.coverage.models import Coverage

    from ..coverage.factories import make_payer

    value = PAYLOADS[name].strip()
    fields = {field: value for field in COVERAGE_TEXT}
    client = signed_in_client(actor)
    url = reverse("coverage:patient_coverage_add", args=[patient.public_id])
    response = client.post(url, coverage_post(make_payer(actor), **fields))
    assert response.status_code == 302, response.content.decode()[:3000]
    coverage = Coverage.objects.get()
    assert {field: getattr(coverage, field) for field in COVERAGE_TEXT} == fields
    page = client.get(reverse("coverage:patient_insurance", args=[patient.public_id])).content.decode()
    assert_shown_escaped(page, name)


@pytest.mark.parametrize(("field", "limit"), [("plan_name", 200), ("member_id", 80), ("group_id", 80),
                                              ("subscriber_family_name", 100)])  # fmt: skip
def test_the_coverage_form_refuses_a_megabyte_naming_the_field(actor, patient, field, limit):
    from carecoord.coverage.models import Coverage

    from ..coverage.factories import make_payer

    url = reverse("coverage:patient_coverage_add", args=[patient.public_id])
    response = signed_in_client(actor).post(url, coverage_post(make_payer(actor), **{field: "x" * MB}))
    assert response.status_code == 400
    assert_refused_naming(response, field, limit, prefix="coverage-")
    assert not Coverage.objects.exists()


def medication_post(**rows) -> dict:
    data = {"list-source": "discharge", "list-source_name": "Lakeside General", "list-list_date": "2026-03-02",
            "line-TOTAL_FORMS": "2", "line-INITIAL_FORMS": "0", "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "60",
            "line-0-status": "active", "line-1-status": "active", "line-0-display": "lisinopril"}  # fmt: skip
    return {**data, **rows}


@pytest.mark.parametrize("name", WEB_PAYLOADS)
def test_the_medication_list_form_stores_hostile_text_byte_exact_and_shows_it_escaped(actor, patient, name):
    from carecoord.medications.models import MedicationList

    value = PAYLOADS[name].strip()
    client = signed_in_client(actor)
    url = reverse("medications:patient_list_new", args=[patient.public_id])
    response = client.post(url, medication_post(**{
        "list-source_name": value, "list-note": value, "line-0-display": value, "line-0-dose": value,
        "line-0-frequency_text": value, "line-0-adherence_note": value}))  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = MedicationList.objects.get()
    line = saved.lines.get()
    assert (saved.source_name, saved.note) == (value, value)
    assert (line.display, line.dose, line.frequency_text, line.adherence_note) == (value, value, value, value)
    for url in (reverse("medications:patient_medications", args=[patient.public_id]),
                reverse("medications:list_detail", args=[saved.public_id])):  # fmt: skip
        assert_shown_escaped(client.get(url).content.decode(), name)


@pytest.mark.parametrize(
    ("field", "limit"),
    [("list-source_name", 200), ("list-note", 500), ("line-0-display", 300), ("line-0-dose", 100),
     ("line-0-frequency_text", 200), ("line-0-adherence_note", 500)],
)  # fmt: skip
def test_the_medication_list_form_refuses_a_megabyte_naming_the_field(actor, patient, field, limit):
    from carecoord.medications.models import MedicationList

    url = reverse("medications:patient_list_new", args=[patient.public_id])
    response = signed_in_client(actor).post(url, medication_post(**{field: "x" * MB}))
    assert response.status_code == 400
    prefix, name = field.rsplit("-", 1)
    assert_refused_naming(response, name, limit, prefix=prefix + "-")
    assert not MedicationList.objects.exists()


@pytest.mark.parametrize(
    ("url_name", "field"),
    [("patients:register", "given_name"), ("checkins:patient_note_new", "body"),
     ("coverage:patient_coverage_add", "coverage-member_id"), ("medications:patient_list_new", "line-0-display")],
)  # fmt: skip
def test_a_nul_in_a_web_form_is_refused_with_400(actor, patient, url_name, field):
    # RejectNulCharactersMiddleware refuses it before any view; its message does not name the field yet.
    from carecoord.patients.models import Patient

    args = [] if url_name == "patients:register" else [patient.public_id]
    data = {field: "a\x00b", "template": "phone_checkin"}
    response = signed_in_client(actor).post(reverse(url_name, args=args), data)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert Patient.objects.count() == 1


@pytest.fixture
def reconciliation(actor, patient):
    import datetime as dt

    from carecoord.medications import services

    day = dt.date(2026, 3, 2)
    discharge = services.medication_list_create(actor=actor, patient=patient, source="discharge", list_date=day,
                                                lines=[{"display": "Lisinopril 10 mg", "dose": "10 mg"}])  # fmt: skip
    mar = services.medication_list_create(actor=actor, patient=patient, source="mar", list_date=day,
                                          lines=[{"display": "Lisinopril 10 mg", "dose": "20 mg"}])  # fmt: skip
    return services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])


def decision_post(reconciliation, **fields) -> dict:
    from carecoord.medications import selectors

    _, rows = selectors.reconciliation_rows(reconciliation)
    data = {"row_key": rows[0].key, "action": "change", "chosen_line": rows[0].present[0].ref,
            "ordered_by": "Dr. Ito", **fields}  # fmt: skip
    return {f"row0-{name}": value for name, value in data.items()}


@pytest.mark.parametrize("name", WEB_PAYLOADS)
def test_a_medication_change_stores_hostile_text_byte_exact_and_shows_it_escaped(actor, reconciliation, name):
    from carecoord.medications.models import ReconciliationDecision

    value = PAYLOADS[name].strip()
    client = signed_in_client(actor)
    url = reverse("medications:reconciliation_decide", args=[reconciliation.public_id])
    response = client.post(url, decision_post(reconciliation, dose=value, frequency_text=value, note=value))
    assert response.status_code == 302, response.content.decode()[:3000]
    decision = ReconciliationDecision.objects.get()
    assert (decision.dose, decision.frequency_text, decision.note) == (value, value, value)
    assert_shown_escaped(client.get(reconciliation.get_absolute_url()).content.decode(), name)


@pytest.mark.parametrize(
    ("field", "limit"), [("dose", 100), ("frequency_text", 200), ("note", 500), ("ordered_by", 200)]
)
def test_a_medication_change_refuses_a_megabyte_naming_the_field(actor, reconciliation, field, limit):
    from carecoord.medications.models import ReconciliationDecision

    url = reverse("medications:reconciliation_decide", args=[reconciliation.public_id])
    response = signed_in_client(actor).post(url, decision_post(reconciliation, **{"dose": "5 mg", field: "x" * MB}))
    assert response.status_code == 400
    assert_refused_naming(response, field, limit, prefix="row0-")
    assert not ReconciliationDecision.objects.exists()
