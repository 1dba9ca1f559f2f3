"""The community directory offers "Add an organization" only to roles that may save it (no button leading to a 403)."""

import pytest
from django.urls import reverse

from carecoord.core.choices import Role

from ..factories import make_actor


@pytest.mark.parametrize(("role", "offered"), [(Role.COORDINATOR, True), (Role.SCHEDULER, False)])
def test_add_an_organization_is_offered_only_to_those_who_may_add_one(client_for, org, role, offered):
    client = client_for(make_actor(org, role))
    page = client.get(reverse("community:directory")).content.decode()
    assert ("Add an organization" in page) is offered
    assert (reverse("community:agency_new") in page) is offered
    answer = client.post(reverse("community:agency_new"), {})
    assert (answer.status_code != 403) is offered
