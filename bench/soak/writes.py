"""
The soak's multi-object write, idempotent end to end with what the FHIR API offers today (conditional
create): a patient (If-None-Exist on its MRN), then one transaction Bundle holding a care plan and its goals,
each entry conditional (the plan on its patient, each goal on its patient and target date). A client that
retries after a crash, a reset or a 503 therefore never creates a second copy, and the Bundle commits
entirely or not at all, so a care plan never exists with fewer goals than were sent.
"""

import time
import uuid

import requests

GOALS = 3
MRN_SYSTEM = "urn:carecoord:soak:mrn"
GOAL_EXTENSION = "urn:carecoord:fhir:careplan"
FHIR = "application/fhir+json"
RETRYABLE = {429, 502, 503, 504}


def patient_resource(mrn: str) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                "system": MRN_SYSTEM,
                "value": mrn,
            }
        ],
        "name": [{"use": "official", "family": "Soakwright", "given": [mrn]}],
        "gender": "unknown",
        "birthDate": "1950-01-01",
    }


def plan_bundle(patient_id: str) -> dict:
    plan_url = f"urn:uuid:{uuid.uuid4()}"
    subject = {"reference": f"Patient/{patient_id}"}
    entries = [
        {
            "fullUrl": plan_url,
            "resource": {
                "resourceType": "CarePlan",
                "status": "active",
                "intent": "plan",
                "category": [{"coding": [{"system": "urn:carecoord:careplan-category", "code": "chronic"}]}],
                "title": "Soak plan",
                "subject": subject,
                "period": {"start": "2026-01-01"},
            },
            "request": {"method": "POST", "url": "CarePlan", "ifNoneExist": f"patient=Patient/{patient_id}"},
        }
    ]
    for n in range(1, GOALS + 1):
        due = f"2027-01-{n:02d}"
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "Goal",
                    "extension": [{"url": GOAL_EXTENSION, "valueReference": {"reference": plan_url}}],
                    "lifecycleStatus": "active",
                    "description": {"text": f"Soak goal {n}"},
                    "subject": subject,
                    "startDate": "2026-01-01",
                    "target": [{"dueDate": due}],
                },
                "request": {
                    "method": "POST",
                    "url": "Goal",
                    "ifNoneExist": f"patient=Patient/{patient_id}&target-date={due}",
                },
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


class FhirClient:
    """A bearer-token FHIR client that records every status it sees and retries what is retryable."""

    def __init__(self, base: str, token_source, *, give_up_after: float = 120.0):
        self.base, self.token_source, self.give_up_after = base, token_source, give_up_after
        self.session = requests.Session()
        self.token = None
        self.statuses: dict[int | str, int] = {}

    def _note(self, key) -> None:
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Sends until a non-retryable answer; connection errors and 429/5xx-unavailable are retried."""
        deadline = time.monotonic() + self.give_up_after
        while True:
            try:
                if self.token is None:
                    self.token = self.token_source()
                headers = {"Authorization": f"Bearer {self.token}", "Content-Type": FHIR, "Accept": FHIR}
                response = self.session.request(
                    method, f"{self.base}/fhir/R4/{path}", headers={**headers, **kwargs.pop("headers", {})},
                    timeout=30, **kwargs,
                )  # fmt: skip
                self._note(response.status_code)
                if response.status_code == 401:
                    self.token = None
                elif response.status_code not in RETRYABLE:
                    return response
            except requests.RequestException as exc:
                self._note(type(exc).__name__)
                self.session = requests.Session()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {path} did not succeed in {self.give_up_after} s")
            time.sleep(0.3)

    def write(self, mrn: str) -> dict:
        """One idempotent multi-object write; returns the ids the server acknowledged."""
        patient = self.request(
            "POST", "Patient", json=patient_resource(mrn), headers={"If-None-Exist": f"identifier={MRN_SYSTEM}|{mrn}"}
        )
        if patient.status_code not in (200, 201):
            raise AssertionError(f"Patient create answered {patient.status_code}: {patient.text[:300]}")
        patient_id = patient.json()["id"]
        bundle = self.request("POST", "", json=plan_bundle(patient_id))
        if bundle.status_code != 200:
            raise AssertionError(f"Bundle answered {bundle.status_code}: {bundle.text[:500]}")
        locations = [e["response"]["location"].split("/")[1] for e in bundle.json()["entry"]]
        return {"mrn": mrn, "patient": patient_id, "careplan": locations[0], "goals": locations[1:]}
