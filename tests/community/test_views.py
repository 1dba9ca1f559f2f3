"""The pages through the test client: the Social needs tab, screening, search, referral, the receiver's inbox."""

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from carecoord.community import services
from carecoord.community.models import Agency, Referral, SocialScreening
from carecoord.core import clock
from carecoord.core.audit import AuditEvent
from carecoord.core.choices import Role
from carecoord.patients.models import Condition

from ..factories import ConditionFactory, make_actor
from .factories import AgencyFactory, ServiceFactory, offered_at
from .test_screening import NEGATIVE

DATA = Path(__file__).resolve().parent.parent / "data" / "hsds"


def _today():
    return clock.today_in(ZoneInfo("America/Chicago"))


def url(name, *args):
    return reverse(f"community:{name}", args=args)


def test_the_social_needs_tab(client_for, actor, patient):
    response = client_for(actor).get(url("patient_social_needs", patient.public_id))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Social needs on the chart" in body
    assert 'aria-current="page">Social needs</a>' in body
    assert AuditEvent.objects.filter(event="social_needs.view", patient_public_id=patient.public_id).exists()


def test_screening_through_the_form_puts_needs_on_the_chart(client_for, actor, patient):
    client = client_for(actor)
    assert client.get(url("patient_screening_new", patient.public_id)).status_code == 200
    data = {**NEGATIVE, "food-1": "LA28397-0", "occurred_at": "2026-03-10T09:30"}
    response = client.post(url("patient_screening_new", patient.public_id), data)
    screening = SocialScreening.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("screening_detail", screening.public_id)
    assert screening.occurred_at == dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.UTC)  # 9:30 in Chicago
    assert Condition.objects.get(patient=patient).code == "733423003"
    detail = client.get(response["Location"]).content.decode()
    assert "Food insecurity" in detail
    assert "Often true" in detail
    tab = client.get(url("patient_social_needs", patient.public_id)).content.decode()
    assert "Food insecurity (finding)" in tab
    assert "need=food-insecurity" in tab


def test_an_incomplete_screen_is_shown_again_with_the_question_marked(client_for, actor, patient):
    data = {**NEGATIVE, "occurred_at": "2026-03-10T09:30"}
    del data["utilities"]
    response = client_for(actor).post(url("patient_screening_new", patient.public_id), data)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not SocialScreening.objects.exists()


def test_find_resources_by_the_patients_zip_and_refer(client_for, actor, patient, pantry_service):
    client = client_for(actor)
    response = client.get(url("patient_resources", patient.public_id), {"need": "food-insecurity",
                                                                        "postal_code": "60614"})  # fmt: skip
    body = response.content.decode()
    assert "Weekly groceries" in body
    assert "0.3 mi" in body  # from the centre of 60614 in the US ZIP code table
    assert "Languages: English, Spanish" in body
    refer = url("patient_referral_new", patient.public_id) + f"?service={pantry_service.public_id}"
    assert client.get(refer).status_code == 200
    concern = ConditionFactory(patient=patient, category="health-concern", code_system="http://snomed.info/sct",
                               code="733423003", display="Food insecurity (finding)")  # fmt: skip
    form = {
        "service": str(pantry_service.public_id),
        "need": "food-insecurity",
        "reason": "Needs groceries",
        "condition": str(concern.public_id),
        "consent_by": "Rosa Delgado",
        "consent_method": "Verbal",
        "consent_on": _today().isoformat(),
        "respond_by": (_today() + dt.timedelta(days=7)).isoformat(),
    }
    refused = client.post(url("patient_referral_new", patient.public_id), form)
    assert refused.status_code == 400
    assert not Referral.objects.exists()
    response = client.post(url("patient_referral_new", patient.public_id), {**form, "consent_confirmed": "on"})
    referral = Referral.objects.get()
    assert response["Location"] == url("referral_detail", referral.public_id)
    assert referral.condition == concern
    assert "Northside Food Pantry answers this referral" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"radius": "-5"}, "Enter a distance in whole miles from 1 to 100."),
        ({"radius": "101"}, "Enter a distance in whole miles from 1 to 100."),
        ({"postal_code": "abcde"}, "is not a ZIP code: use 5 digits, or ZIP+4 like 60601-1234."),
        ({"age": "200"}, "Enter an age in years from 0 to 120."),
        ({"age": "-1"}, "Enter an age in years from 0 to 120."),
    ],
)
@pytest.mark.parametrize("page", ["patient_resources", "directory"])
def test_a_bad_search_filter_is_shown_and_left_out(client_for, actor, patient, pantry_service, page, params, message):
    args = [patient.public_id] if page == "patient_resources" else []
    response = client_for(actor).get(url(page, *args), {"need": "food-insecurity", **params})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="field has-error"' in body
    assert message in body
    assert "The search leaves that filter out." in body
    assert "Weekly groceries" in body  # searched with the valid filters only


