"""
Patient search runs one indexed lookup per kind of query (patients migration 0004): MRN exact in any case,
phone on either number, date of birth, name word prefixes (trigram LIKE on PostgreSQL, FTS5 on SQLite, kept in
step with the table by triggers). These check the answers, on whichever database the suite runs.
"""

import datetime as dt

import pytest
from django.db import connection

from carecoord.patients.domain import search_name
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_search

from ..factories import PatientFactory


def found(actor, query: str) -> set[str]:
    return {p.mrn for p in patient_search(actor, query)}


def patient(org, mrn, given, family, **extra):
    return PatientFactory(organization=org, mrn=mrn, given_name=given, family_name=family, **extra)


@pytest.fixture
def registry(actor):
    org = actor.organization
    return {
        "garcia": patient(org, "GL10000001", "María José", "García-Lorca", phone_primary="+13125550142"),
        "garner": patient(org, "gl10000002", "Marcus", "Garner", phone_secondary="+13125550142"),
        "oneil": patient(org, "AB-77", "Siobhan", "O'Neil", birth_date=dt.date(1948, 3, 7)),
        "lettersmrn": patient(org, "QWERTY", "Zed", "Quorra"),
    }


def test_name_prefixes_in_any_order_match_word_starts_only(actor, registry):
    assert found(actor, "garc mar") == {"GL10000001"}
    assert found(actor, "mar gar") == {"GL10000001", "gl10000002"}
    assert found(actor, "lorca") == {"GL10000001"}  # each part of a hyphenated name is a word
    assert found(actor, "oneil") == {"AB-77"}
    assert found(actor, "o'neil") == {"AB-77"}
    assert found(actor, "arcia") == set()  # inside a word is not a prefix
    assert found(actor, "garc zed") == set()  # every term must match the same patient


def test_mrn_matches_exactly_in_any_case_and_not_as_a_prefix(actor, registry):
    assert found(actor, "gl10000001") == {"GL10000001"}
    assert found(actor, "GL10000002") == {"gl10000002"}
    assert found(actor, "GL1000000") == set()
    assert found(actor, "ab-77") == {"AB-77"}
    assert found(actor, "qwerty") == {"QWERTY"}  # a one-word query without digits may still be an MRN


def test_phone_in_any_format_matches_either_number(actor, registry):
    assert found(actor, "(312) 555-0142") == {"GL10000001", "gl10000002"}
    assert found(actor, "312.555.0142") == {"GL10000001", "gl10000002"}
    assert found(actor, "(312) 555-0199") == set()


def test_date_of_birth_in_either_format(actor, registry):
    assert found(actor, "03/07/1948") == {"AB-77"}
    assert found(actor, "1948-03-07") == {"AB-77"}


def test_search_never_shows_another_organizations_patients(actor, other_org, registry):
    patient(other_org, "GL10000001", "María", "García", phone_primary="+13125550142", birth_date=dt.date(1948, 3, 7))
    assert found(actor, "garc mar") == {"GL10000001"}
    assert len(list(patient_search(actor, "GL10000001"))) == 1
    assert len(list(patient_search(actor, "(312) 555-0142"))) == 2
    assert len(list(patient_search(actor, "03/07/1948"))) == 1


def test_name_index_follows_renames_and_removals(actor, registry):
    garner = registry["garner"]
    garner.family_name = "Whitfield"
    garner.search_name = search_name(garner.given_name, garner.family_name)
    garner.save()
    assert found(actor, "whit") == {"gl10000002"}
    assert found(actor, "garn") == set()
    Patient.objects.filter(pk=registry["oneil"].pk).delete()
    assert found(actor, "oneil") == set()


def test_each_kind_of_search_has_its_index(db):
    with connection.cursor() as cursor:
        indexes = {index for index in connection.introspection.get_constraints(cursor, "patients_patient")}
        assert {"patient_mrn_upper", "patient_birth_date"} <= indexes
        if connection.vendor == "postgresql":
            assert "patient_search_name_trgm" in indexes
        if connection.vendor == "sqlite":
            # A table rebuild by a later migration (SQLite's way of altering a column) would drop these.
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'patients_patient' AND type = 'trigger'")
            triggers = {row[0] for row in cursor.fetchall()}
            assert {f"patients_patient_name_fts_{op}" for op in ("insert", "update", "delete")} <= triggers
