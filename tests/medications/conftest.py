"""A patient with a hospital discharge list and a nursing home MAR, and the prescribers on them."""

import datetime as dt

import pytest

from carecoord.medications import services

from ..factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory

LIST_DAY = dt.date(2026, 3, 2)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def hospitalist(org):
    return PractitionerFactory(organization=org, given_name="Hana", family_name="Ito")


@pytest.fixture
def cardiologist(org):
    practice = ExternalOrganizationFactory(organization=org, name="Heart Partners")
    return PractitionerFactory(organization=org, given_name="Carl", family_name="Berg", external_organization=practice)


def med(display, rxnorm_code="", **values) -> dict:
    return {"display": display, "rxnorm_code": rxnorm_code, **values}


@pytest.fixture
def discharge(actor, patient, hospitalist, cardiologist):
    return services.medication_list_create(
        actor=actor, patient=patient, source="discharge", source_name="Lakeside General discharge",
        list_date=LIST_DAY, lines=[
            med("lisinopril 10 MG Oral Tablet", "314076", dose="10 mg", frequency_code="daily",
                route_code="26643006", prescriber=hospitalist),
            med("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", "866412", dose="100 mg",
                frequency_code="daily", prescriber=cardiologist),
            med("Apixaban 5 mg", "1364430", dose="5 mg", frequency_code="bid", prescriber=hospitalist),
        ],
    )  # fmt: skip


@pytest.fixture
def mar(actor, patient, hospitalist):
    return services.medication_list_create(
        actor=actor, patient=patient, source="mar", source_name="Maple Grove MAR", list_date=LIST_DAY, lines=[
            med("Lisinopril 10mg", dose="10MG", frequency_text="once daily", route_code="26643006",
                prescriber=hospitalist),
            med("Metoprolol tartrate 25 mg", ingredient_code="6918", dose="25 mg", frequency_code="bid",
                prescriber=hospitalist),
            med("Warfarin 5 mg", "11289", dose="5 mg", frequency_code="daily"),
        ],
    )  # fmt: skip
