"""
An edit made on a page (services writing through core.versioning.save_versioned) is a FHIR version like an
edit through the API: vread and _history show every version, not only the first and the current.
"""

import pytest

from carecoord.core.choices import Role
from carecoord.core.errors import ConflictError
from carecoord.interop.fhir.models import ResourceVersion
from carecoord.patients.services import patient_update

from ...factories import PatientFactory, make_actor

pytestmark = pytest.mark.django_db


def test_each_page_edit_is_a_version_of_its_own(fhir):
    coordinator = make_actor(fhir.organization, Role.COORDINATOR)
    patient = PatientFactory(organization=fhir.organization, family_name="Okafor")
    patient_update(actor=coordinator, patient=patient, data={"family_name": "Renamed"}, expected_version=1)
    patient_update(actor=coordinator, patient=patient, data={"family_name": "Again"}, expected_version=2)

    families = [fhir.get(f"Patient/{patient.public_id}/_history/{v}").json()["name"][0]["family"] for v in (1, 2, 3)]
    assert families == ["Okafor", "Renamed", "Again"]
    history = fhir.get(f"Patient/{patient.public_id}/_history").json()
    assert [e["response"]["etag"] for e in history["entry"]] == ['W/"3"', 'W/"2"', 'W/"1"']
    current = fhir.get(f"Patient/{patient.public_id}")
    assert current["ETag"] == 'W/"3"'
    assert current.json()["meta"]["lastUpdated"] == history["entry"][0]["resource"]["meta"]["lastUpdated"]


def test_a_refused_edit_leaves_no_version(fhir):
    coordinator = make_actor(fhir.organization, Role.COORDINATOR)
    patient = PatientFactory(organization=fhir.organization)
    patient_update(actor=coordinator, patient=patient, data={"family_name": "Renamed"}, expected_version=1)
    with pytest.raises(ConflictError):
        patient_update(actor=coordinator, patient=patient, data={"family_name": "Late"}, expected_version=1)
    versions = ResourceVersion.objects.filter(resource_id=patient.public_id).order_by("version_id")
    assert [v.version_id for v in versions] == [1, 2]
    assert versions.last().resource["name"][0]["family"] == "Renamed"
