"""List pages and the chart make a fixed number of queries, whatever the number of rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..factories import ConditionFactory, PatientFactory, RelatedPersonFactory


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_patient_list_queries_do_not_grow_with_patients(actor, client_for):
    client = client_for(actor)
    PatientFactory.create_batch(3, organization=actor.organization)
    few = queries_for(client, "/patients/")
    PatientFactory.create_batch(22, organization=actor.organization)
    assert queries_for(client, "/patients/") == few


def test_chart_queries_do_not_grow_with_family_and_problems(actor, client_for):
    client = client_for(actor)
    patient = PatientFactory(organization=actor.organization)
    RelatedPersonFactory(patient=patient)
    ConditionFactory(patient=patient)
    url = patient.get_absolute_url()
    few = queries_for(client, url)
    RelatedPersonFactory.create_batch(6, patient=patient)
    ConditionFactory.create_batch(6, patient=patient)
    assert queries_for(client, url) == few
