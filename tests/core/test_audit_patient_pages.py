"""
RELIABILITY T22, walked over every page: each page a user opens about one patient (a URL taking the patient's
`public_id` under /patients/ or an app's patients/<id>/ prefix) leaves exactly one audit row naming that
patient. POST-only URLs answer 405 and forms needing more in their query answer 404 or send the user back to
where it is chosen (302: the booking's confirm step without a time), none showing the patient. A new patient
page that forgets to audit, or audits twice, fails here by itself.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from tests.factories import PatientFactory, make_actor


def _patient_routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patient_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and "patients/<uuid:public_id>/" in route and route.count("<") == 1:
            yield route


ROUTES = sorted(set(_patient_routes()))


def test_the_walk_finds_the_patient_pages():
    assert "patients/<uuid:public_id>/" in ROUTES
    assert len(ROUTES) > 10


@pytest.mark.parametrize("route", ROUTES)
def test_opening_a_patient_page_leaves_one_audit_row(org, client_for, route):
    patient = PatientFactory(organization=org, given_name="Auditha", family_name="Pagewalk")
    client = client_for(make_actor(org, Role.COORDINATOR, Role.SCHEDULER))
    before = AuditEvent.objects.filter(patient_public_id=patient.public_id).count()
    response = client.get("/" + route.replace("<uuid:public_id>", str(patient.public_id)))
    after = AuditEvent.objects.filter(patient_public_id=patient.public_id).count()
    if response.status_code in (302, 404, 405):  # a POST-only action, or a form that needs more in its query
        assert "Pagewalk" not in response.content.decode()
        assert after - before <= 1, f"{route}: answered {response.status_code} yet wrote {after - before} rows"
        return
    assert response.status_code == 200, route
    assert "Pagewalk" in response.content.decode(), route
    assert after - before == 1, f"{route}: {after - before} audit rows"