def test_zip_plus_four_and_nine_digits_are_searched(client_for, actor, patient, pantry_service):
    for zip_code in ("60614-1234", "606141234"):
        response = client_for(actor).get(url("directory"), {"postal_code": zip_code, "radius": "100"})
        body = response.content.decode()
        assert "has-error" not in body
        assert "0.3 mi" in body


def test_a_zip_with_no_listed_service_finds_one_nearby_on_the_page(client_for, actor, org, patient):
    service = ServiceFactory(agency=AgencyFactory(organization=org), name="Uptown pantry", languages=",en,ko,")
    offered_at(service, postal_code="60640", latitude=41.9688, longitude=-87.6594)  # Broadway at Lawrence
    body = client_for(actor).get(url("directory"), {"postal_code": "60660", "radius": "5"}).content.decode()
    assert "Uptown pantry" in body
    assert "1.5 mi" in body
    assert "Languages: English, Korean" in body
    assert "distances are unknown" not in body
    detail = client_for(actor).get(url("service_detail", service.public_id)).content.decode()
    assert "English, Korean" in detail
    assert "en, ko" not in detail


def test_a_zip_nobody_knows_is_searched_by_the_zip_itself(client_for, actor, pantry_service):
    body = client_for(actor).get(url("directory"), {"postal_code": "99999", "radius": "5"}).content.decode()
    assert "distances are unknown" in body
    assert "No services match." in body


def referral_for(actor, patient, service):
    return services.referral_send(
        actor=actor, patient=patient, service=service, need="food-insecurity", reason="Needs groceries",
        consent_by="Rosa Delgado", consent_method="Verbal", consent_on=_today(),
        respond_by=_today() + dt.timedelta(days=7),
    )  # fmt: skip


def test_the_receiver_answers_in_its_inbox_and_sees_only_the_referral(
    client_for, actor, patient, pantry_service, pantry_actor
):
    ConditionFactory(patient=patient, display="Secret diabetes diagnosis")
    patient.mrn = "MRN-SECRET-42"
    patient.save()
    referral = referral_for(actor, patient, pantry_service)
    client = client_for(pantry_actor)
    inbox = client.get(url("incoming")).content.decode()
    assert "Rosa Delgado" in inbox
    assert "Lakeside Clinic" in inbox
    page = client.get(url("referral_incoming", referral.public_id)).content.decode()
    assert "Rosa Delgado" in page
    assert "(312) 555-0142" in page
    assert "+13125550142" not in page
    assert f"<dd>{patient.birth_date:%m/%d/%Y}</dd>" in page
    assert "<dd>English</dd>" in page
    assert patient.birth_date.isoformat() not in page
    assert "Needs groceries" in page
    for secret in ("MRN-SECRET-42", "Secret diabetes", str(patient.public_id), "60614"):
        assert secret not in page
        assert secret not in inbox
    # The chart and the sender's pages stay closed to the receiver.
    for closed in (reverse("patients:chart", args=[patient.public_id]), url("patient_social_needs", patient.public_id),
                   url("referral_detail", referral.public_id)):  # fmt: skip
        assert client.get(closed).status_code == 404
    response = client.post(url("referral_answer", referral.public_id), {"status": "accepted", "version": 1})
    assert response.status_code == 302
    response = client.post(
        url("referral_answer", referral.public_id),
        {"status": "completed", "outcome": "service-provided", "note": "Groceries picked up", "version": 2},
    )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("completed", "service-provided")
    sender_view = client_for(actor).get(url("referral_detail", referral.public_id)).content.decode()
    assert "Service provided" in sender_view
    assert "Groceries picked up" in sender_view


