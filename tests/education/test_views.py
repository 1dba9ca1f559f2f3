"""Education pages through the test client: the library, a material's page and editor, the chart's tab."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.education import services
from carecoord.education.models import Delivery, Material

from ..careplans.factories import CarePlanFactory
from ..factories import ConditionFactory, PatientFactory, RelatedPersonFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DENSE = (
    "Hypertensive cardiovascular complications demonstrate considerable epidemiological association with "
    "inadequately controlled systolic hypertension, necessitating comprehensive pharmacological intervention."
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_frozen_clock")]


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


@pytest.fixture
def rosa(org):
    patient = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", preferred_language="es")
    ConditionFactory(patient=patient, code="E11.9")
    return patient


def builtin(topic, language):
    return Material.objects.get(organization__isnull=True, topic=topic, language=language)


def form_data(**overrides):
    return {
        "topic": "foot-care", "language": "en", "title": "Caring for your feet", "summary": "",
        "body": "Look at your feet every day.", "audience": "patient", "icd10_prefixes": "E11, E10",
        "snomed_codes": "", "rxnorm_codes": "", "review_on": "", **overrides,
    }  # fmt: skip


def test_the_library_lists_builtins_with_their_reading_level_and_filters_by_language(client):
    response = client.get(reverse("education:library"), {"language": "es"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Vivir con diabetes" in body
    assert "Living with diabetes" not in body
    assert "Fernández Huerta" in body


def test_a_builtin_material_page_shows_safe_html_grade_and_its_translation(client):
    material = builtin("diabetes-basics", "en")
    body = client.get(material.get_absolute_url()).content.decode()
    assert "<h2>What you can do each day</h2>" in body
    assert "<li>Take your medicine" in body
    assert "Grade " in body
    assert "Flesch-Kincaid" in body
    assert "Built-in (read-only)" in body
    assert "Copy to adapt" in body
    assert builtin("diabetes-basics", "es").get_absolute_url() in body


def test_adding_a_material_from_the_editor_parses_codes_and_warns_above_grade_8(client, actor):
    response = client.post(reverse("education:material_new"), form_data(body=DENSE), follow=True)
    material = Material.objects.get(organization=actor.organization)
    assert material.icd10_prefixes == ["E11", "E10"]
    assert material.reading_grade > 8
    body = response.content.decode()
    assert "Reading level is above grade 8" in body
    assert "Above grade 8" in body


def test_the_editor_refuses_html_that_is_not_a_pdf_and_bad_codes(client, actor):
    fake = SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf")
    response = client.post(reverse("education:material_new"), {**form_data(body=""), "pdf": fake})
    assert response.status_code == 400
    assert "not a PDF" in response.content.decode()
    response = client.post(reverse("education:material_new"), form_data(icd10_prefixes="diabetes!"))
    assert response.status_code == 400
    assert "not a valid code" in response.content.decode()
    assert not Material.objects.filter(organization=actor.organization).exists()


def test_an_uploaded_pdf_is_served_only_through_the_access_checked_view(client, actor, other_actor, client_for):
    upload = SimpleUploadedFile("handout.pdf", PDF, content_type="application/pdf")
    client.post(reverse("education:material_new"), {**form_data(body=""), "pdf": upload})
    material = Material.objects.get(organization=actor.organization)
    response = client.get(reverse("education:material_file", args=[material.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert client_for(other_actor).get(reverse("education:material_file", args=[material.public_id])).status_code == 404


def test_editing_with_a_stale_version_answers_409(client, actor):
    material = services.material_create(
        actor=actor, data={"topic": "t", "language": "en", "title": "T", "body": "Walk.", "audience": "patient"}
    )
    url = reverse("education:material_edit", args=[material.public_id])
    assert client.post(url, form_data(title="New", version=1)).status_code == 302
    response = client.post(url, form_data(title="Newer", version=1))
    assert response.status_code == 409
    assert "Someone else saved" in response.content.decode()


def test_copying_a_builtin_opens_the_editor_on_the_copy(client, actor):
    response = client.post(reverse("education:material_copy", args=[builtin("asthma", "es").public_id]))
    copy = Material.objects.get(organization=actor.organization)
    assert response.status_code == 302
    assert response["Location"] == reverse("education:material_edit", args=[copy.public_id])
    builtin_edit = client.get(reverse("education:material_edit", args=[builtin("asthma", "es").public_id]))
    assert builtin_edit.status_code == 302


def test_the_handout_pdf_is_a_pdf(client):
    response = client.get(reverse("education:material_handout", args=[builtin("insulin", "es").public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_education_tab_suggests_spanish_first_and_is_audited(client, rosa):
    response = client.get(reverse("education:patient_education", args=[rosa.public_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Education</a>' in body
    suggestions = body[body.index("Suggested materials") : body.index("Give a material")]
    assert "Vivir con diabetes" in suggestions
    assert "Living with diabetes" not in suggestions
    assert AuditEvent.objects.filter(event="education.view", patient_public_id=rosa.public_id).exists()


def test_the_tab_says_why_a_material_is_suggested_in_words_not_codes(client, org):
    patient = PatientFactory(organization=org, preferred_language="en")
    ConditionFactory(patient=patient, code="Z79.84", display="Long term (current) use of oral hypoglycemic drugs")
    CarePlanFactory(patient=patient, category="chronic", status="active")
    body = client.get(reverse("education:patient_education", args=[patient.public_id])).content.decode()
    start = body.index("Keeping a list of your medicines")
    item = body[start : body.index("</li>", start)]
    assert (
        "Why: Long term (current) use of oral hypoglycemic drugs (Z79.84); "
        "care plan program: Chronic condition management"
    ) in item
    assert "careplan chronic" not in body
    assert "condition Z79.84" not in body


def test_the_suggestion_order_puts_the_spanish_diabetes_material_first(client, rosa):
    body = client.get(reverse("education:patient_education", args=[rosa.public_id])).content.decode()
    start = body.index('<ol class="suggestions">')
    first_item = body[start : body.index("</li>", start)]
    assert 'lang="es"' in first_item


def test_recording_a_delivery_with_teach_back_adds_a_task_and_lists_it(client, actor, rosa):
    material = builtin("diabetes-basics", "es")
    url = reverse("education:patient_delivery_add", args=[rosa.public_id])
    response = client.post(url, {
        "delivery-material": str(material.public_id), "delivery-recipient": "patient",
        "delivery-method": "in_person", "delivery-teach_back": "needs_reinforcement",
        "delivery-teach_back_note": "Mixed up the 15-15 rule",
    }, follow=True)  # fmt: skip
    body = response.content.decode()
    delivery = Delivery.objects.get(patient=rosa)
    assert "A follow-up task is on your worklist" in body
    assert "Teach again: Vivir con diabetes" in body
    assert "Needs reinforcement" in body
    assert Task.objects.get(pk=delivery.follow_up_task_id).owner == actor.user
    pdf = client.get(reverse("education:delivery_pdf", args=[delivery.public_id]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")


def test_a_family_member_without_permission_is_not_offered(client, rosa):
    RelatedPersonFactory(patient=rosa, given_name="Lucia", may_receive_information=True)
    RelatedPersonFactory(patient=rosa, given_name="Tomasito", may_receive_information=False)
    body = client.get(reverse("education:patient_education", args=[rosa.public_id])).content.decode()
    assert "Lucia" in body
    assert "Tomasito" not in body.split('name="delivery-recipient"')[1].split("</select>")[0]


def test_an_invalid_delivery_shows_the_form_again_with_400(client, rosa):
    url = reverse("education:patient_delivery_add", args=[rosa.public_id])
    response = client.post(url, {"delivery-recipient": "patient", "delivery-method": "in_person"})
    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_email_without_consent_shows_the_reason(client, rosa):
    material = builtin("diabetes-basics", "es")
    url = reverse("education:patient_delivery_add", args=[rosa.public_id])
    response = client.post(url, {
        "delivery-material": str(material.public_id), "delivery-recipient": "patient", "delivery-method": "email",
    })  # fmt: skip
    assert response.status_code == 400
    assert "no email address" in response.content.decode()


def test_teach_back_from_the_list(client, actor, rosa):
    delivery = services.delivery_record(actor=actor, patient=rosa, material=builtin("insulin", "es"), method="printed")
    response = client.post(
        reverse("education:delivery_teach_back", args=[delivery.public_id]),
        {"result": "not_understood", "note": "", "version": delivery.version},
    )
    assert response.status_code == 302
    assert Delivery.objects.get(pk=delivery.pk).follow_up_task.title == "Teach again: Cómo usar la insulina sin peligro"


def test_a_scheduler_sees_the_tab_without_the_delivery_form(client_for, org, rosa):
    scheduler = make_actor(org, Role.SCHEDULER)
    body = client_for(scheduler).get(reverse("education:patient_education", args=[rosa.public_id])).content.decode()
    assert "Suggested materials" in body
    assert "Give a material" not in body


def test_the_tab_and_a_delivery_are_404_for_another_organization(client_for, other_actor, actor, rosa):
    delivery = services.delivery_record(actor=actor, patient=rosa, material=builtin("insulin", "es"), method="printed")
    other = client_for(other_actor)
    assert other.get(reverse("education:patient_education", args=[rosa.public_id])).status_code == 404
    assert other.get(reverse("education:delivery_pdf", args=[delivery.public_id])).status_code == 404


def test_the_tab_runs_a_fixed_number_of_queries_however_many_deliveries(client, actor, rosa):
    rosa.email, rosa.consent_email = "rosa@example.org", True
    rosa.save()
    url = reverse("education:patient_education", args=[rosa.public_id])
    counts = []
    for topic in ("insulin", "diabetes-basics", "low-blood-sugar", "asthma"):
        services.delivery_record(
            actor=actor, patient=rosa, material=builtin(topic, "es"), method="email", teach_back="needs_reinforcement"
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries.captured_queries))
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 30


def test_teach_back_without_a_result_keeps_the_typed_note(client, actor, rosa):
    delivery = services.delivery_record(actor=actor, patient=rosa, material=builtin("insulin", "es"), method="printed")
    response = client.post(
        reverse("education:delivery_teach_back", args=[delivery.public_id]),
        {"result": "", "note": "Could not say when to check sugar", "version": delivery.version},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose what teach-back showed." in body
    assert 'value="Could not say when to check sugar"' in body
    assert Delivery.objects.get(pk=delivery.pk).teach_back_note == ""
