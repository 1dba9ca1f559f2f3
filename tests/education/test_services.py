"""Writes of patient education against the real database: the library, deliveries, teach-back and follow-up."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carecoord.careplans.choices import TaskSource, TaskStatus
from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carecoord.core.models import AuditEvent
from carecoord.education import services
from carecoord.education.models import Delivery, Material, MaterialRevision
from carecoord.education.selectors import deliveries_for_patient, material_get, materials_for, suggestions_for
from carecoord.messaging.models import OutboxMessage

from ..careplans.factories import CarePlanFactory
from ..factories import ConditionFactory, PatientFactory, RelatedPersonFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 26)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_frozen_clock")]


@pytest.fixture
def rosa(org):
    patient = PatientFactory(
        organization=org, given_name="Rosa", family_name="Delgado", preferred_language="es",
        email="rosa@example.org", consent_email=True,
    )  # fmt: skip
    ConditionFactory(patient=patient, code="E11.65", display="Type 2 diabetes with hyperglycemia")
    return patient


@pytest.fixture
def builtin_diabetes_es():
    return Material.objects.get(organization__isnull=True, topic="diabetes-basics", language="es")


def data(**overrides) -> dict:
    return {
        "topic": "foot-care", "language": "en", "title": "Caring for your feet", "summary": "",
        "body": "Look at your feet every day.\n\n- Wear shoes.", "audience": "patient", "icd10_prefixes": ["E11"],
        "snomed_codes": [], "rxnorm_codes": [], "careplan_categories": [], "review_on": None, **overrides,
    }  # fmt: skip


# The library -------------------------------------------------------------------------------------------------


def test_an_organization_adds_its_own_material_with_its_reading_level_and_a_first_revision(actor):
    material = services.material_create(actor=actor, data=data())
    assert material.organization == actor.organization
    assert material.reading_formula == "flesch-kincaid"
    assert material.reading_grade < 8
    assert list(material.revisions.values_list("material_version", flat=True)) == [1]
    assert AuditEvent.objects.filter(event="education_material.create", object_id=str(material.public_id)).exists()


def test_a_pdf_material_keeps_the_file_under_the_var_dir_with_a_name_of_our_own(actor, settings):
    upload = SimpleUploadedFile("Rosa Delgado diabetes.pdf", PDF, content_type="application/pdf")
    material = services.material_create(actor=actor, data=data(body=""), pdf=upload)
    assert material.pdf.name.startswith("education/")
    assert "Rosa" not in material.pdf.name
    assert material.pdf.path.startswith(str(settings.VAR_DIR))
    assert material.pdf.open("rb").read() == PDF
    assert material.reading_grade is None


def test_a_file_that_is_not_a_pdf_is_refused(actor):
    fake = SimpleUploadedFile("handout.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    with pytest.raises(ValidationError, match="not a PDF"):
        services.material_create(actor=actor, data=data(body=""), pdf=fake)
    assert not Material.objects.filter(organization=actor.organization).exists()


def test_a_material_needs_text_or_a_pdf_and_one_topic_per_language(actor):
    with pytest.raises(ValidationError, match="text or upload a PDF"):
        services.material_create(actor=actor, data=data(body=""))
    services.material_create(actor=actor, data=data())
    with pytest.raises(ConflictError):
        services.material_create(actor=actor, data=data(title="Again"))
    services.material_create(actor=actor, data=data(language="es", title="Cuide sus pies"))


def test_a_scheduler_cannot_change_the_library(org):
    scheduler = make_actor(org, Role.SCHEDULER)
    with pytest.raises(PermissionDeniedError):
        services.material_create(actor=scheduler, data=data())


def test_edits_are_versioned_and_a_stale_edit_is_refused(actor):
    material = services.material_create(actor=actor, data=data())
    services.material_update(actor=actor, material=material, data=data(title="Foot care"), expected_version=1)
    assert material.version == 2
    stale = Material.objects.get(pk=material.pk)
    with pytest.raises(ConflictError):
        services.material_update(actor=actor, material=stale, data=data(title="Old"), expected_version=1)
    assert Material.objects.get(pk=material.pk).title == "Foot care"
    assert list(MaterialRevision.objects.filter(material=material).values_list("material_version", "title")) == [
        (2, "Foot care"), (1, "Caring for your feet"),
    ]  # fmt: skip


def test_builtins_are_read_only_but_can_be_copied_once_to_adapt(actor, builtin_diabetes_es):
    with pytest.raises(InvalidStateError, match="read-only"):
        services.material_update(actor=actor, material=builtin_diabetes_es, data=data(), expected_version=1)
    copy = services.material_copy(actor=actor, material=builtin_diabetes_es)
    assert (copy.organization, copy.topic, copy.language, copy.title) == (
        actor.organization, "diabetes-basics", "es", "Vivir con diabetes",
    )  # fmt: skip
    with pytest.raises(ConflictError):
        services.material_copy(actor=actor, material=builtin_diabetes_es)


def test_another_organizations_material_is_not_found(actor, other_actor):
    theirs = services.material_create(actor=other_actor, data=data())
    with pytest.raises(NotFoundError):
        material_get(actor, theirs.public_id)
    with pytest.raises(NotFoundError):
        services.material_update(actor=actor, material=theirs, data=data(), expected_version=1)
    assert theirs not in materials_for(actor)


def test_an_archived_material_is_no_longer_offered(actor, rosa):
    material = services.material_create(actor=actor, data=data(topic="diabetes-basics", language="es"))
    services.material_archive(actor=actor, material=material, expected_version=1)
    assert material not in materials_for(actor)
    with pytest.raises(InvalidStateError):
        services.delivery_record(actor=actor, patient=rosa, material=material, method="in_person")


# Suggestions -------------------------------------------------------------------------------------------------


def test_a_spanish_speaker_with_diabetes_gets_spanish_diabetes_materials_first(actor, rosa):
    suggestions = suggestions_for(actor, rosa)
    first, material = suggestions[0]
    assert material.language == "es"
    assert first.in_patient_language
    topics = [m.topic for _, m in suggestions]
    assert "diabetes-basics" in topics
    assert "low-blood-sugar" in topics
    assert "asthma" not in topics


def test_the_organizations_own_version_replaces_the_builtin_in_suggestions(actor, rosa, builtin_diabetes_es):
    copy = services.material_copy(actor=actor, material=builtin_diabetes_es)
    materials = [m for _, m in suggestions_for(actor, rosa) if m.topic == "diabetes-basics"]
    assert materials == [copy]


def test_care_plan_categories_and_resolved_problems(actor, org):
    patient = PatientFactory(organization=org, preferred_language="en")
    ConditionFactory(patient=patient, code="J45.909", clinical_status="resolved")
    CarePlanFactory(patient=patient, category="post_discharge", status="active")
    topics = [m.topic for _, m in suggestions_for(actor, patient)]
    assert "after-the-hospital" in topics
    assert "asthma" not in topics


def test_a_patient_taking_warfarin_gets_the_blood_thinner_material_from_the_medications_app(actor, org):
    from carecoord.medications.services import medication_statement_record

    patient = PatientFactory(organization=org, preferred_language="en")
    medication_statement_record(
        actor=actor, patient=patient, data={"display": "warfarin 5 MG Oral Tablet", "ingredient_code": "11289"}
    )
    reasons = {m.topic: s.reasons for s, m in suggestions_for(actor, patient)}
    assert [(r.kind, r.code) for r in reasons["blood-thinners"]] == [("medication", "11289")]
    assert [r.text for r in reasons["blood-thinners"]] == ["medicine: warfarin 5 MG Oral Tablet (RxNorm 11289)"]
    assert "insulin" not in reasons


def test_an_english_version_is_suggested_when_the_topic_has_none_in_the_patients_language(actor, org):
    patient = PatientFactory(organization=org, preferred_language="es")
    ConditionFactory(patient=patient, code="M17.11", display="Osteoarthritis of the right knee")
    material = services.material_create(actor=actor, data=data(topic="knee", icd10_prefixes=["M17"]))
    ((suggestion, suggested),) = suggestions_for(actor, patient)
    assert suggested == material
    assert suggestion.is_fallback


# Deliveries --------------------------------------------------------------------------------------------------


def test_an_in_person_delivery_with_teach_back_understood_makes_no_task(actor, rosa, builtin_diabetes_es):
    delivery = services.delivery_record(
        actor=actor, patient=rosa, material=builtin_diabetes_es, method="in_person", teach_back="understood"
    )
    assert (delivery.language, delivery.material_version, delivery.teach_back_at) == ("es", 1, NOW)
    assert delivery.follow_up_task is None
    assert delivery.outbox_message is None
    assert list(deliveries_for_patient(actor, rosa)) == [delivery]
    assert AuditEvent.objects.filter(event="education_delivery.record", patient_public_id=rosa.public_id).exists()


@pytest.mark.parametrize(("result", "due_in"), [("needs_reinforcement", 7), ("not_understood", 2)])
def test_teach_back_short_of_understood_puts_one_follow_up_task_on_the_worklist(
    actor, rosa, builtin_diabetes_es, result, due_in
):
    delivery = services.delivery_record(
        actor=actor, patient=rosa, material=builtin_diabetes_es, method="in_person", teach_back=result,
        teach_back_note="Unsure when to check sugar",
    )  # fmt: skip
    task = delivery.follow_up_task
    assert (task.source, task.kind, task.owner, task.status) == (
        TaskSource.EDUCATION,
        "education",
        actor.user,
        "requested",
    )
    assert task.title == "Teach again: Vivir con diabetes"
    assert task.due_date == TODAY + dt.timedelta(days=due_in)
    assert "Unsure when to check sugar" in task.description
    assert task.focus_id == delivery.public_id
    # Recording the same result again later does not add a second task.
    services.delivery_teach_back_record(
        actor=actor, delivery=delivery, result=result, expected_version=delivery.version
    )
    assert Task.objects.filter(patient=rosa, source=TaskSource.EDUCATION).count() == 1


def test_understood_later_completes_the_follow_up_task(actor, rosa, builtin_diabetes_es):
    delivery = services.delivery_record(
        actor=actor, patient=rosa, material=builtin_diabetes_es, method="in_person", teach_back="needs_reinforcement"
    )
    services.delivery_teach_back_record(actor=actor, delivery=delivery, result="understood", expected_version=1)
    task = Task.objects.get(pk=delivery.follow_up_task_id)
    assert task.status == TaskStatus.COMPLETED
    assert task.outcome_note == "Teach-back: understood."
    assert Delivery.objects.get(pk=delivery.pk).teach_back == "understood"


def test_teach_back_after_an_email_adds_the_task_then(actor, rosa, builtin_diabetes_es):
    delivery = services.delivery_record(actor=actor, patient=rosa, material=builtin_diabetes_es, method="email")
    assert delivery.teach_back == ""
    assert delivery.follow_up_task is None
    services.delivery_teach_back_record(actor=actor, delivery=delivery, result="not_understood", expected_version=1)
    assert Delivery.objects.get(pk=delivery.pk).follow_up_task.source == TaskSource.EDUCATION
    with pytest.raises(ConflictError):
        services.delivery_teach_back_record(actor=actor, delivery=delivery, result="understood", expected_version=1)


def test_an_emailed_material_goes_through_the_outbox_in_its_language(actor, rosa, builtin_diabetes_es):
    delivery = services.delivery_record(actor=actor, patient=rosa, material=builtin_diabetes_es, method="email")
    message = OutboxMessage.objects.get(pk=delivery.outbox_message_id)
    assert (message.channel, message.to_address, message.language, message.subject) == (
        "email", "rosa@example.org", "es", "Vivir con diabetes",
    )  # fmt: skip
    assert message.body.startswith("Hola Rosa,")
    assert "- Tome su medicina" in message.body
    assert "<" not in message.body
    assert "#" not in message.body
    assert message.idempotency_key == f"education:{delivery.public_id}"
    assert message.patient == rosa


def test_email_needs_an_address_and_the_patients_consent(actor, org, builtin_diabetes_es):
    patient = PatientFactory(organization=org, email="x@example.org", consent_email=False)
    with pytest.raises(ValidationError, match="not agreed"):
        services.delivery_record(actor=actor, patient=patient, material=builtin_diabetes_es, method="email")
    assert not Delivery.objects.filter(patient=patient).exists()


def test_a_pdf_material_cannot_be_emailed(actor, rosa):
    upload = SimpleUploadedFile("h.pdf", PDF, content_type="application/pdf")
    pdf_material = services.material_create(actor=actor, data=data(body=""), pdf=upload)
    with pytest.raises(ValidationError, match="PDF file"):
        services.delivery_record(actor=actor, patient=rosa, material=pdf_material, method="email")


def test_a_family_member_receives_it_only_with_the_patients_permission(actor, rosa, builtin_diabetes_es):
    allowed = RelatedPersonFactory(
        patient=rosa, given_name="Lucia", may_receive_information=True, email="l@example.org"
    )
    not_allowed = RelatedPersonFactory(patient=rosa, given_name="Tomas", may_receive_information=False)
    delivery = services.delivery_record(
        actor=actor, patient=rosa, material=builtin_diabetes_es, method="email", related_person=allowed
    )
    assert delivery.related_person == allowed
    assert delivery.outbox_message.to_address == "l@example.org"
    assert delivery.outbox_message.body.startswith("Hola Lucia,")
    with pytest.raises(ValidationError, match="not allowed"):
        services.delivery_record(
            actor=actor, patient=rosa, material=builtin_diabetes_es, method="in_person", related_person=not_allowed
        )


def test_someone_elses_family_member_is_refused(actor, rosa, org, builtin_diabetes_es):
    stranger = RelatedPersonFactory(patient=PatientFactory(organization=org), may_receive_information=True)
    with pytest.raises(NotFoundError):
        services.delivery_record(
            actor=actor, patient=rosa, material=builtin_diabetes_es, method="in_person", related_person=stranger
        )


def test_another_organization_cannot_deliver_to_or_see_the_patient(rosa, other_actor, builtin_diabetes_es):
    with pytest.raises(NotFoundError):
        services.delivery_record(actor=other_actor, patient=rosa, material=builtin_diabetes_es, method="in_person")
    assert not Delivery.objects.exists()


def test_a_scheduler_sees_but_cannot_record_deliveries(org, rosa, builtin_diabetes_es):
    scheduler = make_actor(org, Role.SCHEDULER)
    assert suggestions_for(scheduler, rosa)
    with pytest.raises(PermissionDeniedError):
        services.delivery_record(actor=scheduler, patient=rosa, material=builtin_diabetes_es, method="in_person")
