"""
T14, JSON API part: every operation of /api/v1 (read from its own OpenAPI description, so a new operation is in
the matrix the moment it exists) called with organization A's ids by a signed-in user of organization B and
with no session. Object operations answer 404 (401 without a session); collection operations answer nothing
of A even when asked for A's exact names, DOBs, MRNs and ids; A's rows stay byte-identical.
"""

import json

import pytest
from django.test import Client

from ..conftest import signed_in_client
from .conftest import all_secrets, assert_same, leaks_in, snapshot_all

# Path parameters of the API, by name: the world key of A's record they take. A new parameter fails the test.
PATH_IDS = {"task_id": "task", "patient_id": "patient", "appointment_id": "appointment",
            "coverage_id": "coverage:coverage", "person_id": "person", "auth_id": "coverage:auth"}  # fmt: skip
# Query and body parameters that name a record: A's record of that kind.
REF_IDS = {"patient": "patient", "practitioner": "practitioner", "location": "location", "type": "appointment_type",
           "task": "task", "careplan": "careplan", "payer": "coverage:payer"}  # fmt: skip
# Free-text search parameters: each is tried with every one of A's identifying strings.
SEARCH_TERMS = ["Zebulon", "Quixotic", "zeb quix", "ALPHA-7731", "1951-02-03", "02/03/1951", "(312) 555-0177"]
SEARCH_PARAMS = {"q"}
# Query parameters that name no record (filters, paging) and are left at their defaults.
NEUTRAL = {"kind", "category", "priority", "due_from", "due_to", "bucket", "offset", "limit", "from", "to",
           "specialty", "language", "use_patient_availability", "owner", "status"}  # fmt: skip


def operations(client) -> list[tuple[str, str, dict]]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    found = [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert len(found) >= 10, "the OpenAPI description lists too few operations; the matrix would test nothing"
    return found


def path_for(path: str, op: dict, world) -> str:
    for param in op.get("parameters", []):
        if param["in"] != "path":
            continue
        if param["name"] not in PATH_IDS:
            pytest.fail(f"{path} takes “{param['name']}”, which the API matrix does not know: add it to PATH_IDS.")
        path = path.replace("{" + param["name"] + "}", str(world[PATH_IDS[param["name"]]].public_id))
    return path


def query_sets(path: str, op: dict, world) -> list[dict]:
    """The queries to try on an operation: A's ids in every reference parameter, then each search term."""
    refs, searches = {}, []
    for param in op.get("parameters", []):
        name = param["name"]
        if param["in"] != "query" or name in NEUTRAL:
            continue
        if name in REF_IDS:
            refs[name] = str(world[REF_IDS[name]].public_id)
        elif name in SEARCH_PARAMS:
            searches.append(name)
        else:
            pytest.fail(f"{path} takes the query “{name}”, which the API matrix does not classify.")
    queries = [refs] if refs or not searches else []
    queries += [{name: term} for name in searches for term in SEARCH_TERMS]
    return queries


def body_for(world) -> dict:
    """A body naming A's records in every reference field, well-formed for every write of the API."""
    start = "2030-01-07T09:00:00-06:00"
    return {**{name: str(world[key].public_id) for name, key in REF_IDS.items()}, "start": start, "note": "x",
            "version": 1, "until": "2099-01-01", "reason": "x", "owner_email": world["a"].user.email,
            "status": "arrived", "organization": world["a"].organization.slug}  # fmt: skip


def attack(client, world, denied, who: str, *, expect_object: tuple, expect_list: tuple, expect_create: tuple):
    for method, template, op in operations(signed_in_client(world["b"])):
        path = path_for(template, op, world)
        is_object = "{" in template
        if method == "get":
            tries = [client.get(path)] if is_object else [client.get(path, q) for q in query_sets(template, op, world)]
        else:
            tries = [client.generic(method.upper(), path, json.dumps(body_for(world)), content_type="application/json")]
        for query_index, response in enumerate(tries):
            where = f"{who} {method.upper()} {path} #{query_index}"
            denied.add(where, response)
            expected = expect_object if is_object else expect_list if method == "get" else expect_create
            assert response.status_code in expected, (
                f"{where} answered {response.status_code}: {response.content[:300]}"
            )
            echoed = ""
            if not is_object and method == "get":
                echoed = next(iter(query_sets(template, op, world)[query_index].values()), "")
            assert not leaks_in(response.content.decode(), echoed), (
                f"{where} shows A's data: {leaks_in(response.content.decode(), echoed)}"
            )
            if response.status_code == 200:
                for secret_id in (world["patient"].public_id, world["task"].public_id, world["appointment"].public_id):
                    assert str(secret_id) not in response.content.decode().replace(json.dumps(echoed), ""), where


def test_every_api_operation_refuses_another_organization(world, denied):
    before = snapshot_all(world["a"].organization)
    attack(
        signed_in_client(world["b"]),
        world,
        denied,
        "B",
        expect_object=(404,),
        expect_list=(200, 400, 404),
        expect_create=(400, 404),
    )
    assert_same(before, snapshot_all(world["a"].organization))


def test_every_api_operation_refuses_callers_without_a_session(world, denied):
    before = snapshot_all(world["a"].organization)
    attack(Client(), world, denied, "anonymous", expect_object=(401,), expect_list=(401,), expect_create=(401,))
    assert_same(before, snapshot_all(world["a"].organization))


def test_the_owner_reaches_every_api_object_it_names(world):
    """The positive control: the ids the matrix uses are real, so B's 404s mean scoping, not typos."""
    client = signed_in_client(world["a"])
    for method, template, op in operations(client):
        if method == "get" and "{" in template:
            response = client.get(path_for(template, op, world))
            assert response.status_code == 200, template
    assert "Quixotic" in client.get("/api/v1/patients", {"q": "ALPHA-7731"}).content.decode()


def test_a_new_api_parameter_is_noticed(world):
    """The matrix fails on an id it cannot fill, so an unscoped new operation cannot slip past it."""
    with pytest.raises(pytest.fail.Exception):
        path_for("/api/v1/things/{thing_id}", {"parameters": [{"in": "path", "name": "thing_id"}]}, world)
    with pytest.raises(pytest.fail.Exception):
        query_sets("/api/v1/things", {"parameters": [{"in": "query", "name": "clinic"}]}, world)
    assert all_secrets()
