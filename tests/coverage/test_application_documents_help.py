"""The funding application page says how to mark a missing document received (there is no button per document)."""

from django.urls import reverse

from carecoord.coverage.models import FundingApplication

from ..conftest import signed_in_client
from ..factories import PatientFactory


def test_the_page_tells_how_to_mark_a_document_received(actor):
    patient = PatientFactory(organization=actor.organization)
    client = signed_in_client(actor)
    url = reverse("coverage:patient_application_add", args=[patient.public_id])
    data = {"application-program": "extra_help", "application-status": "preparing",
            "application-documents_missing": "Proof of income"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    page = client.get(FundingApplication.objects.get().get_absolute_url()).content.decode()
    assert "When a document arrives, delete its line under “Documents missing” below and save" in page
