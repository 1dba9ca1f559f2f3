"""
Writes of patient education. A map:
- the library: `material_create`, `material_update` (optimistic version, a revision kept per save),
  `material_copy` (a built-in or another language's version into the organization's own library to adapt),
  `material_archive`; built-ins are read-only;
- deliveries: `delivery_record` (in person, printed, or emailed through the outbox), to the patient or a family
  member allowed to receive information, with teach-back; `delivery_teach_back_record` for a later check.
  Teach-back "needs reinforcement" or "did not understand" puts one follow-up task on the worklist (deduped per
  delivery); "understood" later completes that task.
"""

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskSource
from carecoord.careplans.models import Task
from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carecoord.core.versioning import save_versioned
from carecoord.messaging.choices import Channel
from carecoord.messaging.services import message_queue
from carecoord.patients.choices import LANGUAGE_NAMES
from carecoord.patients.models import Patient, RelatedPerson
from carecoord.patients.selectors import patient_get

from .builtin import reading_fields
from .choices import FOLLOW_UP_TEACH_BACK, Audience, DeliveryMethod, TeachBack
from .domain import pdf_problem
from .markup import to_plain
from .models import Delivery, Material, MaterialRevision
from .selectors import material_get

DELIVERY_FOCUS = "education.Delivery"
FOLLOW_UP_DAYS = {TeachBack.NEEDS_REINFORCEMENT: 7, TeachBack.NOT_UNDERSTOOD: 2}
BUILTIN_MESSAGE = "Built-in materials are read-only. Make a copy for your organization to change it."
EDITABLE_FIELDS = (
    "title", "summary", "body", "audience", "icd10_prefixes", "snomed_codes", "rxnorm_codes",
    "careplan_categories", "review_on",
)  # fmt: skip


def _require_library_editor(actor: Actor) -> None:
    if not (actor.can_edit_patients or actor.is_org_admin):
        raise PermissionDeniedError("Your role does not allow changing the education library.")


def validate_pdf(upload: UploadedFile) -> None:
    """A real PDF (its first bytes say %PDF-) of at most 10 MB; anything else is refused."""
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    problem = pdf_problem(head, upload.size)
    if problem:
        raise ValidationError(problem, field="pdf")


def _clean_codes(values, *, icd10: bool = False) -> list[str]:
    codes = []
    for value in values or []:
        code = str(value).strip()
        if not code:
            continue
        if not code.replace(".", "").isalnum() or len(code) > 20:
            raise ValidationError(f"“{code[:20]}” is not a code.", field="icd10_prefixes" if icd10 else "rxnorm_codes")
        codes.append(code.upper() if icd10 else code)
    return list(dict.fromkeys(codes))


def _apply(material: Material, data: dict) -> None:
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(material, name, data[name])
    material.title = (material.title or "").strip()
    material.summary = (material.summary or "").strip()
    material.body = (material.body or "").strip()
    material.icd10_prefixes = _clean_codes(material.icd10_prefixes, icd10=True)
    material.snomed_codes = _clean_codes(material.snomed_codes)
    material.rxnorm_codes = _clean_codes(material.rxnorm_codes)
    material.careplan_categories = list(dict.fromkeys(material.careplan_categories or []))
    if not material.title:
        raise ValidationError("Give the material a title.", field="title")
    if material.audience not in Audience.values:
        raise ValidationError("Choose who the material is for.", field="audience")
    for name, value in reading_fields(material.body, material.language).items():
        setattr(material, name, value)


def _revision(actor: Actor, material: Material) -> None:
    MaterialRevision.objects.create(
        organization=actor.organization,
        material=material,
        material_version=material.version,
        title=material.title,
        body=material.body,
        edited_by=actor.user,
        edited_at=clock.now(),
    )


@transaction.atomic
def material_create(*, actor: Actor, data: dict, pdf: UploadedFile | None = None) -> Material:
    """Adds a material to the organization's library: text in the safe markup, or an uploaded PDF."""
    _require_library_editor(actor)
    topic = (data.get("topic") or "").strip()
    material = Material(organization=actor.organization, topic=topic, language=data.get("language") or "en")
    _apply(material, data)
    if not topic:
        raise ValidationError("Give the material a topic (e.g. diabetes-basics).", field="topic")
    if pdf is not None:
        validate_pdf(pdf)
    if not material.body and pdf is None:
        raise ValidationError("Write the material's text or upload a PDF.", field="body")
    if Material.objects.filter(organization=actor.organization, topic=topic, language=material.language).exists():
        raise ConflictError(
            f"Your library already has this topic in {material.language_name}; edit that one.", field="topic"
        )
    material.edited_by = actor.user
    if pdf is not None:
        material.pdf.save("upload.pdf", pdf, save=False)
    try:
        with transaction.atomic():
            material.save()
    except IntegrityError as exc:
        raise ConflictError("Your library already has this topic in that language.", field="topic") from exc
    _revision(actor, material)
    audit_record(actor=actor, event="education_material.create", action=AuditAction.CREATE, target=material)
    return material


