"""FHIR MedicationStatement: status verbatim, RxNorm, prescriber, dosage both ways, search, writes via services."""

import datetime as dt

from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.interop.fhir.base import instant
from carecoord.medications import services
from carecoord.medications.models import MedicationList, MedicationStatement

from ...factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory, make_actor
from .conftest import assert_valid, outcome_text

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"


def a_list(organization, patient, prescriber=None, **line):
    actor = make_actor(organization, Role.COORDINATOR)
    values = {"display": "lisinopril 10 MG Oral Tablet", "rxnorm_code": "314076", "dose": "10 mg",
              "frequency_code": "daily", "route_code": "26643006", "prescriber": prescriber,
              "start_date": dt.date(2026, 1, 5), "adherence_note": "Takes it with breakfast", **line}  # fmt: skip
    return services.medication_list_create(actor=actor, patient=patient, source="discharge",
                                           list_date=dt.date(2026, 2, 1), lines=[values])  # fmt: skip


def statement(patient, **extra) -> dict:
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "6809", "display": "metformin"}],
            "text": "Metformin 500 mg",
        },
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "effectivePeriod": {"start": "2026-01-10"},
        "dosage": [
            {
                "text": "500 mg by mouth twice daily",
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "route": {"coding": [{"system": SNOMED, "code": "26643006"}]},
                "doseAndRate": [{"doseQuantity": {"value": 500, "unit": "mg"}}],
            }
        ],
        **extra,
    }


def test_read_maps_status_rxnorm_prescriber_and_dosage(fhir):
    patient = PatientFactory(organization=fhir.organization)
    practice = ExternalOrganizationFactory(organization=fhir.organization, name="Heart Partners")
    cardiologist = PractitionerFactory(organization=fhir.organization, given_name="Carl", family_name="Berg",
                                       external_organization=practice)  # fmt: skip
    line = a_list(fhir.organization, patient, cardiologist).lines.get()
    resource = assert_valid(fhir.get(f"MedicationStatement/{line.public_id}").json())
    assert resource["status"] == "active"
    assert resource["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "314076", "display": "lisinopril 10 MG Oral Tablet"}],
        "text": "lisinopril 10 MG Oral Tablet",
    }
    assert resource["informationSource"] == {"reference": f"Practitioner/{cardiologist.public_id}",
                                             "display": "Carl Berg, MD"}  # fmt: skip
    assert resource["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert resource["effectivePeriod"] == {"start": "2026-01-05"}
    assert resource["dateAsserted"] == "2026-02-01"
    assert resource["note"] == [{"text": "Takes it with breakfast"}]
    (dosage,) = resource["dosage"]
    assert dosage["text"] == "10 mg By mouth (oral) Once daily"
    assert dosage["route"]["coding"][0]["code"] == "26643006"
    assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
    assert dosage["doseAndRate"] == [{"doseQuantity": {"value": 10, "unit": "mg"}}]


def test_every_status_is_sent_verbatim_and_prn_is_as_needed(fhir):
    patient = PatientFactory(organization=fhir.organization)
    for status in ("completed", "intended", "stopped", "on-hold", "unknown", "not-taken", "entered-in-error"):
        line = a_list(fhir.organization, patient, status=status, frequency_code="prn", rxnorm_code="").lines.get()
        resource = assert_valid(fhir.get(f"MedicationStatement/{line.public_id}").json())
        assert resource["status"] == status
        assert resource["dosage"][0]["asNeededBoolean"] is True
        assert "coding" not in resource["medicationCodeableConcept"]


def test_search_by_patient_status_and_ingredient_code(fhir):
    patient, other = PatientFactory(organization=fhir.organization), PatientFactory(organization=fhir.organization)
    active = a_list(fhir.organization, patient).lines.get()
    a_list(fhir.organization, patient, status="stopped", display="Warfarin 5 mg", rxnorm_code="11289")
    a_list(fhir.organization, other)
    bundle = fhir.get("MedicationStatement", {"patient": f"Patient/{patient.public_id}", "status": "active"}).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(active.public_id)]
    bundle = fhir.get("MedicationStatement", {"patient": str(patient.public_id), "code": f"{RXNORM}|29046"}).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(active.public_id)]  # found by its ingredient
    assert fhir.get("MedicationStatement", {"code": "http://snomed.info/sct|29046"}).json()["total"] == 0


