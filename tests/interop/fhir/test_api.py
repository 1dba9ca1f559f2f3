"""The FHIR REST API on Patient: capability, read, search, create, update, versions, delete, errors, access."""

import datetime as dt

from carecoord.core.models import AuditEvent
from carecoord.patients.models import Patient

from ...factories import OrganizationFactory, PatientFactory
from .conftest import assert_valid, outcome_text, patient_resource


def test_metadata_is_a_valid_capability_statement_naming_what_is_served(fhir):
    response = fhir.get("metadata")
    statement = assert_valid(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert {"read", "vread", "search-type", "create", "update", "delete"} <= {i["code"] for i in patient["interaction"]}
    assert {"name", "birthdate", "identifier", "_lastUpdated"} <= {p["name"] for p in patient["searchParam"]}


def test_read_returns_a_valid_resource_with_its_version(fhir):
    patient = PatientFactory(organization=fhir.organization, given_name="Ines", family_name="Duarte")
    response = fhir.get(f"Patient/{patient.public_id}")
    assert response.status_code == 200
    resource = assert_valid(response.json())
    assert resource["name"][0] == {"use": "official", "family": "Duarte", "given": ["Ines"]}
    assert response["ETag"] == f'W/"{patient.version}"'
    assert response["Content-Type"].startswith("application/fhir+json")
    assert AuditEvent.objects.filter(event="fhir.read", patient_public_id=patient.public_id).count() == 1


def test_another_organizations_patient_is_not_found(fhir):
    stranger = PatientFactory(organization=OrganizationFactory())
    response = fhir.get(f"Patient/{stranger.public_id}")
    assert response.status_code == 404
    assert "not known" in outcome_text(response)
    search = fhir.get("Patient", {"family": stranger.family_name})
    assert search.json()["total"] == 0


def test_no_token_or_a_bad_one_is_401(fhir):
    fhir.token = "not-a-token"
    response = fhir.get("Patient")
    assert response.status_code == 401
    assert outcome_text(response)


def test_scopes_limit_interactions(make_caller):
    organization = OrganizationFactory()
    reader = make_caller(organization, "system/Patient.read")
    assert reader.get("Patient").status_code == 200
    response = reader.post("Patient", patient_resource())
    assert response.status_code == 403
    assert "scopes" in outcome_text(response)


def test_search_by_name_birthdate_prefixes_and_identifier(fhir):
    org = fhir.organization
    PatientFactory(
        organization=org, given_name="Marta", family_name="Lindqvist", birth_date=dt.date(1940, 5, 1), mrn="L-1"
    )
    PatientFactory(
        organization=org, given_name="Mark", family_name="Lindgren", birth_date=dt.date(1975, 1, 9), mrn="L-2"
    )
    PatientFactory(organization=org, given_name="Olu", family_name="Adeyemi", birth_date=dt.date(1975, 3, 3), mrn="A-3")

    def families(params):
        bundle = fhir.get("Patient", params).json()
        return sorted(e["resource"]["name"][0]["family"] for e in bundle.get("entry", []))

    assert families({"name": "lind"}) == ["Lindgren", "Lindqvist"]
    assert families({"family": "lindq"}) == ["Lindqvist"]
    assert families({"birthdate": "1975"}) == ["Adeyemi", "Lindgren"]
    assert families({"birthdate": "ge1975-02"}) == ["Adeyemi"]
    assert families({"birthdate": "lt1975-01-09"}) == ["Lindqvist"]
    assert families({"birthdate": "le1975-01-09"}) == ["Lindgren", "Lindqvist"]
    assert families({"identifier": "A-3"}) == ["Adeyemi"]
    assert families({"name": "lind", "birthdate": "gt1950"}) == ["Lindgren"]
    assert families({"family": "adeyemi,lindgren"}) == ["Adeyemi", "Lindgren"]


def test_search_pages_with_links_and_a_total(fhir):
    for n in range(5):
        PatientFactory(organization=fhir.organization, family_name=f"Pager{n}", mrn=f"P-{n}")
    first = fhir.get("Patient", {"family": "pager", "_count": "2", "_sort": "family"}).json()
    assert first["total"] == 5
    assert [e["resource"]["name"][0]["family"] for e in first["entry"]] == ["Pager0", "Pager1"]
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = fhir.http.get(next_url, HTTP_AUTHORIZATION=f"Bearer {fhir.token}").json()
    assert [e["resource"]["name"][0]["family"] for e in second["entry"]] == ["Pager2", "Pager3"]
    assert any(link["relation"] == "previous" for link in second["link"])
    descending = fhir.get("Patient", {"family": "pager", "_sort": "-family", "_count": "1"}).json()
    assert descending["entry"][0]["resource"]["name"][0]["family"] == "Pager4"


def test_unknown_search_parameters_are_reported_or_refused_when_strict(fhir):
    lenient = fhir.get("Patient", {"shoe-size": "9"}).json()
    assert lenient["entry"][-1]["search"]["mode"] == "outcome"
    strict = fhir.get("Patient", {"shoe-size": "9"}, headers={"Prefer": "handling=strict"})
    assert strict.status_code == 400
    assert "shoe-size" in outcome_text(strict)
    assert fhir.get("Patient", {"birthdate": "yesterday"}).status_code == 400


def test_create_answers_201_with_location_and_the_stored_resource(fhir):
    response = fhir.post("Patient", patient_resource(telecom=[{"system": "phone", "value": "(312) 555-0142"}]))
    assert response.status_code == 201, response.content
    created = assert_valid(response.json())
    assert response["Location"].endswith(f"Patient/{created['id']}/_history/1")
    patient = Patient.objects.get(public_id=created["id"])
    assert (patient.mrn, patient.family_name, patient.phone_primary) == ("MRN-1001", "Okafor", "+13125550142")
    assert patient.organization == fhir.organization


def test_invalid_resources_get_an_outcome_naming_the_element_and_nothing_is_saved(fhir):
    bad_date = fhir.post("Patient", patient_resource(birth="12/04/1958"))
    assert bad_date.status_code == 400
    assert "birthDate" in outcome_text(bad_date)
    no_mrn = fhir.post("Patient", {**patient_resource(), "identifier": []})
    assert no_mrn.status_code == 400
    assert "medical record number" in outcome_text(no_mrn)
    wrong_type = fhir.post("Patient", {"resourceType": "Practitioner"})
    assert wrong_type.status_code == 400
    not_json = fhir.http.post(
        "/fhir/R4/Patient", "{", content_type="application/fhir+json", HTTP_AUTHORIZATION=f"Bearer {fhir.token}"
    )
    assert not_json.status_code == 400
    assert Patient.objects.count() == 0


def test_a_postal_code_that_is_not_a_zip_code_is_refused_naming_the_element(fhir):
    def with_zip(postal_code: str) -> dict:
        return patient_resource(address=[{"use": "home", "city": "Cicero", "state": "IL", "postalCode": postal_code}])

    bad = fhir.post("Patient", with_zip("ZZZ"))
    assert bad.status_code == 400
    assert bad.json()["issue"][0]["expression"] == ["Patient.address.postalCode"]
    assert "ZZZ" in outcome_text(bad)
    assert Patient.objects.count() == 0
    good = fhir.post("Patient", with_zip("608041234"))
    assert good.status_code == 201, good.content
    assert Patient.objects.get().postal_code == "60804-1234"


def test_conditional_create_returns_the_existing_match(fhir):
    first = fhir.post("Patient", patient_resource(mrn="C-1"))
    again = fhir.post("Patient", patient_resource(mrn="C-1"), headers={"If-None-Exist": "identifier=C-1"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Patient.objects.count() == 1


def test_duplicate_mrn_is_a_conflict(fhir):
    fhir.post("Patient", patient_resource(mrn="D-1"))
    response = fhir.post("Patient", patient_resource(mrn="D-1", family="Other"))
    assert response.status_code == 409
    assert "D-1" in outcome_text(response)


def test_update_with_a_stale_if_match_is_412_and_changes_nothing(fhir):
    created = fhir.post("Patient", patient_resource()).json()
    changed = {**created, "name": [{"use": "official", "family": "Okafor-Ibe", "given": ["Adaeze"]}]}
    ok = fhir.put(f"Patient/{created['id']}", changed, headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] == 'W/"2"'
    stale = fhir.put(f"Patient/{created['id']}", {**created, "gender": "male"}, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert Patient.objects.get(public_id=created["id"]).gender == "female"


def test_vread_and_history_keep_every_version(fhir):
    created = fhir.post("Patient", patient_resource()).json()
    fhir.put(f"Patient/{created['id']}", {**created, "name": [{"family": "Renamed", "given": ["Adaeze"]}]})
    old = fhir.get(f"Patient/{created['id']}/_history/1").json()
    new = fhir.get(f"Patient/{created['id']}/_history/2").json()
    assert old["name"][0]["family"] == "Okafor"
    assert new["name"][0]["family"] == "Renamed"
    history = fhir.get(f"Patient/{created['id']}/_history").json()
    assert history["type"] == "history"
    assert [e["response"]["etag"] for e in history["entry"]] == ['W/"2"', 'W/"1"']
    assert fhir.get(f"Patient/{created['id']}/_history/9").status_code == 404


def test_update_must_name_the_same_id(fhir):
    created = fhir.post("Patient", patient_resource()).json()
    response = fhir.put(f"Patient/{created['id']}", {**created, "id": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400
    assert "does not match" in outcome_text(response)


def test_delete_retires_the_patient_and_reads_answer_410(fhir):
    created = fhir.post("Patient", patient_resource()).json()
    assert fhir.delete(f"Patient/{created['id']}").status_code == 204
    gone = fhir.get(f"Patient/{created['id']}")
    assert gone.status_code == 410
    assert Patient.objects.get(public_id=created["id"]).active is False
    assert fhir.delete(f"Patient/{created['id']}").status_code == 204  # deleting again is harmless


def test_unknown_types_and_xml_are_refused_clearly(fhir):
    assert fhir.get("Spaceship").status_code == 404
    xml = fhir.get("Patient", headers={"Accept": "application/fhir+xml"})
    assert xml.status_code == 406


def test_a_signed_in_person_may_read_but_not_write_with_the_session(db, client_for):
    from ...factories import make_actor

    actor = make_actor()
    patient = PatientFactory(organization=actor.organization)
    browser = client_for(actor)
    assert browser.get(f"/fhir/R4/Patient/{patient.public_id}").status_code == 200
    write = browser.post("/fhir/R4/Patient", "{}", content_type="application/fhir+json")
    assert write.status_code == 403


def test_metadata_names_the_operations(fhir):
    statement = fhir.get("metadata").json()
    rest = statement["rest"][0]
    assert {op["name"] for op in rest["operation"]} == {"export", "group-export"}
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert {op["name"] for op in patient["operation"]} == {"everything", "export"}


def test_a_browser_reading_the_api_gets_json(db, client_for):
    from ...factories import make_actor

    browser = client_for(make_actor())
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert browser.get("/fhir/R4/metadata", HTTP_ACCEPT=accept).status_code == 200


def test_history_includes_a_version_written_before_history_was_kept(fhir):
    from carecoord.interop.fhir.models import ResourceVersion

    patient = PatientFactory(organization=fhir.organization)
    ResourceVersion.objects.filter(resource_id=patient.public_id).delete()
    history = fhir.get(f"Patient/{patient.public_id}/_history").json()
    assert history["total"] == 1
    assert history["entry"][0]["resource"]["id"] == str(patient.public_id)


def test_metadata_claims_history_only_where_it_is_kept(fhir):
    resources = {r["type"]: r for r in fhir.get("metadata").json()["rest"][0]["resource"]}
    assert (resources["Patient"]["readHistory"], resources["Patient"]["versioning"]) == (True, "versioned-update")
    assert (resources["Slot"]["readHistory"], resources["Slot"]["versioning"]) == (False, "no-version")


def test_sorting_by_family_folds_accents_and_case(fhir):
    for n, family in enumerate(["Zavala", "Ávila", "baker", "Álvarez"]):
        PatientFactory(organization=fhir.organization, family_name=family, mrn=f"S-{n}")
    found = fhir.get("Patient", {"_sort": "family", "_count": "10"}).json()
    assert [e["resource"]["name"][0]["family"] for e in found["entry"]] == ["Álvarez", "Ávila", "baker", "Zavala"]


def test_sorting_by_given_folds_accents_and_case_as_the_family_sort_does(fhir):
    # families with spaces, capitals and punctuation: the given name is still what orders
    names = [("De La Cruz", "Zoe"), ("O'Neil", "álvaro"), ("Ávila", "Émile"), ("smith", "ana"), ("Baker", "Bob")]
    for n, (family, given) in enumerate(names):
        PatientFactory(organization=fhir.organization, family_name=family, given_name=given, mrn=f"G-{n}")

    def given_names(sort: str) -> list[str]:
        found = fhir.get("Patient", {"_sort": sort, "_count": "10"}).json()
        return [e["resource"]["name"][0]["given"][0] for e in found["entry"]]

    assert given_names("given") == ["álvaro", "ana", "Bob", "Émile", "Zoe"]
    assert given_names("-given") == ["Zoe", "Émile", "Bob", "ana", "álvaro"]


def test_the_given_sort_key_is_the_folded_given_name_on_every_engine(fhir):
    from carecoord.patients.domain import fold
    from carecoord.patients.models import SortGivenName

    names = [("De La Cruz", "Mary Ann"), ("", "Ñandú"), ("Straße-Ö'Brien", "José-Luis"), ("李", "小龙")]
    for n, (family, given) in enumerate(names):
        PatientFactory(organization=fhir.organization, family_name=family, given_name=given, mrn=f"K-{n}")
    keys = Patient.objects.annotate(key=SortGivenName("sort_name")).values_list("given_name", "key")
    assert sorted(keys) == sorted((given, fold(given)) for _, given in names)
