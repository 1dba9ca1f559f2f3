"""
Recording an outside visit: the practitioner must be one of the chosen practice's (the service and the form
refuse another, saying whom and where), the page narrows the practitioner menu to the practice's when the
practice changes (htmx), and each status radio sits inside its label.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.core.errors import ValidationError
from carecoord.scheduling import outside_services as outside
from carecoord.scheduling.models import Appointment
from carecoord.scheduling.outside_forms import OutsideAppointmentForm

from ..factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org):
    heart = ExternalOrganizationFactory(organization=org, name="Heart Partners")
    lakeview = ExternalOrganizationFactory(organization=org, name="Lakeview Orthopedics")
    return {
        "heart": heart,
        "lakeview": lakeview,
        "ruiz": PractitionerFactory(
            organization=org, given_name="Ana", family_name="Ruiz", external_organization=heart
        ),
        "stone": PractitionerFactory(
            organization=org, given_name="Ben", family_name="Stone", external_organization=lakeview
        ),
        "ours": PractitionerFactory(organization=org, given_name="Cleo", family_name="Okafor"),  # our own staff
        "patient": PatientFactory(organization=org, given_name="Ada", family_name="Byron"),
    }


def url(patient):
    return f"/patients/{patient.public_id}/outside/new/"


def form_data(practice, practitioner=None, **overrides):
    return {
        "external_organization": str(practice.public_id) if practice else "",
        "practitioner": str(practitioner.public_id) if practitioner else "",
        "date": "2026-11-30",
        "time": "10:00",
        "duration_minutes": "45",
        "status": "requested",
        **overrides,
    }


def menu_names(body: str) -> list[str]:
    menu = re.search(r'<select name="practitioner".*?</select>', body, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", menu)


# The service --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("stone", "Ben Stone, MD is not listed at Heart Partners: the directory lists them at Lakeview Orthopedics."),
        ("ours", "Cleo Okafor, MD is not listed at Heart Partners: the directory lists them with no outside practice."),
    ],
)
def test_the_service_refuses_a_practitioner_of_another_practice(actor, world, who, message):
    with pytest.raises(ValidationError) as refused:
        outside.outside_appointment_record(
            actor=actor,
            patient=world["patient"],
            start=dt.datetime(2026, 11, 30, 10, tzinfo=CHICAGO),
            duration_minutes=45,
            external_organization=world["heart"],
            practitioner=world[who],
        )
    assert refused.value.field == "practitioner"
    assert message in refused.value.message
    assert not Appointment.objects.exists()


def test_the_service_takes_a_practitioner_of_the_practice(actor, world):
    appointment = outside.outside_appointment_record(
        actor=actor,
        patient=world["patient"],
        start=dt.datetime(2026, 11, 30, 10, tzinfo=CHICAGO),
        duration_minutes=45,
        external_organization=world["heart"],
        practitioner=world["ruiz"],
    )
    assert (appointment.external_organization, appointment.practitioner) == (world["heart"], world["ruiz"])


# The form ---------------------------------------------------------------------------------------------------


def test_the_form_refuses_a_practitioner_of_another_practice_on_the_practitioner_field(actor, world):
    form = OutsideAppointmentForm(form_data(world["heart"], world["stone"]), actor=actor)
    assert not form.is_valid()
    assert form.errors["practitioner"] == [
        "Ben Stone, MD is not listed at Heart Partners: the directory lists them at Lakeview Orthopedics. "
        "Choose one of the practice's practitioners, or “Not known”."
    ]


@pytest.mark.parametrize(("practice", "who"), [("heart", "ruiz"), ("heart", None), (None, "stone")])
def test_the_form_takes_the_practices_own_practitioner_not_known_or_no_practice(actor, world, practice, who):
    data = form_data(world[practice] if practice else None, world[who] if who else None)
    form = OutsideAppointmentForm(data, actor=actor)
    assert form.is_valid(), form.errors


def test_the_menu_offers_only_the_chosen_practices_practitioners(actor, world):
    everyone = OutsideAppointmentForm(actor=actor)
    assert menu_names(str(everyone["practitioner"])) == [
        "Not known",
        "Cleo Okafor, MD",
        "Ana Ruiz, MD",
        "Ben Stone, MD",
    ]
    heart = OutsideAppointmentForm(actor=actor, initial={"external_organization": str(world["heart"].public_id)})
    assert menu_names(str(heart["practitioner"])) == ["Not known", "Ana Ruiz, MD"]
    refused = OutsideAppointmentForm(form_data(world["lakeview"], world["ruiz"]), actor=actor)
    assert menu_names(str(refused["practitioner"])) == ["Not known", "Ben Stone, MD"]


# The page -----------------------------------------------------------------------------------------------------


def test_the_page_refuses_the_pair_with_the_message_and_saves_nothing(actor, client_for, world):
    response = client_for(actor).post(url(world["patient"]), form_data(world["heart"], world["stone"]))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Ben Stone, MD is not listed at Heart Partners" in body
    assert not Appointment.objects.exists()


def test_changing_the_practice_refreshes_only_the_practitioner_menu(actor, client_for, world):
    client = client_for(actor)
    page = client.get(url(world["patient"])).content.decode()
    field = re.search(r'<div id="practitioner-field"[^>]*>', page).group(0)
    assert 'hx-trigger="change from:#id_external_organization"' in field
    assert 'hx-include="#id_external_organization, #id_practitioner"' in field
    response = client.get(
        url(world["patient"]),
        {"external_organization": str(world["heart"].public_id), "practitioner": str(world["ruiz"].public_id)},
        headers={"HX-Request": "true", "HX-Target": "practitioner-field"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="practitioner-field"')
    assert "<html" not in body
    assert menu_names(body) == ["Not known", "Ana Ruiz, MD"]
    assert re.search(rf'<option value="{world["ruiz"].public_id}" selected>', body)  # the choice kept
    assert "HX-Request" in response["Vary"]
    cleared = client.get(
        url(world["patient"]),
        {"external_organization": "", "practitioner": ""},
        headers={"HX-Request": "true", "HX-Target": "practitioner-field"},
    ).content.decode()
    assert len(menu_names(cleared)) == 4  # no practice: everyone again


def test_each_status_radio_is_inside_its_label(actor, client_for, world):
    body = client_for(actor).get(url(world["patient"])).content.decode()
    choices = re.search(r'<div class="checks status-choices">.*?</div>\s*</div>', body, re.S).group(0)
    labels = re.findall(r'<label for="id_status_\d">\s*<input type="radio"[^>]*>\s*([^<]+?)\s*</label>', choices)
    assert labels == ["Requested — the practice has yet to confirm", "Confirmed"]
    assert 'class="field' not in choices  # .field's inputs are full width: a radio there sits far from its words
