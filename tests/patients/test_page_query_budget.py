"""
The patient search page and the chart make a fixed number of queries, whatever the number of matches,
family members, problems or staff; and the chart's "Add …" forms load on demand (their staff, practitioner
and organization lists are not part of the page). Counts, not timings: timings are in bench/.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent

from ..factories import (
    ConditionFactory,
    MembershipFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    RelatedPersonFactory,
    UserFactory,
)

# What a signed-in page costs before the view's own reads (session, user, memberships, two-factor device…)
# plus the view's reads and its one audit entry. A budget, not an exact figure: other middleware may change,
# but a query per row (or per staff member) would blow through it at once.
SEARCH_BUDGET = 16
CHART_BUDGET = 24


def captured(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response, ctx.captured_queries


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def named(org, n, family="Okonkwo-Brandt"):
    return PatientFactory.create_batch(n, organization=org, family_name=family, given_name="Adaeze")


@pytest.mark.parametrize("query", ["okon ada", "", "MRN000001"])
def test_search_queries_do_not_grow_with_matches(actor, client_for, query):
    client = client_for(actor)
    named(actor.organization, 2)
    _, few = captured(client, f"/patients/?q={query}")
    named(actor.organization, 40)  # more than a page (25)
    response, many = captured(client, f"/patients/?q={query}")
    assert len(many) == len(few)
    assert len(many) <= SEARCH_BUDGET
    if query == "okon ada":
        assert "42 matches" in response.content.decode()


def test_search_page_writes_only_its_audit_entry(actor, client_for):
    client = client_for(actor)
    named(actor.organization, 3)
    before = AuditEvent.objects.count()
    _, queries = captured(client, "/patients/?q=okon")
    assert AuditEvent.objects.count() == before + 1
    inserts = [sql for sql in writes(queries) if sql.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert "core_auditevent" in inserts[0]


def test_search_runs_one_lookup_per_kind_not_an_or_of_all(actor, client_for):
    client = client_for(actor)
    named(actor.organization, 3)
    for query, absent in [("okon ada", ("mrn", "phone_primary")), ("MRN000001", ("search_name", "phone_primary"))]:
        _, queries = captured(client, f"/patients/?q={query}")
        searches = [q["sql"] for q in queries if "patients_patient" in q["sql"] and "COUNT(" in q["sql"]]
        assert searches, query
        for column in absent:
            assert f'"patients_patient"."{column}"' not in searches[0].split("WHERE", 1)[1], (query, column)


def test_chart_queries_do_not_grow_with_family_problems_or_staff(actor, client_for):
    client = client_for(actor)
    patient = PatientFactory(organization=actor.organization)
    RelatedPersonFactory(patient=patient)
    ConditionFactory(patient=patient)
    url = patient.get_absolute_url()
    _, few = captured(client, url)
    RelatedPersonFactory.create_batch(6, patient=patient)
    ConditionFactory.create_batch(6, patient=patient)
    for _ in range(8):
        MembershipFactory(user=UserFactory(), organization=actor.organization, role=Role.COORDINATOR)
        PractitionerFactory(organization=actor.organization)
    OrganizationFactory.create_batch(3)
    response, many = captured(client, url)
    assert len(many) == len(few)
    assert len(many) <= CHART_BUDGET
    page = response.content.decode()
    assert 'name="careteam-user"' not in page
    assert 'name="share-grantee"' not in page
    assert f"{url}?form=care-team" in page  # loads when opened


@pytest.mark.parametrize("form", ["identifier", "family", "care-team", "problem", "share"])
def test_each_chart_form_loads_when_opened_and_without_javascript(actor, client_for, form):
    client = client_for(actor)
    patient = PatientFactory(organization=actor.organization)
    url = patient.get_absolute_url()
    fragment, _ = captured(client, f"{url}?form={form}", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert body.lstrip().startswith("<form")
    assert "<html" not in body
    assert "csrfmiddlewaretoken" in body
    page, _ = captured(client, f"{url}?form={form}")
    assert "<html" in page.content.decode()
    assert body.strip()[:60] in page.content.decode()


def test_chart_form_fragment_lists_staff_in_one_query(actor, client_for):
    client = client_for(actor)
    patient = PatientFactory(organization=actor.organization)
    url = f"{patient.get_absolute_url()}?form=care-team"
    _, few = captured(client, url, HTTP_HX_REQUEST="true")
    for _ in range(6):
        MembershipFactory(user=UserFactory(), organization=actor.organization, role=Role.COORDINATOR)
        PractitionerFactory(organization=actor.organization)
    _, many = captured(client, url, HTTP_HX_REQUEST="true")
    assert len(many) == len(few)


def test_a_scheduler_who_cannot_edit_patients_gets_no_form(org, client_for):
    from ..factories import make_actor

    scheduler = make_actor(org, Role.SCHEDULER)  # sees patients, may not edit them
    patient = PatientFactory(organization=org)
    response, _ = captured(client_for(scheduler), f"{patient.get_absolute_url()}?form=care-team")
    assert 'name="careteam-user"' not in response.content.decode()
