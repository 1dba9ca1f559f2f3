"""
T06 (RELIABILITY.md): sort, filter, search and paging parameters cannot inject, sort by secret fields, reach
into another organization, or ask for unbounded pages. Each hostile parameter is refused (400) or ignored;
never a 500, never one of B's rows. (No timing assertions: the proof is that the parameter was refused or
ignored, i.e. the answer is the default one.)
"""

import pytest
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.selectors import audit_order

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor

INJECTION = "name);SELECT pg_sleep(5)--"
SECRET_SORTS = [INJECTION, "ssn", "-user__password", "insurance__member_id", "tenant__name", "organization__name",
                "patient__ssn", "?", "", "-", "--when", "user_email)", "1", "occurred_at; DROP TABLE x"]  # fmt: skip
B_NAMES = ("Quillon", "Verhoeven", "MRNB0001")


@pytest.fixture
def world(org, other_org):
    actor = make_actor(org, Role.COORDINATOR, Role.SCHEDULER, Role.ORG_ADMIN, Role.AUDITOR)
    mine = [PatientFactory(organization=org, given_name=f"Odalys{i}", family_name="Brankovic") for i in range(3)]
    b_patient = PatientFactory(organization=other_org, given_name="Quillon", family_name="Verhoeven", mrn="MRNB0001")
    b_actor = make_actor(other_org, Role.COORDINATOR)
    return {"actor": actor, "mine": mine, "b_patient": b_patient, "b_actor": b_actor, "b_org": other_org}


def assert_clean(response, *allowed: int, asked: dict | None = None):
    """The status is one of `allowed` and none of B's strings is in the body (except one the caller typed)."""
    assert response.status_code in allowed, (response.status_code, response.content[:500])
    body = response.content.decode(errors="replace")
    typed = " ".join(str(v) for v in (asked or {}).values())
    for name in B_NAMES:
        if name not in typed:
            assert name not in body


# Web pages --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SECRET_SORTS)
def test_the_audit_log_ignores_sorts_it_does_not_allow(world, sort):
    assert audit_order({"sort": sort}) == ["-occurred_at", "-id"]  # not allow-listed: the default order
    response = signed_in_client(world["actor"]).get(reverse("core:audit_log"), {"sort": sort})
    assert_clean(response, 200, 400)


@pytest.mark.parametrize("sort", SECRET_SORTS)
def test_the_billing_report_refuses_unknown_sorts(world, sort):
    response = signed_in_client(world["actor"]).get(reverse("checkins:billing_report"), {"sort": sort})
    assert_clean(response, 200, 400)


@pytest.mark.parametrize(
    "params",
    [{"page": "-1"}, {"page": "0"}, {"page": "99999999999999999999"}, {"page": "abc"}, {"page_size": "100000000"},
     {"q": INJECTION}, {"q": "Quillon"}, {"q": "MRNB0001"}, {"q": str}, {"organization": "B"},
     {"ordering": INJECTION}, {"q": ["Odalys", "Quillon"]}, {"patient__organization": "B"}],
)  # fmt: skip
def test_the_patient_list_never_shows_b_or_fails(world, params):
    if params.get("q") is str:
        params = {"q": str(world["b_patient"].public_id)}
    if params.get("organization") == "B" or params.get("patient__organization") == "B":
        params = {k: str(world["b_org"].pk) for k in params}
    response = signed_in_client(world["actor"]).get(reverse("patients:list"), params)
    assert_clean(response, 200, 400, asked=params)
    assert str(world["b_patient"].public_id) not in response.content.decode().replace(str(params.get("q")), "")


@pytest.mark.parametrize(
    "params",
    [{"page": "-5"}, {"page": "1e9"}, {"patient": "B"}, {"owner": "B"}, {"list_owner": "B"}, {"bucket": INJECTION},
     {"kind": "'; DROP TABLE careplans_task;--"}, {"priority": ["high", "routine"]}, {"ordering": "-patient__ssn"}],
)  # fmt: skip
def test_the_worklist_never_shows_b_or_fails(world, params):
    replace = {"patient": str(world["b_patient"].public_id), "owner": str(world["b_actor"].user.pk),
               "list_owner": str(world["b_actor"].user.pk)}  # fmt: skip
    params = {k: (replace[k] if v == "B" else v) for k, v in params.items()}
    assert_clean(signed_in_client(world["actor"]).get(reverse("careplans:worklist"), params), 200, 400, 404)


