"""
T04 (RELIABILITY.md), FHIR side: hypothesis sends random and hostile JSON to create, update and transaction,
and hostile search parameters; the FHIR API never answers 5xx, and every refusal is an OperationOutcome.
CI runs a few examples; CARECOORD_FUZZ_EXAMPLES=100 runs the slow plan.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..factories import PatientFactory

EXAMPLES = int(os.environ.get("CARECOORD_FUZZ_EXAMPLES", "8"))
TYPES = ["Patient", "CarePlan", "Goal", "Task", "Appointment", "Coverage", "MedicationStatement", "Condition",
         "Observation", "Communication", "Bogus"]  # fmt: skip
HOSTILE = st.sampled_from(["<script>alert(1)</script>", "'; DROP TABLE x;--", "../../etc/passwd", "{{7*7}}",
                           "\r\nX: y", "x" * 5000, "-1", "1e309", "NaN", "\u202e", "Patient/../x", "%00"])  # fmt: skip
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                    st.text(max_size=40), HOSTILE)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
FIELDS = st.sampled_from(["resourceType", "id", "meta", "subject", "patient", "status", "name", "birthDate", "gender",
                          "identifier", "period", "goal", "description", "extension", "code", "for", "entry", "type",
                          "start", "end", "participant", "reference", "valueReference", "lifecycleStatus"])  # fmt: skip
RESOURCE = st.builds(lambda kind, extra: {"resourceType": kind, **extra}, st.sampled_from(TYPES),
                     st.dictionaries(FIELDS, JSON, max_size=6))  # fmt: skip
BODY = st.one_of(RESOURCE, JSON)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def assert_sane(response):
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert response.json()["resourceType"] == "OperationOutcome", response.content[:500]


@pytest.fixture
def fhir(org, fhir_as):
    PatientFactory(organization=org, given_name="Hildegard", family_name="Oyelaran")
    return fhir_as(org)


@FUZZ
@given(kind=st.sampled_from(TYPES), body=BODY)
def test_create_with_any_json(fhir, kind, body):
    assert_sane(fhir.post(kind, body))


@FUZZ
@given(kind=st.sampled_from(TYPES), body=BODY, resource_id=st.one_of(st.uuids().map(str), HOSTILE))
def test_update_with_any_json(fhir, kind, body, resource_id):
    assert_sane(fhir.put(f"{kind}/{resource_id}", body))


@FUZZ
@given(entries=st.lists(st.one_of(JSON, st.builds(lambda m, u, r: {"request": {"method": m, "url": u}, "resource": r},
                                                  st.sampled_from(["POST", "PUT", "GET", "DELETE", "PATCH", "x"]),
                                                  st.one_of(st.sampled_from(TYPES), HOSTILE), BODY)), max_size=5),
       kind=st.sampled_from(["transaction", "batch", "collection", None, 7]))  # fmt: skip
def test_transaction_and_batch_with_any_entries(fhir, entries, kind):
    assert_sane(fhir.post("", {"resourceType": "Bundle", "type": kind, "entry": entries}))


@FUZZ
@given(kind=st.sampled_from(TYPES),
       params=st.dictionaries(st.one_of(st.sampled_from(["_sort", "_count", "_offset", "_include", "_revinclude",
                                                         "_elements", "_summary", "name", "birthdate", "patient",
                                                         "subject", "_id", "_lastUpdated", "status", "date"]),
                                        st.text(max_size=10)),
                              st.one_of(HOSTILE, st.text(max_size=30)), max_size=4))  # fmt: skip
def test_search_with_hostile_parameters(fhir, kind, params):
    assert_sane(fhir.get(kind, params))


def test_a_body_that_is_not_json_answers_an_operation_outcome(fhir):
    response = fhir.http.post("/fhir/R4/Patient", b"{not json", content_type="application/fhir+json",
                              **fhir._headers())  # fmt: skip
    assert_sane(response)
    assert response.status_code == 400
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