def _own(actor: Actor, material: Material) -> Material:
    if material.is_builtin:
        raise InvalidStateError(BUILTIN_MESSAGE)
    if material.organization_id != actor.organization.pk:
        raise NotFoundError()
    return material


@transaction.atomic
def material_update(
    *, actor: Actor, material: Material, data: dict, expected_version: int, pdf: UploadedFile | None = None
) -> Material:
    """Saves an edit of the organization's own material if nobody saved it since; keeps a revision."""
    _require_library_editor(actor)
    _own(actor, material)
    _apply(material, data)
    fields = [*EDITABLE_FIELDS, "reading_formula", "reading_score", "reading_grade", "edited_by"]
    if pdf is not None:
        validate_pdf(pdf)
        material.pdf.save("upload.pdf", pdf, save=False)
        fields.append("pdf")
    if not material.body and not material.pdf:
        raise ValidationError("Write the material's text or upload a PDF.", field="body")
    material.edited_by = actor.user
    save_versioned(material, expected_version=expected_version, fields=fields)
    _revision(actor, material)
    audit_record(actor=actor, event="education_material.update", action=AuditAction.UPDATE, target=material)
    return material


@transaction.atomic
def material_copy(*, actor: Actor, material: Material) -> Material:
    """Copies a material (a built-in, usually) into the organization's library, where it can be edited."""
    _require_library_editor(actor)
    material = material_get(actor, material.public_id)
    if Material.objects.filter(
        organization=actor.organization, topic=material.topic, language=material.language
    ).exists():
        raise ConflictError("Your library already has its own version of this material; edit that one.")
    copy = Material(
        organization=actor.organization,
        topic=material.topic,
        language=material.language,
        pdf=material.pdf.name if material.pdf else "",
        source_note=material.source_note,
        edited_by=actor.user,
    )
    _apply(copy, {name: getattr(material, name) for name in EDITABLE_FIELDS})
    copy.save()
    _revision(actor, copy)
    audit_record(
        actor=actor,
        event="education_material.copy",
        action=AuditAction.CREATE,
        target=copy,
        detail={"from": str(material.public_id)},
    )
    return copy


@transaction.atomic
def material_archive(*, actor: Actor, material: Material, expected_version: int) -> Material:
    """Takes the organization's material out of the library and suggestions; past deliveries still name it."""
    _require_library_editor(actor)
    _own(actor, material)
    material.active = False
    save_versioned(material, expected_version=expected_version, fields=["active"])
    audit_record(actor=actor, event="education_material.archive", action=AuditAction.UPDATE, target=material)
    return material


# Deliveries -------------------------------------------------------------------------------------------------


def _recipient(patient: Patient, related_person: RelatedPerson | None) -> RelatedPerson | None:
    if related_person is None:
        return None
    if related_person.patient_id != patient.pk or not related_person.active:
        raise NotFoundError("That person is not on this patient's family list.")
    if not related_person.may_receive_information:
        raise ValidationError(
            f"{related_person.display_name} is not allowed to receive information about this patient's care. "
            "Record the patient's permission on the chart first.",
            field="recipient",
        )
    return related_person


def _email_address(patient: Patient, person: RelatedPerson | None) -> str:
    if person is not None:
        if not person.email:
            raise ValidationError(f"There is no email address for {person.display_name}.", field="method")
        return person.email
    if not patient.email:
        raise ValidationError("There is no email address on the patient's record.", field="method")
    if not patient.consent_email:
        raise ValidationError("The patient has not agreed to receive email.", field="method")
    return patient.email


def _email_body(material: Material, recipient_name: str, organization_name: str) -> str:
    greeting = "Hola" if material.language == "es" else "Hello"
    closing = (
        f"Si tiene preguntas, llame a su equipo de salud en {organization_name}."
        if material.language == "es"
        else f"If you have questions, call your care team at {organization_name}."
    )
    return f"{greeting} {recipient_name},\n\n{material.title}\n\n{to_plain(material.body)}\n\n{closing}\n"