def test_create_joins_the_days_external_list_and_reads_back_the_same(fhir):
    patient = PatientFactory(organization=fhir.organization)
    response = fhir.post("MedicationStatement", statement(patient))
    assert response.status_code == 201, response.content
    created = assert_valid(response.json())
    line = MedicationStatement.objects.get(public_id=created["id"])
    assert line.medication_list.source == "external"
    assert (line.rxnorm_code, line.ingredient_code, line.display) == ("6809", "6809", "Metformin 500 mg")
    assert (line.dose, line.frequency_code, line.route_code) == ("500 mg", "bid", "26643006")
    assert line.start_date == dt.date(2026, 1, 10)
    assert line.prescriber is None
    second = fhir.post("MedicationStatement", statement(patient, status="intended"))
    assert second.status_code == 201
    assert MedicationList.objects.filter(patient=patient).count() == 1


def test_create_refuses_a_bad_rxcui_an_unknown_status_and_a_foreign_prescriber(fhir, other_org):
    patient = PatientFactory(organization=fhir.organization)
    bad = statement(patient)
    bad["medicationCodeableConcept"]["coding"][0]["code"] = "60x9"
    response = fhir.post("MedicationStatement", bad)
    assert response.status_code == 422
    assert "digits only" in outcome_text(response)
    response = fhir.post("MedicationStatement", statement(patient, status="taking"))
    assert response.status_code == 400
    stranger = PractitionerFactory(organization=other_org)
    response = fhir.post(
        "MedicationStatement",
        statement(patient, informationSource={"reference": f"Practitioner/{stranger.public_id}"}),
    )
    assert response.status_code == 400
    assert "not in the directory" in outcome_text(response)
    assert not MedicationStatement.objects.exists()


def test_update_and_delete_work_on_source_lists(fhir):
    patient = PatientFactory(organization=fhir.organization)
    prescriber = PractitionerFactory(organization=fhir.organization)
    line = a_list(fhir.organization, patient).lines.get()
    body = statement(patient, id=str(line.public_id), status="on-hold",
                     informationSource={"reference": f"Practitioner/{prescriber.public_id}"})  # fmt: skip
    response = fhir.put(f"MedicationStatement/{line.public_id}", body, headers={"If-Match": f'W/"{line.version}"'})
    assert response.status_code == 200, response.content
    line.refresh_from_db()
    assert (line.status, line.prescriber, line.display) == ("on-hold", prescriber, "Metformin 500 mg")
    assert fhir.delete(f"MedicationStatement/{line.public_id}").status_code == 204
    line.refresh_from_db()
    assert line.status == "entered-in-error"


def test_a_line_of_a_signed_reconciled_list_cannot_change_through_the_api(fhir):
    patient = PatientFactory(organization=fhir.organization)
    actor = make_actor(fhir.organization, Role.COORDINATOR)
    first, second = a_list(fhir.organization, patient), a_list(fhir.organization, patient)
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=first, other_lists=[second])
    from carecoord.medications.selectors import reconciliation_rows

    _, rows = reconciliation_rows(reconciliation)
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                   decisions=[{"row_key": row.key, "action": "continue"} for row in rows])  # fmt: skip
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    line = reconciliation.result_list.lines.get()
    response = fhir.put(
        f"MedicationStatement/{line.public_id}",
        statement(patient, id=str(line.public_id)),
        headers={"If-Match": f'W/"{line.version}"'},
    )
    assert response.status_code == 409
    assert "signed reconciled list" in outcome_text(response)
    assert fhir.delete(f"MedicationStatement/{line.public_id}").status_code == 409


def test_another_organization_cannot_read_them(fhir, make_caller, other_org):
    patient = PatientFactory(organization=fhir.organization)
    line = a_list(fhir.organization, patient).lines.get()
    outsider = make_caller(other_org)
    assert outsider.get(f"MedicationStatement/{line.public_id}").status_code == 404
    assert outsider.get("MedicationStatement").json()["total"] == 0


RESUME_DATE = "urn:carecoord:fhir:medication-resume-date"


