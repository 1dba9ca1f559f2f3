"""
Who is offered as a prescriber (a medication line's prescriber, a change, stop or hold's orderer): the
directory's prescribers only (physicians, nurse practitioners, physician assistants, dentists, podiatrists,
optometrists, by NUCC taxonomy code, else by credentials), not the physical or occupational therapist, the
speech therapist, the dietitian, nurses or the social worker a nursing home's directory also lists. A choice
already saved stays shown; a non-prescriber sent anyway is refused with a precise message; a doctor missing
from the directory can be added in a new tab without losing the form.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import ValidationError
from carecoord.medications import prescribers, selectors, services
from carecoord.medications.domain import normalized_name
from carecoord.medications.models import MedicationList, MedicationStatement

from ..factories import OrganizationFactory, PractitionerFactory, make_actor
from .conftest import LIST_DAY, med

CHICAGO = ZoneInfo("America/Chicago")

# (given name, suffix, NUCC code, display): a nursing home's directory, as in the demo data.
STAFF = {
    "Grace": ("MD", "207RG0300X", "Internal Medicine, Geriatric Medicine"),
    "Omar": ("DO", "207Q00000X", "Family Medicine"),
    "Nina": ("APRN", "363LG0600X", "Nurse Practitioner, Gerontology"),
    "Paul": ("PA-C", "363A00000X", "Physician Assistant"),
    "Pete": ("PT, DPT", "225100000X", "Physical Therapist"),
    "Olga": ("OTR/L", "225X00000X", "Occupational Therapist"),
    "Sara": ("CCC-SLP", "235Z00000X", "Speech-Language Pathologist"),
    "Dina": ("RDN", "133V00000X", "Dietitian, Registered"),
    "Rita": ("RN", "163W00000X", "Registered Nurse"),
    "Sam": ("LCSW", "1041C0700X", "Social Worker, Clinical"),
    "Phil": ("PharmD", "183500000X", "Pharmacist"),
}
PRESCRIBERS = {"Grace", "Omar", "Nina", "Paul"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


@pytest.fixture
def staff(org):
    return {
        given: PractitionerFactory(organization=org, given_name=given, family_name="Lee", suffix=suffix,
                                   specialty_code=code, specialty_display=display)
        for given, (suffix, code, display) in STAFF.items()
    }  # fmt: skip


# The rule ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "prescribes"),
    [("207Q00000X", True), ("207RC0000X", True), ("208M00000X", True), ("2084P0805X", True), ("363LF0000X", True),
     ("363L00000X", True), ("363A00000X", True), ("364S00000X", True), ("367A00000X", True), ("122300000X", True),
     ("1223G0001X", True), ("213E00000X", True), ("152W00000X", True),
     ("225100000X", False), ("225200000X", False), ("225X00000X", False), ("235Z00000X", False),
     ("133V00000X", False), ("133N00000X", False), ("163W00000X", False), ("163WC0400X", False),
     ("164W00000X", False), ("1041C0700X", False), ("103T00000X", False), ("183500000X", False),
     ("374U00000X", False), ("171M00000X", False), ("124Q00000X", False), ("367500000X", False)],
)  # fmt: skip
def test_the_nucc_taxonomy_code_says_who_prescribes(code, prescribes):
    assert prescribers.judge(code, "") is prescribes


@pytest.mark.parametrize(
    ("suffix", "prescribes"),
    [("MD", True), ("M.D.", True), ("DO", True), ("NP", True), ("FNP-BC", True), ("AGPCNP-BC", True),
     ("DNP, APRN", True), ("PA-C", True), ("DDS", True), ("DPM", True), ("OD", True),
     ("RN", False), ("BSN, RN", False), ("PT, DPT", False), ("OTR/L", False), ("CCC-SLP", False), ("RD", False),
     ("LCSW", False), ("PharmD", False), ("DNP", False), ("", False)],
)  # fmt: skip
def test_without_a_code_the_credentials_say_who_prescribes(suffix, prescribes):
    assert prescribers.judge("", suffix) is prescribes


def test_the_code_wins_over_the_credentials():
    assert prescribers.judge("163W00000X", "NP") is False  # listed as a registered nurse
    assert prescribers.judge("363LF0000X", "RN") is True


# The choices -------------------------------------------------------------------------------------------------------


def test_only_prescribers_are_offered(actor, patient, staff, org):
    PractitionerFactory(organization=org, given_name="Gone", active=False)
    PractitionerFactory(organization=OrganizationFactory(), given_name="Elsewhere")
    offered = {p.given_name for p in selectors.prescriber_choices(actor, patient)}
    assert offered == PRESCRIBERS
    assert {p.given_name for p in selectors.directory_practitioners(actor, patient)} == set(STAFF)


def test_a_practitioner_already_chosen_stays_offered(actor, patient, staff):
    offered = selectors.prescriber_choices(actor, patient, keep=[staff["Pete"].pk, None])
    assert {p.given_name for p in offered} == PRESCRIBERS | {"Pete"}


def test_the_list_form_offers_prescribers_and_a_way_to_add_a_missing_doctor(client_for, actor, patient, staff):
    page = client_for(actor).get(reverse("medications:patient_list_new", args=[patient.public_id])).content.decode()
    options = page.split('name="line-0-prescriber"', 1)[1].split("</select>", 1)[0]
    for given in STAFF:
        assert (f">{given} Lee" in options) is (given in PRESCRIBERS), given
    link = f'<a href="{reverse("directory:practitioner_create")}" target="_blank" rel="noopener"'
    assert link in page
    assert "Doctor not listed? Add to the directory</a>" in page
    assert "medications-prescribers.js" in page
    assert "<script>" not in page  # no inline script (strict CSP)


def test_a_provider_who_may_not_edit_the_directory_gets_no_add_link(client_for, org, patient, staff):
    provider = make_actor(org, Role.PROVIDER)
    page = client_for(provider).get(reverse("medications:patient_list_new", args=[patient.public_id]))
    assert page.status_code == 200
    assert "Doctor not listed?" not in page.content.decode()


# Refused server-side ---------------------------------------------------------------------------------------------


def test_a_non_prescriber_on_a_list_line_is_refused_by_name(actor, patient, staff):
    with pytest.raises(ValidationError) as refused:
        services.medication_list_create(actor=actor, patient=patient, source="mar", list_date=LIST_DAY, lines=[
            med("Lisinopril 10 mg", prescriber=staff["Grace"]), med("Aspirin 81 mg", prescriber=staff["Pete"]),
        ])  # fmt: skip
    assert refused.value.field == "prescriber"
    assert refused.value.message == (
        "Line 2: Pete Lee, PT, DPT (Physical Therapist) does not prescribe medications: choose a physician, nurse "
        "practitioner, physician assistant, dentist, podiatrist or optometrist."
    )
    assert not MedicationList.objects.exists()


def test_a_listing_without_specialty_or_credentials_is_refused_with_what_to_complete(actor, patient, org):
    nobody = PractitionerFactory(organization=org, given_name="Ann", family_name="Roe", suffix="", specialty_code="",
                                 specialty_display="")  # fmt: skip
    with pytest.raises(ValidationError, match="Ann Roe has no prescriber's specialty or credentials in the directory"):
        services.medication_list_create(actor=actor, patient=patient, source="mar", list_date=LIST_DAY,
                                        lines=[med("Aspirin", prescriber=nobody)])  # fmt: skip


def test_the_list_form_refuses_a_non_prescriber_sent_anyway(client_for, actor, patient, staff):
    url = reverse("medications:patient_list_new", args=[patient.public_id])
    data = {
        "list-source": "mar", "list-list_date": "2026-03-02", "line-TOTAL_FORMS": "1", "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "60", "line-0-status": "active",
        "line-0-display": "Aspirin 81 mg", "line-0-prescriber": str(staff["Rita"].pk),
    }  # fmt: skip
    response = client_for(actor).post(url, data)
    assert response.status_code == 400
    assert "Choose the prescriber from the list: it offers the directory&#x27;s physicians" in response.content.decode()
    assert not MedicationList.objects.exists()
    data["line-0-prescriber"] = str(staff["Nina"].pk)
    assert client_for(actor).post(url, data).status_code == 302
    assert MedicationStatement.objects.get().prescriber == staff["Nina"]


def test_correcting_a_line_keeps_its_prescriber_but_refuses_a_new_non_prescriber(actor, patient, staff):
    found = services.medication_list_create(actor=actor, patient=patient, source="mar", list_date=LIST_DAY,
                                            lines=[med("Aspirin 81 mg", prescriber=staff["Grace"])])  # fmt: skip
    line = found.lines.get()
    # The directory entry is corrected afterwards: Grace Lee is the facility's dietitian.
    staff["Grace"].specialty_code, staff["Grace"].specialty_display = "133V00000X", "Dietitian, Registered"
    staff["Grace"].save()
    line.refresh_from_db()
    services.medication_line_update(actor=actor, line=line, data=med("Aspirin 81 mg", dose="81 mg",
                                    prescriber=line.prescriber), expected_version=line.version)  # fmt: skip
    line.refresh_from_db()
    assert (line.dose, line.prescriber) == ("81 mg", staff["Grace"])
    with pytest.raises(ValidationError, match=r"Sam Lee, LCSW \(Social Worker, Clinical\) does not prescribe"):
        services.medication_line_update(actor=actor, line=line, data=med("Aspirin 81 mg", prescriber=staff["Sam"]),
                                        expected_version=line.version)  # fmt: skip


# Reconciliation: the orderer ---------------------------------------------------------------------------------------


@pytest.fixture
def reconciliation(actor, patient, discharge, mar):
    return services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])


def row_keys(reconciliation):
    _, rows = selectors.reconciliation_rows(reconciliation)
    return {normalized_name(row.name): row.key for row in rows}


def stop(key, orderer):
    return {"row_key": key, "action": "stop", "ordered_by_practitioner": str(orderer.public_id)}


def test_a_non_prescriber_as_orderer_is_refused_by_name(actor, reconciliation, staff):
    keys = row_keys(reconciliation)
    with pytest.raises(ValidationError) as refused:
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                       decisions=[stop(keys["warfarin"], staff["Dina"])])  # fmt: skip
    assert refused.value.field == "ordered_by_practitioner"
    assert refused.value.message == (
        "Warfarin 5 mg: Dina Lee, RDN (Dietitian, Registered) does not prescribe medications: choose a physician, "
        "nurse practitioner, physician assistant, dentist, podiatrist or optometrist."
    )
    assert not reconciliation.decisions.exists()
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                   decisions=[stop(keys["warfarin"], staff["Paul"])])  # fmt: skip
    assert reconciliation.decisions.get().ordered_by_practitioner == staff["Paul"]


def test_a_saved_orderer_who_no_longer_prescribes_stays_shown_and_can_be_saved_again(
    client_for, actor, reconciliation, staff
):
    keys = row_keys(reconciliation)
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                   decisions=[stop(keys["warfarin"], staff["Omar"])])  # fmt: skip
    omar = staff["Omar"]
    omar.specialty_code, omar.specialty_display = "225100000X", "Physical Therapist"  # the entry corrected since
    omar.save()
    page = client_for(actor).get(reconciliation.get_absolute_url()).content.decode()
    assert f'<option value="{omar.public_id}" selected>Omar Lee, DO</option>' in page
    assert ">Pete Lee, PT, DPT<" not in page  # other non-prescribers are not offered
    assert 'target="_blank" rel="noopener" data-prescriber-add' in page
    # Saved again unchanged (the form sends every decided row back): accepted.
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                   decisions=[{**stop(keys["warfarin"], omar), "note": "Bleeding risk"}])  # fmt: skip
    assert reconciliation.decisions.get().note == "Bleeding risk"
    # Chosen anew on another row: refused.
    with pytest.raises(ValidationError, match=r"Apixaban 5 mg: Omar Lee, DO \(Physical Therapist\) does not"):
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                       decisions=[stop(keys["apixaban"], omar)])  # fmt: skip