@transaction.atomic
def delivery_record(
    *,
    actor: Actor,
    patient: Patient,
    material: Material,
    method: str,
    related_person: RelatedPerson | None = None,
    teach_back: str = TeachBack.NOT_ASSESSED,
    teach_back_note: str = "",
    note: str = "",
) -> Delivery:
    """
    Records giving a material to the patient or a family member; an email goes out through the outbox (after
    commit, by the worker). A teach-back showing the person needs more teaching puts a follow-up task on the
    worklist.
    """
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    material = material_get(actor, material.public_id)
    if not material.active:
        raise InvalidStateError("That material is archived; choose a current one.", field="material")
    if method not in DeliveryMethod.values:
        raise ValidationError("Choose how the material was given.", field="method")
    if teach_back not in TeachBack.values:
        raise ValidationError("Choose a teach-back result.", field="teach_back")
    person = _recipient(patient, related_person)
    address = ""
    if method == DeliveryMethod.EMAIL:
        if not material.body:
            raise ValidationError("This material is a PDF file: print it or give it in person.", field="method")
        address = _email_address(patient, person)
    now = clock.now()
    delivery = Delivery.objects.create(
        organization=actor.organization,
        patient=patient,
        material=material,
        material_version=material.version,
        title=material.title,
        language=material.language,
        method=method,
        related_person=person,
        delivered_at=now,
        delivered_by=actor.user,
        note=(note or "").strip()[:500],
        teach_back=teach_back,
        teach_back_at=now if teach_back else None,
        teach_back_by=actor.user if teach_back else None,
        teach_back_note=(teach_back_note or "").strip()[:500],
    )
    if method == DeliveryMethod.EMAIL:
        name = person.given_name if person else (patient.preferred_name or patient.given_name)
        delivery.outbox_message, _ = message_queue(
            organization=actor.organization,
            channel=Channel.EMAIL,
            to_address=address,
            subject=material.title,
            body=_email_body(material, name, actor.organization.name),
            language=material.language,
            patient=patient,
            related_person=person,
            idempotency_key=f"education:{delivery.public_id}",
            kind="education",
            focus_type=DELIVERY_FOCUS,
            focus_id=delivery.public_id,
        )
    if teach_back in FOLLOW_UP_TEACH_BACK:
        delivery.follow_up_task = _follow_up_task(actor, delivery)
    delivery.save(update_fields=["outbox_message", "follow_up_task"])
    audit_record(
        actor=actor,
        event="education_delivery.record",
        action=AuditAction.CREATE,
        target=delivery,
        patient=patient,
        detail={"method": method, "language": material.language, "teach_back": teach_back},
    )
    return delivery


def _follow_up_task(actor: Actor, delivery: Delivery) -> Task:
    whom = delivery.related_person.display_name if delivery.related_person_id else delivery.patient.display_name
    result = TeachBack(delivery.teach_back).label.lower()
    language = LANGUAGE_NAMES.get(delivery.language, delivery.language)
    days = FOLLOW_UP_DAYS[TeachBack(delivery.teach_back)]
    return careplan_services.task_create(
        actor=actor,
        patient=delivery.patient,
        kind=TaskKind.EDUCATION,
        title=f"Teach again: {delivery.title}",
        description=(
            f"Teach-back with {whom}: {result}. Go over “{delivery.title}” ({language}) again and check "
            f"understanding with teach-back. {delivery.teach_back_note}".strip()
        ),
        due_date=clock.today_in(actor.organization.tz) + dt.timedelta(days=days),
        owner=actor.user,
        source=TaskSource.EDUCATION,
        focus_type=DELIVERY_FOCUS,
        focus_id=delivery.public_id,
        dedupe_key=f"education:teach-back:{delivery.public_id}",
    )


@transaction.atomic
def delivery_teach_back_record(
    *, actor: Actor, delivery: Delivery, result: str, note: str = "", expected_version: int
) -> Delivery:
    """
    Records teach-back after the material was given (an emailed handout, a call the next day). Needing more
    teaching adds the follow-up task; understanding completes an open one.
    """
    require_patient_editor(actor)
    patient_get(actor, delivery.patient.public_id, audit_event=None)
    if delivery.organization_id != actor.organization.pk:
        raise NotFoundError()
    if result not in TeachBack.values or not result:
        raise ValidationError("Choose what teach-back showed.", field="result")
    delivery.teach_back = result
    delivery.teach_back_at = clock.now()
    delivery.teach_back_by = actor.user
    delivery.teach_back_note = (note or "").strip()[:500]
    fields = ["teach_back", "teach_back_at", "teach_back_by", "teach_back_note"]
    if result in FOLLOW_UP_TEACH_BACK and delivery.follow_up_task_id is None:
        delivery.follow_up_task = _follow_up_task(actor, delivery)
        fields.append("follow_up_task")
    save_versioned(delivery, expected_version=expected_version, fields=fields)
    task = delivery.follow_up_task
    if result == TeachBack.UNDERSTOOD and task is not None and task.status in OPEN_TASK_STATUSES:
        careplan_services.task_complete(
            actor=actor, task=task, note="Teach-back: understood.", expected_version=task.version
        )
    audit_record(
        actor=actor,
        event="education_delivery.teach_back",
        action=AuditAction.UPDATE,
        target=delivery,
        patient=delivery.patient,
        detail={"teach_back": result},
    )
    return delivery