def test_the_sender_cannot_answer_in_the_receivers_inbox(client_for, actor, patient, pantry_service):
    referral = referral_for(actor, patient, pantry_service)
    client = client_for(actor)
    assert client.get(url("referral_incoming", referral.public_id)).status_code == 404
    assert (
        client.post(url("referral_answer", referral.public_id), {"status": "accepted", "version": 1}).status_code == 404
    )


def test_an_invalid_transition_is_shown_on_the_form(client_for, actor, patient, pantry_service, pantry_actor):
    referral = referral_for(actor, patient, pantry_service)
    response = client_for(pantry_actor).post(url("referral_answer", referral.public_id),
                                             {"status": "completed", "outcome": "other", "version": 1})  # fmt: skip
    assert response.status_code == 400
    assert "cannot become completed" in response.content.decode()


def _offered_statuses(body):
    select = body[body.index('name="status"') : body.index("</select>", body.index('name="status"'))]
    return re.findall(r'<option value="([a-z]+)"', select)


def test_only_the_allowed_next_statuses_are_offered(client_for, actor, org, patient, pantry_service, pantry_actor):
    referral = referral_for(actor, patient, pantry_service)
    inbox = client_for(pantry_actor).get(url("referral_incoming", referral.public_id)).content.decode()
    assert _offered_statuses(inbox) == ["received", "accepted", "declined"]
    sender = client_for(actor).get(url("referral_detail", referral.public_id)).content.decode()
    assert _offered_statuses(sender) == ["cancelled"]
    church = ServiceFactory(agency=AgencyFactory(organization=org, name="Church pantry"))
    offline = referral_for(actor, patient, church)
    services.referral_set_status(actor=actor, referral=offline, status="accepted", expected_version=1)
    page = client_for(actor).get(url("referral_detail", offline.public_id)).content.decode()
    assert _offered_statuses(page) == ["completed", "cancelled"]


def test_a_declined_referral_saying_service_provided_is_refused(client_for, actor, patient, pantry_service,
                                                                 pantry_actor):  # fmt: skip
    referral = referral_for(actor, patient, pantry_service)
    response = client_for(pantry_actor).post(
        url("referral_answer", referral.public_id),
        {"status": "declined", "outcome": "service-provided", "note": "Full", "version": 1},
    )
    assert response.status_code == 400
    assert "is not an outcome of a declined referral" in response.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("sent", "")


