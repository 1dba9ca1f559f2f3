"""Organization A's records-management rows (exports, disclosures, holds, amendments) for the isolation matrix."""

import datetime as dt

from carecoord.records.models import (
    AmendmentRequest,
    Disclosure,
    LegalHold,
    PatientDeletion,
    PatientExport,
    RetentionPolicy,
)

NAMESPACE = "records"


def build(world) -> dict:
    a, patient = world["a"], world["patient"]
    org, user = a.organization, a.user
    at = dt.datetime(2026, 1, 8, 15, tzinfo=dt.UTC)
    manifest = {"files": [{"name": "bundle.json", "sha256": "0" * 64}]}
    export = PatientExport.objects.create(organization=org, patient=patient, requested_by=user,
                                          recipient="Alpha export recipient", status="done",
                                          manifest=manifest)  # fmt: skip
    hold = LegalHold.objects.create(organization=org, patient=patient, reason="Alpha hold reason", placed_by=user,
                                    placed_at=at)  # fmt: skip
    disclosure = Disclosure.objects.create(organization=org, patient=patient, patient_public_id=patient.public_id,
                                           disclosed_at=at, user=user, recipient="Alpha disclosure recipient",
                                           description="Alpha disclosure")  # fmt: skip
    amendment = AmendmentRequest.objects.create(organization=org, patient=patient, target="demographics",
                                                field="preferred_name", requested_text="Alpha amendment",
                                                requested_by="Alpha requester", received_at=at,
                                                recorded_by=user)  # fmt: skip
    RetentionPolicy.objects.create(organization=org, retention_years=12)
    return {"patient": patient, "export": export, "hold": hold, "disclosure": disclosure, "amendment": amendment,
            "file": "bundle.json"}  # fmt: skip


TARGETS: dict[str, str] = {}
PARAMS = {
    "patient_id": "patient",
    "export_id": "export",
    "hold_id": "hold",
    "name": "file",
    "amendment_id": "amendment",
}
SECRETS = ["Alpha export recipient", "Alpha hold reason", "Alpha disclosure", "Alpha amendment", "Alpha requester"]
MODELS = [PatientExport, LegalHold, Disclosure, PatientDeletion, AmendmentRequest, RetentionPolicy]
