"""A funding application's document checklist: marks received / not received, their tasks, access and audit."""

import datetime as dt
import importlib

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError
from carecoord.core.models import AuditEvent
from carecoord.core.versioning import StaleVersionError
from carecoord.coverage import funding_services as svc
from carecoord.coverage.models import ApplicationDocument, FundingApplication

from ..factories import PatientFactory, share_by_consent
from ..migration_steps import migrate_forward, migrated_back_to

MIGRATION = importlib.import_module("carecoord.coverage.migrations.0003_application_documents")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


@pytest.fixture
def app(actor, patient):
    data = {"program": "other", "program_name": "SNAP", "documents": ["Photo ID", "Proof of income"]}
    return svc.application_create(actor=actor, patient=patient, data=data)


def doc(app, name) -> ApplicationDocument:
    return app.documents.get(name=name)


def mark(actor, app, name, received=True):
    app.refresh_from_db()
    return svc.application_document_mark(
        actor=actor, document=doc(app, name), received=received, expected_version=app.version
    )


def test_marking_a_document_received_records_who_and_when_and_completes_its_task(actor, app):
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC), tick=False):
        document = mark(actor, app, "Photo ID")
    assert document.received_at == dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    assert document.received_by == actor.user
    assert svc.missing_count(app) == 1
    task = Task.objects.get(title="Get Photo ID for SNAP")
    assert task.status == "completed"
    assert task.outcome_note == "The document was received."
    assert Task.objects.get(title="Get Proof of income for SNAP").status == "requested"
    event = AuditEvent.objects.filter(event="funding.document_received").latest("pk")
    assert event.patient_public_id == app.patient.public_id
    assert event.detail["document"] == str(document.public_id)
    assert event.detail["missing"] == 1


def test_not_received_undoes_the_mark_and_puts_a_new_task_on_the_worklist(actor, app):
    mark(actor, app, "Photo ID")
    document = mark(actor, app, "Photo ID", received=False)
    assert document.received_at is None
    assert document.received_by is None
    tasks = Task.objects.filter(title="Get Photo ID for SNAP").order_by("id")
    assert [t.status for t in tasks] == ["completed", "requested"]
    assert AuditEvent.objects.filter(event="funding.document_not_received").count() == 1
    mark(actor, app, "Photo ID")  # and received again: the second task completes too
    assert [t.status for t in tasks.all()] == ["completed", "completed"]


def test_a_mark_moves_the_application_version_and_a_stale_one_is_refused(actor, app):
    stale = app.version
    mark(actor, app, "Photo ID")
    app.refresh_from_db()
    assert app.version == stale + 1
    with pytest.raises(StaleVersionError):
        svc.application_document_mark(
            actor=actor, document=doc(app, "Proof of income"), received=True, expected_version=stale
        )
    assert doc(app, "Proof of income").received_at is None
    # An edit form opened before the mark cannot save over it.
    with pytest.raises(StaleVersionError):
        svc.application_update(actor=actor, application=app, data={"documents": []}, expected_version=stale)
    assert app.documents.count() == 2


def test_marking_twice_says_it_is_already_marked(actor, app):
    mark(actor, app, "Photo ID")
    with pytest.raises(InvalidStateError, match="Photo ID is already marked received"):
        mark(actor, app, "Photo ID")


def test_another_organization_cannot_mark_without_seeing_the_patient(actor, other_actor, app):
    app.refresh_from_db()
    with pytest.raises(NotFoundError):
        svc.application_document_mark(
            actor=other_actor, document=doc(app, "Photo ID"), received=True, expected_version=app.version
        )
    assert doc(app, "Photo ID").received_at is None
    assert not AuditEvent.objects.filter(event="funding.document_received").exists()


def test_an_organization_the_patient_is_shared_with_reads_but_cannot_mark(actor, other_actor, app, patient):
    share_by_consent(actor, patient, other_actor.organization, dt.date(2026, 1, 5))
    app.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        svc.application_document_mark(
            actor=other_actor, document=doc(app, "Photo ID"), received=True, expected_version=app.version
        )
    assert doc(app, "Photo ID").received_at is None


def test_editing_the_list_keeps_the_marks_of_the_documents_still_listed(actor, app):
    mark(actor, app, "Photo ID")
    app.refresh_from_db()
    svc.application_update(
        actor=actor, application=app, data={"documents": ["photo  id", "Lease"]}, expected_version=app.version
    )
    assert list(app.documents.values_list("name", "received_by")) == [("Photo ID", actor.user.pk), ("Lease", None)]
    assert Task.objects.get(title="Get Proof of income for SNAP").status == "cancelled"
    assert Task.objects.get(title="Get Lease for SNAP").status == "requested"


def test_the_data_migration_splits_each_old_list_into_one_document_a_line(actor, patient, transactional_db):
    with migrated_back_to("coverage", "0002_appeal_decision_due") as executor:
        old_apps = executor.loader.project_state([("coverage", "0002_appeal_decision_due")]).apps
        Old = old_apps.get_model("coverage", "FundingApplication")
        common = {"organization_id": actor.organization.pk, "patient_id": patient.pk, "created_by_id": actor.user.pk}
        old_list = ["Medicare card", " Bank  statements ", "", "medicare card"]
        listed = Old.objects.create(program="msp", program_name="QMB", documents_missing=old_list, **common)
        empty = Old.objects.create(program="snap", program_name="SNAP", documents_missing=[], **common)
        migrate_forward(executor, "coverage", "0003_application_documents")
        documents = ApplicationDocument.objects.filter(application_id=listed.pk).order_by("id")
        assert list(documents.values_list("name", flat=True)) == ["Medicare card", "Bank statements"]
        assert {(d.organization_id, d.patient_id, d.received_at) for d in documents} == {
            (actor.organization.pk, patient.pk, None)
        }
        assert not ApplicationDocument.objects.filter(application_id=empty.pk).exists()
    assert FundingApplication.objects.count() == 2


def test_the_migration_reads_old_text_one_document_a_line():
    assert MIGRATION.document_names("Photo ID\n\n  Lease \nphoto id") == ["Photo ID", "Lease"]
    assert MIGRATION.document_names(["A", "a", " "]) == ["A"]
    assert MIGRATION.document_names(None) == []