def test_benefits_pre_screen_page(client_for, actor, patient):
    response = client_for(actor).get(
        url("patient_benefits", patient.public_id),
        {"household_size": 1, "annual_income": 20000, "state": "IL", "age": 40, "insurance": "uninsured"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "May qualify" in body
    assert "SNAP gross income test: 130% FPL in IL." in body
    assert "$20,748" in body
    assert AuditEvent.objects.filter(event="benefits.screen").exists()


def test_directory_curation_pages(client_for, actor, org, pantry_org):
    client = client_for(actor)
    response = client.post(
        url("agency_new"), {"name": "Westside Shelter", "linked_organization": str(pantry_org.public_id)}
    )
    agency = Agency.objects.get(name="Westside Shelter")
    assert response["Location"] == url("agency_detail", agency.public_id)
    assert agency.linked_organization == pantry_org
    response = client.post(
        url("agency_service_add", agency.public_id),
        {"service-name": "Night shelter", "service-needs": ["homelessness"], "service-languages": ["en", "es"],
         "service-minimum_age": 18, "service-hours_text": "Every night 19:00-07:00"},
    )  # fmt: skip
    service = agency.services.get()
    assert service.need_list == ["homelessness"]
    assert service.hours == [{"description": "Every night 19:00-07:00"}]
    client.post(url("service_location_add", service.public_id), {"location-address_1": "9 Lake St", "location-city":
                "Chicago", "location-state": "IL", "location-postal_code": "60612"})  # fmt: skip
    assert service.locations.get().postal_code == "60612"
    client.post(url("service_status", service.public_id), {"status": "temporarily closed"})
    service.refresh_from_db()
    assert service.status == "temporarily closed"
    page = client.get(url("directory"), {"need": "homelessness"}).content.decode()
    assert "No services match." in page  # closed for now


def test_import_page_reports_rows(client_for, actor):
    upload = SimpleUploadedFile("organization_full.json", (DATA / "organization_full.json").read_bytes())
    response = client_for(actor).post(url("directory_import"), {"files": [upload]})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Created 1 organizations, 1 services" in body
    assert "not on Earth" in body
    bad = SimpleUploadedFile("x.json", b"{nope")
    assert client_for(actor).post(url("directory_import"), {"files": [bad]}).status_code == 400


def test_thresholds_page_for_admins(client_for, org):
    admin = make_actor(org, Role.ORG_ADMIN)
    client = client_for(admin)
    assert client.post(url("thresholds"), {"program": "snap", "state": "IL", "percent": 165}).status_code == 302
    assert "165%" in client.get(url("thresholds")).content.decode()


@pytest.mark.parametrize("name", ["directory", "incoming", "thresholds"])
def test_organization_pages_need_a_clinical_role(client_for, org, name):
    auditor = make_actor(org, Role.AUDITOR)
    assert client_for(auditor).get(url(name)).status_code == 404


def test_json_screen_answers_survive_storage(actor, patient):
    services.screening_record(actor=actor, patient=patient, answers=NEGATIVE, occurred_at=dt.datetime(2026, 1, 1,
                              tzinfo=dt.UTC))  # fmt: skip
    stored = SocialScreening.objects.get().answers
    assert json.loads(json.dumps(stored)) == {**NEGATIVE, "living-2": ["LA9-3"]}


def test_benefits_coverage_opens_on_the_coverage_on_file(client_for, actor, patient):
    from ..coverage.factories import make_coverage

    make_coverage(actor, patient, product_type="medicare_advantage", plan_name="MA Gold", position=1)
    body = client_for(actor).get(url("patient_benefits", patient.public_id)).content.decode()
    assert re.search(r'<option value="medicare-advantage"[^>]*selected', body)


def test_benefits_medicare_advantage_lists_the_medicare_programs(client_for, actor, patient):
    response = client_for(actor).get(
        url("patient_benefits", patient.public_id),
        {"household_size": 1, "annual_income": 15000, "state": "IL", "age": 70, "insurance": "medicare-advantage"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Medicare Savings Program: QMB" in body
    assert "Extra Help" in body


def _food_concern(patient):
    return ConditionFactory(patient=patient, category="health-concern", code_system="http://snomed.info/sct",
                            code="733423003", display="Food insecurity (finding)")  # fmt: skip


def test_the_referral_form_preselects_the_concern_of_the_need(client_for, actor, patient, pantry_service):
    concern = _food_concern(patient)
    refer = url("patient_referral_new", patient.public_id) + f"?service={pantry_service.public_id}&need=food-insecurity"
    body = client_for(actor).get(refer).content.decode()
    assert re.search(rf'<option value="{concern.public_id}"[^>]*selected', body)
    assert "An open referral for food insecurity exists" not in body


def test_the_referral_form_warns_of_an_open_referral_for_the_same_need(client_for, actor, patient, pantry_service):
    services.referral_send(
        actor=actor, patient=patient, service=pantry_service, need="food-insecurity", reason="Groceries",
        consent_by="Rosa Delgado", consent_method="Verbal", consent_on=_today(),
        respond_by=_today() + dt.timedelta(days=7),
    )  # fmt: skip
    refer = url("patient_referral_new", patient.public_id) + f"?service={pantry_service.public_id}&need=food-insecurity"
    body = client_for(actor).get(refer).content.decode()
    assert f"An open referral for food insecurity exists: Weekly groceries, sent {_today():%m/%d/%Y}" in body


@pytest.mark.parametrize(
    ("minimum", "maximum", "words"),
    [(60, None, "60 and over"), (None, 17, "up to 17"), (18, 64, "18 to 64"), (None, None, ""), (0, None, "")],
)
def test_a_services_age_range_in_words(minimum, maximum, words):
    from carecoord.community.domain import age_range_words

    assert age_range_words(minimum, maximum) == words
