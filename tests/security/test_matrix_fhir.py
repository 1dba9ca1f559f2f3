"""
T14, FHIR part: every resource type of the CapabilityStatement and every interaction it lists (read, vread,
instance and type history, search by A's patient or A's exact names/DOB/MRN, update, delete), plus
Patient/$everything and the three $export kick-offs, as a system client of organization B and with no token.
Instances answer 404, searches and exports contain nothing of A, A's rows stay byte-identical. The resource
types and interactions come from /fhir/R4/metadata, so a new one fails here until the matrix knows it.
"""

import pytest
from django.test import Client

from carecoord.interop.fhir.jobs import run_export_jobs

from .conftest import Fhir, assert_same, leaks_in, snapshot_all

# The world key of A's record behind each resource type (Slot is computed: see `a_ids`).
FHIR_TARGETS = {
    "Appointment": "appointment", "CarePlan": "careplan", "CareTeam": "patient", "Communication": "outreach",
    "Condition": "condition", "Consent": "consent", "Coverage": "coverage:coverage", "DocumentReference": "note",
    "Encounter": "transitions:encounter", "Goal": "goal", "Location": "location",
    "MedicationStatement": "medications:line", "Observation": "measurement", "Organization": "ext",
    "Patient": "patient", "Practitioner": "practitioner", "PractitionerRole": "practitioner",
    "QuestionnaireResponse": "assessment", "RelatedPerson": "person", "Schedule": "hours",
    "ServiceRequest": "community:referral", "Task": "task", "Slot": None,
}  # fmt: skip
# Searches that point at A: by A's patient where the type has one, else by A's names, DOB, MRN or record.
PATIENT_SEARCHES = [("name", "Quixotic"), ("family", "Quixotic"), ("given", "Zebulon"), ("birthdate", "1951-02-03"),
                    ("identifier", "ALPHA-7731"), ("phone", "3125550177")]  # fmt: skip
HANDLED = {"read", "vread", "history-instance", "history-type", "search-type", "create", "update", "delete"}


def capability(fhir: Fhir) -> list[dict]:
    response = fhir.get("metadata")
    assert response.status_code == 200
    resources = response.json()["rest"][0]["resource"]
    assert len(resources) >= 20, "the CapabilityStatement lists too few resource types"
    for entry in resources:
        if entry["type"] not in FHIR_TARGETS:
            pytest.fail(f"FHIR type {entry['type']} is not in the isolation matrix: add it to FHIR_TARGETS.")
        unknown = {i["code"] for i in entry["interaction"]} - HANDLED
        assert not unknown, f"{entry['type']}: interactions {unknown} are not in the isolation matrix"
    return resources


def a_ids(world, fhir_a: Fhir) -> dict[str, str]:
    """A's id of every type, read back through A's own client (the positive control: each id is real)."""
    ids = {}
    for resource_type, key in FHIR_TARGETS.items():
        if key is None:
            continue
        record = world[key] if key != "consent" else world["share"].consent
        ids[resource_type] = str(record.public_id)
    slots = fhir_a.get("Slot", {"start": ["ge2030-01-07", "le2030-01-21"]})
    assert slots.status_code == 200, slots.content
    entries = slots.json().get("entry", [])
    assert entries, "A's practitioner has no free slot to probe"
    ids["Slot"] = entries[0]["resource"]["id"]
    return ids


def searches(resource_type: str, entry: dict, ids: dict) -> list[dict]:
    params = {p["name"] for p in entry.get("searchParam", [])}
    found = []
    if "patient" in params:
        found.append({"patient": f"Patient/{ids['Patient']}"})
    if resource_type == "Patient":
        found += [{name: value} for name, value in PATIENT_SEARCHES]
        found.append({"_id": ids["Patient"]})
    elif resource_type in ("Practitioner", "Organization", "Location"):
        found.append({"_id": ids[resource_type]})
        found.append(
            {
                "name": {"Practitioner": "Ozymandias", "Organization": "Alpha Secret", "Location": "Alpha Hidden"}[
                    resource_type
                ]
            }
        )
    for name, target in (("practitioner", "Practitioner"), ("schedule", "Schedule"), ("actor", "Practitioner")):
        if name in params:
            found.append({name: f"{target}/{ids[target]}"})
    return found or [{"_id": ids[resource_type]}]


