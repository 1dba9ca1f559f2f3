"""The sender's referral page: history in words ("Sent → Accepted"), not stored codes; patient links to the chart."""

import re

from django.urls import reverse

from carecoord.community import services

from .factories import AgencyFactory, ServiceFactory
from .test_views import referral_for


def test_the_history_names_statuses_as_people_read_them(client_for, actor, org, patient):
    church = ServiceFactory(agency=AgencyFactory(organization=org, name="Church pantry"))
    referral = referral_for(actor, patient, church)
    services.referral_set_status(actor=actor, referral=referral, status="accepted", expected_version=1)
    page = client_for(actor).get(reverse("community:referral_detail", args=[referral.public_id])).content.decode()
    history = page[page.index("<caption>History</caption>") : page.index("</table>", page.index("<caption>History"))]
    cells = [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td>([^<]*→[^<]*)</td>", history)]
    assert cells == ["— → Sent", "Sent → Accepted"]
    assert f'<a href="{patient.get_absolute_url()}">{patient.display_name}</a>' in page  # back to the chart
