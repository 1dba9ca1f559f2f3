"""FHIR DocumentReference: signed progress notes as US Core clinical notes with a text/plain attachment."""

import base64
import datetime as dt
import hashlib

import pytest

from carecoord.checkins.services import note_addendum_add, note_create, note_sign

from ...factories import PatientFactory, make_actor
from .conftest import assert_valid

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def write(fhir, patient, body="Feeling better; walking daily.", sign=True):
    actor = make_actor(fhir.organization)
    note = note_create(actor=actor, patient=patient, template="phone_checkin", data={"body": body})
    if sign:
        note = note_sign(actor=actor, note=note, expected_version=note.version)
    return actor, note


def test_a_signed_note_with_an_addendum(fhir):
    patient = PatientFactory(organization=fhir.organization)
    actor, note = write(fhir, patient)
    note_addendum_add(actor=actor, note=note, text="Also asked about the flu shot.")
    body = assert_valid(fhir.get(f"DocumentReference/{note.public_id}").json())
    assert body["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"]
    assert (body["status"], body["docStatus"]) == ("current", "final")
    assert body["type"]["coding"][0] == {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}
    assert body["category"][0]["coding"][0]["code"] == "clinical-note"
    assert body["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert body["date"] == "2026-11-26T15:00:00Z"
    assert body["authenticator"]["identifier"]["value"] == str(actor.user.public_id)
    attachment = body["content"][0]["attachment"]
    assert attachment["contentType"] == "text/plain; charset=utf-8"
    text = base64.b64decode(attachment["data"])
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(text).digest()).decode()  # noqa: S324 - FHIR says SHA-1
    assert attachment["size"] == len(text)
    decoded = text.decode("utf-8")
    assert decoded.startswith("Phone check-in\n")
    assert "Feeling better; walking daily." in decoded
    assert "Also asked about the flu shot." in decoded
    assert body["identifier"][0]["value"] == note.content_sha256


def test_drafts_are_not_shared_and_search_works(fhir):
    patient = PatientFactory(organization=fhir.organization)
    _, draft = write(fhir, patient, sign=False)
    _, signed = write(fhir, patient)
    assert fhir.get(f"DocumentReference/{draft.public_id}").status_code == 404

    def ids(params):
        bundle = fhir.get("DocumentReference", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return [e["resource"]["id"] for e in bundle.get("entry", [])]

    mine = {"patient": f"Patient/{patient.public_id}"}
    assert ids(mine) == [str(signed.public_id)]
    assert ids({**mine, "type": "http://loinc.org|11506-3"}) == [str(signed.public_id)]
    assert ids({**mine, "type": "18842-5"}) == []
    assert ids({**mine, "date": "2026-11-26"}) == [str(signed.public_id)]
    assert ids({**mine, "date": "lt2026-11-26"}) == []
    assert fhir.get(f"DocumentReference/{signed.public_id}/_history").status_code == 405


def test_not_seen_by_another_organization(fhir, make_caller, other_org):
    _, note = write(fhir, PatientFactory(organization=fhir.organization))
    assert make_caller(other_org).get(f"DocumentReference/{note.public_id}").status_code == 404
