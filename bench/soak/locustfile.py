"""
Locust scenario for T31/T32 (run headless, one process, by test_load.py): a FHIR system client doing 80%
reads (patient and care plan searches, a patient read) and 20% idempotent multi-object writes. 429/503
answers carrying Retry-After count as shed load (not errors); any other 5xx is an error. The counts per
status go to the JSON file named by SOAK_LOCUST_REPORT when the run ends.
"""

import itertools
import json
import os
import random
import uuid

from locust import HttpUser, between, events, task

from bench.soak.writes import MRN_SYSTEM, patient_resource, plan_bundle

TOKEN = os.environ.get("SOAK_TOKEN", "")
COUNTS: dict[str, int] = {}
SHED_WITHOUT_RETRY_AFTER = [0]
SEQUENCE = itertools.count()
PREFIX = uuid.uuid4().hex[:6]


def classify(response) -> None:
    key = str(response.status_code)
    COUNTS[key] = COUNTS.get(key, 0) + 1
    if response.status_code in (429, 503):
        if not response.headers.get("Retry-After"):
            SHED_WITHOUT_RETRY_AFTER[0] += 1
            response.failure("shed without Retry-After")
        else:
            response.success()
    elif response.status_code >= 400:
        response.failure(f"HTTP {response.status_code}")


class Coordinator(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        fhir = "application/fhir+json"
        self.client.headers.update({"Authorization": f"Bearer {TOKEN}", "Accept": fhir, "Content-Type": fhir})
        self.patients: list[str] = []

    def _get(self, path: str, name: str) -> None:
        with self.client.get(f"/fhir/R4/{path}", name=name, catch_response=True) as response:
            classify(response)
            if response.status_code == 200 and name == "patient search":
                self.patients = [e["resource"]["id"] for e in response.json().get("entry", [])][:10]

    @task(4)
    def search_patients(self) -> None:
        self._get("Patient?_count=10", "patient search")

    @task(2)
    def read_patient(self) -> None:
        if self.patients:
            self._get(f"Patient/{random.choice(self.patients)}", "patient read")
        else:
            self._get("Patient?_count=10", "patient search")

    @task(2)
    def search_careplans(self) -> None:
        self._get("CarePlan?_count=10", "care plan search")

    @task(2)
    def write(self) -> None:
        mrn = f"LOAD-{PREFIX}-{next(SEQUENCE):06d}"
        with self.client.post(
            "/fhir/R4/Patient", json=patient_resource(mrn), headers={"If-None-Exist": f"identifier={MRN_SYSTEM}|{mrn}"},
            name="patient create", catch_response=True,
        ) as response:  # fmt: skip
            classify(response)
            if response.status_code not in (200, 201):
                return
            patient_id = response.json()["id"]
        with self.client.post(
            "/fhir/R4/", json=plan_bundle(patient_id), name="care plan bundle", catch_response=True
        ) as response:
            classify(response)


@events.quitting.add_listener
def write_report(environment, **kwargs) -> None:
    path = os.environ.get("SOAK_LOCUST_REPORT")
    if path:
        with open(path, "w") as handle:
            json.dump({"statuses": COUNTS, "shed_without_retry_after": SHED_WITHOUT_RETRY_AFTER[0]}, handle)