def test_every_fhir_interaction_refuses_another_organization(world, fhir_as, denied, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.CARECOORD_FHIR_EXPORT_INLINE_AFTER_SECONDS = 0
    fhir_a, fhir_b = fhir_as(world["a"].organization), fhir_as(world["b"].organization)
    resources = capability(fhir_b)
    ids = a_ids(world, fhir_a)
    before = snapshot_all(world["a"].organization)
    bodies = {}
    for entry in resources:
        kind = entry["type"]
        codes = {i["code"] for i in entry["interaction"]}
        own = fhir_a.get(f"{kind}/{ids[kind]}")
        assert own.status_code == 200, f"A cannot read its own {kind}/{ids[kind]}: {own.content[:200]}"
        bodies[kind] = own.json()
        version = bodies[kind].get("meta", {}).get("versionId", "1")
        path = f"{kind}/{ids[kind]}"
        calls = [("read", "GET", path, None)]
        if "vread" in codes:
            calls.append(("vread", "GET", f"{path}/_history/{version}", None))
        if "history-instance" in codes:
            calls.append(("history", "GET", f"{path}/_history", None))
        if "update" in codes:
            calls.append(("update", "PUT", path, {**bodies[kind], "id": ids[kind]}))
        if "delete" in codes:
            calls.append(("delete", "DELETE", path, None))
        for label, method, target, body in calls:
            response = (
                {"GET": fhir_b.get, "DELETE": fhir_b.delete}[method](target)
                if body is None
                else fhir_b.put(target, body)
            )
            where = f"B {label} {target}"
            denied.add(where, response)
            assert response.status_code == 404, f"{where} answered {response.status_code}: {response.content[:300]}"
            assert not leaks_in(response.content.decode()), f"{where}: {leaks_in(response.content.decode())}"
        if "history-type" in codes:
            response = fhir_b.get(f"{kind}/_history")
            assert response.status_code == 200, kind
            assert ids[kind] not in response.content.decode(), f"B's {kind}/_history lists A's record"
            assert not leaks_in(response.content.decode()), kind
        for query in searches(kind, entry, ids):
            response = fhir_b.get(kind, query)
            where = f"B search {kind}?{query}"
            denied.add(where, response)
            assert response.status_code in (200, 400, 404), f"{where} answered {response.status_code}"
            echoed = next(iter(query.values()))
            body = response.content.decode()
            assert not leaks_in(body, echoed), f"{where}: {leaks_in(body, echoed)}"
            if response.status_code == 200:
                assert response.json().get("total", 0) == 0, where
                assert not response.json().get("entry"), where
    everything = fhir_b.get(f"Patient/{ids['Patient']}/$everything")
    denied.add("B $everything", everything)
    assert everything.status_code == 404
    assert not leaks_in(everything.content.decode())
    for kick_off in ("$export", "Patient/$export", "Group/all/$export"):
        exported = export_text(fhir_b, kick_off)
        assert not leaks_in(exported), f"B's {kick_off} carries A's data: {leaks_in(exported)}"
        assert ids["Patient"] not in exported
    assert_same(before, snapshot_all(world["a"].organization))


def export_text(fhir: Fhir, kick_off: str) -> str:
    """Runs a bulk export to the end and returns every file's text."""
    response = fhir.get(kick_off, headers={"Prefer": "respond-async"})
    assert response.status_code == 202, response.content
    status_path = response["Content-Location"].split("/fhir/R4/")[1]
    run_export_jobs()
    status = fhir.get(status_path)
    assert status.status_code == 200, status.content
    text = []
    for item in status.json().get("output", []):
        got = fhir.get(item["url"].split("/fhir/R4/")[1], headers={"Accept": "application/fhir+ndjson"})
        assert got.status_code == 200
        text.append(b"".join(got.streaming_content).decode() if got.streaming else got.content.decode())
    return "\n".join(text)


def test_every_fhir_interaction_needs_a_token(world, fhir_as, denied):
    fhir_a, anonymous = fhir_as(world["a"].organization), Fhir(Client(), None)
    resources = capability(anonymous)
    ids = a_ids(world, fhir_a)
    before = snapshot_all(world["a"].organization)
    for entry in resources:
        kind = entry["type"]
        paths = [f"{kind}/{ids[kind]}", f"{kind}/{ids[kind]}/_history", f"{kind}/{ids[kind]}/_history/1", kind,
                 f"{kind}/_history"]  # fmt: skip
        tries = [(f"GET {p}", anonymous.get(p, {"patient": f"Patient/{ids['Patient']}"})) for p in paths]
        tries += [(f"PUT {kind}", anonymous.put(f"{kind}/{ids[kind]}", {"resourceType": kind, "id": ids[kind]}))]
        tries += [(f"DELETE {kind}", anonymous.delete(f"{kind}/{ids[kind]}"))]
        tries += [(f"POST {kind}", anonymous.post(kind, {"resourceType": kind}))]
        for where, response in tries:
            denied.add(f"anonymous {where}", response)
            assert response.status_code == 401, f"anonymous {where} answered {response.status_code}"
            assert not leaks_in(response.content.decode())
    for path in (f"Patient/{ids['Patient']}/$everything", "$export", "Patient/$export", "Group/all/$export"):
        response = anonymous.get(path, headers={"Prefer": "respond-async"})
        denied.add(f"anonymous {path}", response)
        assert response.status_code == 401, path
    assert_same(before, snapshot_all(world["a"].organization))


def test_a_new_fhir_type_is_noticed(world):
    class Fake:
        def get(self, path):
            class R:
                status_code = 200

                @staticmethod
                def json():
                    rows = [{"type": t, "interaction": []} for t in FHIR_TARGETS] + [
                        {"type": "Invoice", "interaction": []}
                    ]
                    return {"rest": [{"resource": rows}]}

            return R()

    with pytest.raises(pytest.fail.Exception):
        capability(Fake())