# /api/v1 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [({"limit": "100000000"}, 400), ({"limit": "0"}, 400), ({"limit": "-1"}, 400), ({"offset": "-1"}, 400),
     ({"offset": "abc"}, 400), ({"q": INJECTION}, 200), ({"q": "Quillon"}, 200), ({"q": "x" * 101}, 400),
     ({"ordering": INJECTION}, 200), ({"ordering": "ssn"}, 200), ({"organization": "B"}, 200),
     ({"limit": ["5", "100000"]}, (200, 400))],
)  # fmt: skip
def test_patient_search_params(world, params, status):
    params = {k: (str(world["b_org"].pk) if v == "B" else v) for k, v in params.items()}
    response = signed_in_client(world["actor"]).get("/api/v1/patients", params)
    assert_clean(response, *(status if isinstance(status, tuple) else (status,)))
    if response.status_code == 400:
        assert set(response.json()) >= {"code", "message"}
        assert response.json()["field"] in ("limit", "offset", "q")


@pytest.mark.parametrize(
    "params",
    [{"patient": "B"}, {"owner": "B"}, {"limit": "100000000"}, {"offset": "-3"}, {"bucket": INJECTION},
     {"due_from": "2026-13-45"}, {"ordering": "-patient__ssn"}, {"kind": ["call", "visit"]}],
)  # fmt: skip
def test_worklist_api_params(world, params):
    replace = {"patient": str(world["b_patient"].public_id), "owner": str(world["b_actor"].user.pk)}
    params = {k: (replace[k] if v == "B" else v) for k, v in params.items()}
    response = signed_in_client(world["actor"]).get("/api/v1/worklist", params)
    assert_clean(response, 200, 400, 404)
    if response.status_code >= 400:
        assert set(response.json()) >= {"code", "message"}


@pytest.mark.parametrize(
    "params",
    [{"patient": "B"}, {"limit": "100000000"}, {"limit": "-1"}, {"from": INJECTION}, {"to": "9999-99-99"},
     {"from": "2026-01-01", "to": "2030-01-01"}, {"practitioner": INJECTION}, {"ordering": "patient__ssn"}],
)  # fmt: skip
def test_appointment_list_params(world, params):
    params = {k: (str(world["b_patient"].public_id) if v == "B" else v) for k, v in params.items()}
    response = signed_in_client(world["actor"]).get("/api/v1/scheduling/appointments", params)
    assert_clean(response, 200, 400, 404)
    if response.status_code >= 400:
        assert set(response.json()) >= {"code", "message"}


# FHIR -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [({"_sort": INJECTION}, 400), ({"_sort": "ssn"}, 400), ({"_sort": "organization__name"}, 400),
     ({"_sort": "-_lastUpdated"}, 200), ({"_count": "100000000"}, (200, 400)), ({"_count": "-1"}, 400),
     ({"_count": "abc"}, 400), ({"_offset": "-5"}, 400), ({"organization": "B"}, (200, 400)),
     ({"_count": ["1", "5000"]}, (200, 400)), ({"name": INJECTION}, 200), ({"_id": "B"}, 200)],
)  # fmt: skip
def test_fhir_search_params(world, fhir_as, params, status):
    replace = {"organization": f"Organization/{world['b_org'].public_id}", "_id": str(world["b_patient"].public_id)}
    params = {k: (replace[k] if v == "B" else v) for k, v in params.items()}
    fhir = fhir_as(world["actor"].organization)
    response = fhir.get("Patient", params)
    assert_clean(response, *(status if isinstance(status, tuple) else (status,)))
    body = response.json()
    if response.status_code == 400:
        assert body["resourceType"] == "OperationOutcome"
    else:
        assert body["resourceType"] == "Bundle"
        assert len(body.get("entry", [])) <= 1000


def test_an_offset_beyond_any_database_integer_is_a_400_not_a_500(actor, client_for):
    client = client_for(actor)
    for url in ("/api/v1/patients?q=ST&offset=26255017186197577400320", "/api/v1/worklist?offset=99999999999999999999"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "offset" in response.content.decode()
