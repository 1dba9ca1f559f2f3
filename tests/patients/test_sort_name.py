"""
Patient lists are in the order people expect (patients migration 0005): by the folded family then given name
(`sort_name`), so accents and capitals do not move a name on SQLite's byte-by-byte comparison.
"""

import datetime as dt
import importlib

from django.db import connection

from carecoord.patients import services
from carecoord.patients.domain import sort_name
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_search
from carecoord.records import services as records_services
from carecoord.records.choices import AmendmentTarget
from tests.factories import PatientFactory

from ..migration_steps import migrate_forward, migrated_back_to

MIGRATION = importlib.import_module("carecoord.patients.migrations.0005_patient_sort_name")

# (family, given) in the order a list must show them; a byte-by-byte order puts capitals first, lower case
# next and accented letters after "z": GARCIA, García, Zavala, de la Cruz, garcia, Álvarez, Ávila, Ñúñez, Órtiz.
EXPECTED = [
    ("Álvarez", "Luis"),
    ("Ávila", "Rosa"),
    ("Baker", "Tom"),
    ("De", "Zoe"),
    ("de la Cruz", "Ana"),
    ("garcia", "álvaro"),
    ("García", "Beatriz"),
    ("GARCIA", "Carlos"),
    ("Ñúñez", "Inés"),
    ("Órtiz", "Pablo"),
    ("Zavala", "Ana"),
]


def register_all(actor, names) -> dict[tuple[str, str], Patient]:
    registered = {}
    for n, (family, given) in enumerate(reversed(names)):
        data = {"mrn": f"S{n:03d}", "given_name": given, "family_name": family, "birth_date": dt.date(1960, 1, 1 + n)}
        registered[family, given] = services.patient_register(actor=actor, data=data, allow_possible_duplicate=True)
    return registered


def names_of(patients) -> list[tuple[str, str]]:
    return [(p.family_name, p.given_name) for p in patients]


def test_the_sort_key_folds_accents_and_case_and_ends_the_family_name_first():
    assert sort_name("Álvarez-Ñúñez", "José María") == "alvarez-nunez jose maria"
    assert sort_name("O'Neil", "ÉMILE") == "oneil emile"
    assert sort_name("De", "Zoe") < sort_name("de la Cruz", "Ana") < sort_name("Dela", "Al")


def test_the_search_selector_lists_accented_and_lower_case_names_in_alphabetical_order(actor):
    register_all(actor, EXPECTED)
    assert names_of(patient_search(actor, "")) == EXPECTED
    garcias = [name for name in EXPECTED if name[0].lower().replace("í", "i") == "garcia"]
    assert names_of(patient_search(actor, "garcia")) == garcias  # a name search keeps the same order


def test_the_patient_list_page_puts_alvarez_before_baker_and_zavala_last(actor, client_for):
    register_all(actor, EXPECTED)
    html = client_for(actor).get("/patients/").content.decode()
    positions = [html.index(f"{family}, {given}") for family, given in EXPECTED]
    assert positions == sorted(positions)


def test_a_family_name_edit_moves_the_patient(actor):
    registered = register_all(actor, EXPECTED)
    zavala = registered["Zavala", "Ana"]
    services.patient_update(
        actor=actor, patient=zavala, data={"family_name": "Ávalos"}, expected_version=zavala.version
    )
    assert names_of(patient_search(actor, ""))[:3] == [("Álvarez", "Luis"), ("Ávalos", "Ana"), ("Ávila", "Rosa")]
    assert Patient.objects.get(pk=zavala.pk).sort_name == "avalos ana"


def test_an_accepted_name_amendment_moves_the_patient_and_finds_it_by_the_new_name(actor):
    baker = register_all(actor, EXPECTED)["Baker", "Tom"]
    request = records_services.amendment_request_record(
        actor=actor, patient=baker, target=AmendmentTarget.DEMOGRAPHICS, field="family_name",
        requested_text="Yáñez", requested_by="Tom Baker (patient)",
    )  # fmt: skip
    records_services.amendment_accept(actor=actor, request=request)
    assert names_of(patient_search(actor, ""))[-2:] == [("Yáñez", "Tom"), ("Zavala", "Ana")]
    assert names_of(patient_search(actor, "yan")) == [("Yáñez", "Tom")]


def test_the_backfill_keys_every_patient_in_batches(org):
    patients = [PatientFactory(organization=org, family_name=f, given_name=g) for f, g in EXPECTED[:5]]
    Patient.objects.update(sort_name="")
    assert MIGRATION.backfill_sort_names(Patient, "default", batch=2) == 5
    assert MIGRATION.backfill_sort_names(Patient, "default", batch=2) == 0  # done: a second run changes nothing
    for patient in patients:
        patient.refresh_from_db()
        assert patient.sort_name == sort_name(patient.family_name, patient.given_name)
    assert names_of(Patient.objects.all()) == EXPECTED[:5]


def test_the_migration_keys_patients_already_stored_and_keeps_the_search_index(transactional_db):
    patients = [PatientFactory(family_name=f, given_name=g) for f, g in EXPECTED]
    with migrated_back_to("patients", "0004_patient_search_indexes") as executor:
        migrate_forward(executor, "patients", "0005_patient_sort_name")
    for patient in patients:
        patient.refresh_from_db()
        assert patient.sort_name == sort_name(patient.family_name, patient.given_name)
    assert names_of(Patient.objects.order_by("sort_name", "id")) == EXPECTED
    if connection.vendor == "sqlite":  # added in place: a table rebuild would drop the FTS5 triggers
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'patients_patient' AND type = 'trigger'")
            assert len(cursor.fetchall()) == 3
            cursor.execute("SELECT rowid FROM patients_patient_name_fts WHERE patients_patient_name_fts MATCH 'zav*'")
            assert [row[0] for row in cursor.fetchall()] == [patients[-1].pk]