def test_a_held_medication_reads_as_on_hold_with_its_reason_and_resume_date(fhir):
    patient = PatientFactory(organization=fhir.organization)
    actor = make_actor(fhir.organization, Role.COORDINATOR)
    first, second = a_list(fhir.organization, patient), a_list(fhir.organization, patient)
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=first, other_lists=[second])
    from carecoord.medications.selectors import reconciliation_rows

    _, (row,) = reconciliation_rows(reconciliation)
    today = clock.today_in(fhir.organization.tz)
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=[
        {"row_key": row.key, "action": "hold", "note": "Until kidney function is rechecked", "resume_date": today,
         "ordered_by": "Dr. Ito"},
    ])  # fmt: skip
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    line = reconciliation.result_list.lines.get()
    resource = assert_valid(fhir.get(f"MedicationStatement/{line.public_id}").json())
    assert resource["status"] == "on-hold"
    assert resource["statusReason"] == [{"text": "Until kidney function is rechecked"}]
    assert resource["extension"] == [{"url": RESUME_DATE, "valueDate": today.isoformat()}]
    found = fhir.get("MedicationStatement", params={"patient": str(patient.public_id), "status": "on-hold"}).json()
    assert [entry["resource"]["id"] for entry in found["entry"]] == [str(line.public_id)]


def test_create_on_hold_keeps_the_reason_and_resume_date_and_reads_back_the_same(fhir):
    patient = PatientFactory(organization=fhir.organization)
    body = statement(patient, status="on-hold", statusReason=[{"text": "Hold 5 days before the procedure"}],
                     extension=[{"url": RESUME_DATE, "valueDate": "2026-12-10"}])  # fmt: skip
    response = fhir.post("MedicationStatement", body)
    assert response.status_code == 201, response.content
    created = assert_valid(response.json())
    line = MedicationStatement.objects.get(public_id=created["id"])
    assert (line.status, line.status_reason, line.resume_date) == (
        "on-hold", "Hold 5 days before the procedure", dt.date(2026, 12, 10)
    )  # fmt: skip
    assert created["status"] == "on-hold"
    assert created["statusReason"] == body["statusReason"]
    assert created["extension"] == body["extension"]
    active_with_resume = statement(patient, extension=[{"url": RESUME_DATE, "valueDate": "2026-12-10"}])
    response = fhir.post("MedicationStatement", active_with_resume)
    assert response.status_code in (400, 422)
    assert "only for a medication on hold" in outcome_text(response)


# Who ordered a change, stop or hold: informationSource and a note on the reconciled line it made ---------------


def reconcile(organization, patient, decision: dict, base=None, other=None):
    """Signs a reconciliation of two lists (one medication) with `decision`; returns its reconciled line."""
    from carecoord.medications.selectors import reconciliation_rows

    actor = make_actor(organization, Role.COORDINATOR)
    base = base or a_list(organization, patient)
    other = other or a_list(organization, patient)
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=base, other_lists=[other])
    _, (row,) = reconciliation_rows(reconciliation)
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                   decisions=[{"row_key": row.key, **decision}])  # fmt: skip
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    return reconciliation.result_list.lines.get(), reconciliation


def test_a_changed_line_names_the_directory_practitioner_who_ordered_it(fhir):
    patient = PatientFactory(organization=fhir.organization)
    prescriber = PractitionerFactory(organization=fhir.organization, given_name="Carl", family_name="Berg")
    orderer = PractitionerFactory(organization=fhir.organization, given_name="Hana", family_name="Ito")
    base = a_list(fhir.organization, patient, prescriber)
    line, reconciliation = reconcile(fhir.organization, patient, {
        "action": "change", "dose": "5 mg", "frequency_code": "bid", "ordered_by_practitioner": orderer.public_id,
    }, base=base)  # fmt: skip
    resource = assert_valid(fhir.get(f"MedicationStatement/{line.public_id}").json())
    assert resource["informationSource"] == {"reference": f"Practitioner/{orderer.public_id}", "display": str(orderer)}
    order_note, adherence = resource["note"]
    assert order_note["text"] == (
        "Changed in a medication reconciliation (dose 5 mg; frequency Twice daily (BID)), "
        f"ordered by {orderer.display_name}."
    )
    assert order_note["time"] == instant(reconciliation.signed_at)
    assert adherence == {"text": "Takes it with breakfast"}
    assert resource["dosage"][0]["doseAndRate"] == [{"doseQuantity": {"value": 5, "unit": "mg"}}]
    # the version stored when the line was written is the one read
    assert fhir.get(f"MedicationStatement/{line.public_id}/_history/{line.version}").json() == resource


