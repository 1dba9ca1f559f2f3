"""
T05 (RELIABILITY.md): hostile strings in text fields. Each value is stored and returned byte-exact, or refused
with a 400 naming the field; a NUL byte (raw or as \\u0000 in JSON) is refused with 400, never a 500; in the
pages and in the HTML the care-plan PDF is printed from, markup and template syntax show escaped and literal.
Covers the care plan, goal, task and appointment fields of /api/v1 and the care-plan web form.
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