def test_source_search_and_include_follow_what_information_source_shows(fhir):
    patient = PatientFactory(organization=fhir.organization)
    prescriber = PractitionerFactory(organization=fhir.organization)
    orderer = PractitionerFactory(organization=fhir.organization)
    base = a_list(fhir.organization, patient, prescriber)
    line, _ = reconcile(fhir.organization, patient, {"action": "stop", "ordered_by_practitioner": orderer.public_id},
                        base=base)  # fmt: skip

    def found(practitioner, **extra) -> list[str]:
        params = {"patient": str(patient.public_id), "source": f"Practitioner/{practitioner.public_id}", **extra}
        return [(e["resource"]["resourceType"], e["resource"]["id"]) for e in fhir.get("MedicationStatement",
                                                                                   params).json()["entry"]]  # fmt: skip

    assert found(orderer) == [("MedicationStatement", str(line.public_id))]
    assert ("MedicationStatement", str(line.public_id)) not in found(prescriber)
    assert found(prescriber) == [("MedicationStatement", str(base.lines.get().public_id))]
    included = found(orderer, _include="MedicationStatement:source")
    assert included == [("MedicationStatement", str(line.public_id)), ("Practitioner", str(orderer.public_id))]


def test_an_orderer_named_only_is_a_display_and_a_continued_line_keeps_its_orderer(fhir):
    patient = PatientFactory(organization=fhir.organization)
    prescriber = PractitionerFactory(organization=fhir.organization)
    held, _ = reconcile(fhir.organization, patient, {
        "action": "hold", "note": "Until kidney function is rechecked", "ordered_by": "Dr. Ito (hospitalist)",
    }, base=a_list(fhir.organization, patient, prescriber))  # fmt: skip
    resource = assert_valid(fhir.get(f"MedicationStatement/{held.public_id}").json())
    assert resource["informationSource"] == {"display": "Dr. Ito (hospitalist)"}
    assert resource["note"][0]["text"] == "Held in a medication reconciliation, ordered by Dr. Ito (hospitalist)."
    # reconciled again, the held line continued: the hold is still the last change, and who ordered it
    again, _ = reconcile(fhir.organization, patient, {"action": "continue", "chosen_line": held.public_id},
                         base=held.medication_list)  # fmt: skip
    continued = assert_valid(fhir.get(f"MedicationStatement/{again.public_id}").json())
    assert continued["informationSource"] == resource["informationSource"]
    assert continued["note"] == resource["note"]
    # continuing a source list's line: no order changed it, so its prescriber, as on the source list
    fresh, _ = reconcile(fhir.organization, patient, {"action": "continue"},
                         base=a_list(fhir.organization, patient, prescriber))  # fmt: skip
    plain = assert_valid(fhir.get(f"MedicationStatement/{fresh.public_id}").json())
    assert plain["informationSource"]["reference"] == f"Practitioner/{prescriber.public_id}"
    assert plain["note"] == [{"text": "Takes it with breakfast"}]


def test_a_search_of_reconciled_lines_makes_the_same_queries_whatever_their_number(fhir):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    patient = PatientFactory(organization=fhir.organization)
    orderer = PractitionerFactory(organization=fhir.organization)

    def queries(expected: int) -> int:
        params = {"patient": str(patient.public_id), "status": "stopped,on-hold", "_count": "50"}
        with CaptureQueriesContext(connection) as captured:
            bundle = fhir.get("MedicationStatement", params).json()
        assert len(bundle["entry"]) == expected
        assert all("ordered by" in entry["resource"]["note"][0]["text"] for entry in bundle["entry"])
        return len(captured.captured_queries)

    reconcile(fhir.organization, patient, {"action": "stop", "ordered_by_practitioner": orderer.public_id})
    few = queries(1)
    for _ in range(3):
        reconcile(fhir.organization, patient, {"action": "stop", "ordered_by_practitioner": orderer.public_id})
        reconcile(fhir.organization, patient, {"action": "hold", "note": "Recheck", "ordered_by": "Dr. Ito"})
    assert queries(7) == few
