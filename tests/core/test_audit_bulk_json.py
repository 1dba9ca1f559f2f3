"""
core.audit_bulk on PostgreSQL: each model's INSERT takes its rows as one JSON document, its text the same for
one row as for 300, and every value comes back as it was given, awkward ones included (quotes, backslashes,
braces, commas, the word NULL, JSON null next to SQL NULL, time zones, decimals, addresses); every instance
gets the key of its own row, across the models of one insert_together. Models with a field of another type,
and values JSON cannot carry, keep the VALUES form. On SQLite the same rows go through the VALUES form and
come back the same too.
"""

import datetime as dt
import decimal
import itertools
import json
import uuid
import zoneinfo

import pytest
from django.db import DataError, connection, transaction
from django.db.models import Value
from django.db.models.fields.json import JSONField

from carecoord.checkins.choices import CareProgram
from carecoord.checkins.models import CareManagementEnrollment, Measurement
from carecoord.community.models import ResourceLocation
from carecoord.core import audit_bulk
from carecoord.core.audit_bulk import _fields, _json_columns, _json_document, insert_rows, insert_together
from carecoord.core.choices import AuditAction, AuditOutcome
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.models import ResourceVersion

from ..factories import OrganizationFactory, PatientFactory, UserFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.usefixtures("_frozen_clock"), pytest.mark.django_db]

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the JSON form is PostgreSQL's")

AWKWARD = [
    "",
    " ",
    "NULL",
    "null",
    "Null",
    "it's",
    'say "hi"',
    "back\\slash\\",
    "\\N",
    "{braces}",
    "{}",
    "a,b",
    "a;b",
    "%s %(x)s $1 ?",
    " lead and trail ",
    "tab\tnew\nline\rcr",
    "caf\u00e9 \u2713 \u6f22\u5b57 \U0001f642",
    "\u3000ideographic space\u2028",
    "E'\\x41'",
    '\\"{},\'"',
    "ARRAY[1]",
    "(1,2)",
]

WHEN = [
    NOW,
    dt.datetime(2026, 3, 9, 2, 30, 0, 123456, tzinfo=zoneinfo.ZoneInfo("America/Chicago")),
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    dt.datetime(2026, 7, 1, 0, 0, 0, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Kathmandu")),
    dt.datetime(1, 1, 2, tzinfo=dt.UTC),
]

DETAILS = [
    {},
    {"text": "NULL", "none": None, "empty": "", "list": [1, "2", None, {"k": "a,b"}], "t": True, "f": False},
    {"quote": 'say "hi" it\'s', "slash": "back\\slash", "brace": "{x}", "u": "caf\u00e9 \U0001f642"},
    {"big": 2**62, "neg": -7, "float": 0.1, "exp": 1e-300, "nested": {"a": {"b": [[], {}]}}},
    {'caf\u00e9 "key"': "\u6f22\u5b57", "": "empty key"},
]

ACTIONS = [AuditAction.CREATE, "R", AuditAction.UPDATE, "D", AuditAction.EXECUTE]  # enum members and str

SEQUENCES = itertools.count(2**62)  # AuditEvent.sequence is unique

IPS = [None, "10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1", "255.255.255.255", "fe80::1"]


def _audit_events(organization, user, count: int) -> list[AuditEvent]:
    events = []
    for n in range(count):
        events.append(
            AuditEvent(
                occurred_at=WHEN[n % len(WHEN)],
                user_id=user.pk if n % 3 else None,
                user_email=AWKWARD[n % len(AWKWARD)][:254],
                acting_organization_id=organization.pk if n % 2 else None,
                tenant_organization_id=organization.pk if n % 4 == 1 else None,
                action=ACTIONS[n % len(ACTIONS)],
                event=f"test.json-form.{n}",
                object_type=AWKWARD[(n + 1) % len(AWKWARD)],
                object_id=AWKWARD[(n + 2) % len(AWKWARD)],
                patient_public_id=uuid.UUID(int=n + 1) if n % 2 else None,
                source_ip=IPS[n % len(IPS)],
                user_agent=AWKWARD[(n + 3) % len(AWKWARD)],
                outcome=[AuditOutcome.SUCCESS, "failure", AuditOutcome.DENIED][n % 3],
                detail=DETAILS[n % len(DETAILS)],
                sequence=(next(SEQUENCES) * (1 if n % 2 else -1)) if n % 3 else None,
                previous_hash=AWKWARD[(n + 4) % len(AWKWARD)],
                hash="f" * 64 if n % 2 else "",
            )
        )
    return events


def _versions(organization, count: int) -> list[ResourceVersion]:
    resources = [
        None,
        {"resourceType": "Observation", "id": "x", "note": [{"text": t} for t in AWKWARD]},
        "NULL",
        [1, None, "null"],
        {"n": None},
        0,
        "",
        {},
        {"v": None},
        [],
    ]
    return [
        ResourceVersion(
            organization=organization,
            resource_type=f"Type{n}",
            resource_id=uuid.uuid4(),
            version_id=[1, 2**31 - 1, 7][n % 3],
            last_updated=WHEN[n % len(WHEN)],
            method=["POST", "PUT", "DELETE"][n % 3],
            resource=resources[n % len(resources)],
        )
        for n in range(count)
    ]


def _measurements(organization, patient, user, count: int) -> list[Measurement]:
    values = [decimal.Decimal(v) for v in ("0.01", "-12345678.99", "98.60", "0", "12345678.9", "-0.5")]
    rows = []
    for n in range(count):
        measurement = Measurement(
            organization=organization,
            patient=patient,
            kind="blood_pressure" if n % 2 else "weight",
            loinc="85354-9",
            value=values[n % len(values)],
            value2=values[(n + 1) % len(values)] if n % 2 else None,
            unit=["mm[Hg]", "kg", "[lb_av]", "%"][n % 4],
            occurred_at=WHEN[n % len(WHEN)],
            by=user,
            note=AWKWARD[n % len(AWKWARD)],
            entered_in_error=bool(n % 2),
        )
        # As interop/fhir/deferred.wait_to_insert: the values save would give, kept by a raw insert.
        for field in Measurement._meta.local_concrete_fields:
            if field is not Measurement._meta.auto_field:
                field.pre_save(measurement, True)
        rows.append(measurement)
    return rows


def _given(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in _fields(type(obj))}


def _stored(obj) -> dict:
    model = type(obj)
    return model._base_manager.filter(pk=obj.pk).values(*(f.attname for f in _fields(model))).get()


def _assert_round_trip(objs) -> None:
    for obj in objs:
        assert obj.pk is not None
        assert not obj._state.adding
        assert _stored(obj) == _given(obj), obj


class _Statements:
    """The statements run and their parameters, before psycopg merges them (connection.execute_wrapper)."""

    def __init__(self):
        self.run = []

    def __call__(self, execute, sql, params, many, context):
        self.run.append((sql, params))
        return execute(sql, params, many, context)

    def writes(self) -> list:
        return [(sql, params) for sql, params in self.run if sql.lstrip().upper().startswith(("INSERT", "WITH"))]


def _insert_rows(model, objs, raw=False) -> _Statements:
    statements = _Statements()
    with connection.execute_wrapper(statements):
        insert_rows(model, objs, using="default", raw=raw)
    return statements


def _insert_together(batches) -> _Statements:
    statements = _Statements()
    with connection.execute_wrapper(statements):
        insert_together(batches, using="default")
    return statements


@pytest.fixture
def world():
    organization = OrganizationFactory(slug="json-form")
    return organization, UserFactory(), PatientFactory(organization=organization)


def test_audit_events_come_back_as_given(world):
    organization, user, _ = world
    events = _audit_events(organization, user, 60)
    writes = _insert_rows(AuditEvent, events).writes()
    on_pg = connection.vendor == "postgresql"
    assert len(writes) == 1 or not on_pg  # SQLite: as many as its parameter limit takes
    assert all(("json_populate_record(" in sql) == on_pg for sql, _ in writes)
    _assert_round_trip(events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)


def test_history_versions_come_back_as_given_json_null_apart_from_sql_null(world):
    organization, _, _ = world
    versions = _versions(organization, 21)
    versions[5].resource = Value(None, JSONField())  # JSON null, not SQL NULL
    _insert_rows(ResourceVersion, versions)
    versions[5].resource = None  # what the ORM reads back for JSON null
    _assert_round_trip(versions)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, resource IS NULL FROM fhir_resourceversion WHERE id IN (%s, %s, %s)",
            [versions[0].pk, versions[5].pk, versions[2].pk],
        )
        is_null = dict(cursor.fetchall())
    assert is_null == {versions[0].pk: True, versions[5].pk: False, versions[2].pk: False}
    assert ResourceVersion.objects.get(pk=versions[2].pk).resource == "NULL"


def test_measurements_written_raw_come_back_as_given(world):
    organization, user, patient = world
    measurements = _measurements(organization, patient, user, 24)
    _insert_rows(Measurement, measurements, raw=True)
    _assert_round_trip(measurements)


def test_columns_of_nothing_but_null_and_dates(world):
    organization, _, patient = world
    events = [
        AuditEvent(occurred_at=NOW, action=AuditAction.READ, event=f"test.nulls.{n}", detail={}, user_agent="NULL")
        for n in range(4)
    ]
    _insert_rows(AuditEvent, events)
    _assert_round_trip(events)
    enrollments = [
        CareManagementEnrollment(
            organization=organization,
            patient=patient,
            program=[CareProgram.CCM, "pcm", "complex_ccm"][n % 3],
            consent_on=dt.date(2026, 1, 1) + dt.timedelta(days=n),
            start_date=[dt.date(1, 1, 1), dt.date(2026, 2, 28), dt.date(9999, 12, 31)][n % 3],
            end_date=None,
        )
        for n in range(3)
    ]
    _insert_rows(CareManagementEnrollment, enrollments)
    _assert_round_trip(enrollments)


def test_several_models_in_one_statement_keep_each_instance_its_row(world):
    organization, user, patient = world
    versions = _versions(organization, 17)
    measurements = _measurements(organization, patient, user, 9)
    events = _audit_events(organization, user, 23)
    with transaction.atomic():
        statements = _insert_together(
            [(ResourceVersion, versions, False), (Measurement, measurements, True), (AuditEvent, events, False)]
        )
    writes = statements.writes()
    assert len(writes) == (1 if connection.vendor == "postgresql" else 3)
    for n, event in enumerate(events):
        assert AuditEvent.objects.get(pk=event.pk).event == f"test.json-form.{n}"
    for n, version in enumerate(versions):
        assert ResourceVersion.objects.get(pk=version.pk).resource_type == f"Type{n}"
    _assert_round_trip(versions)
    _assert_round_trip(measurements)
    _assert_round_trip(events)
    for objs in (versions, measurements, events):
        assert [o.pk for o in objs] == sorted(o.pk for o in objs)


@on_postgresql
def test_statement_text_does_not_grow_with_the_rows(world):
    organization, user, patient = world
    texts = {}
    for count in (1, 300):
        events = _audit_events(organization, user, count)
        versions = _versions(organization, count)
        measurements = _measurements(organization, patient, user, count)
        alone = _insert_rows(AuditEvent, _audit_events(organization, user, count)).writes()
        together = _insert_together(
            [(ResourceVersion, versions, False), (Measurement, measurements, True), (AuditEvent, events, False)]
        ).writes()
        assert len(alone) == len(together) == 1
        texts[count] = (alone[0][0], together[0][0])
        # One parameter per model: its rows' document.
        assert len(together[0][1]) == 3
        assert [len(json.loads(p)) for p in together[0][1]] == [count] * 3
        _assert_round_trip(events)
        _assert_round_trip(versions)
        _assert_round_trip(measurements)
    assert texts[1] == texts[300]
    # Short enough, with few enough parameters, for psycopg to keep its conversion (psycopg/_queries.py): a
    # single FHIR create's rows (one of each) included.
    from psycopg import _queries

    for text in texts[1]:
        assert len(text.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(together[0][1]) <= _queries.MAX_CACHED_STATEMENT_PARAMS


@on_postgresql
def test_a_value_too_long_for_its_column_fails_as_in_values(world):
    organization, user, _ = world
    events = _audit_events(organization, user, 3)
    events[1].event = "x" * 81  # varchar(80): refused, not cut to 80
    with pytest.raises(DataError), transaction.atomic():
        _insert_rows(AuditEvent, events)


@on_postgresql
def test_long_lists_go_in_several_statements(world, monkeypatch):
    organization, user, _ = world
    monkeypatch.setattr(audit_bulk, "JSON_ROWS", 4)
    events = _audit_events(organization, user, 10)
    assert len(_insert_rows(AuditEvent, events).writes()) == 3
    _assert_round_trip(events)
    for n, event in enumerate(events):
        assert AuditEvent.objects.get(pk=event.pk).event == f"test.json-form.{n}"
    events, versions = _audit_events(organization, user, 5), _versions(organization, 2)
    with transaction.atomic():
        writes = _insert_together([(ResourceVersion, versions, False), (AuditEvent, events, False)]).writes()
    assert len(writes) == 3  # a model past JSON_ROWS: one insert_rows per model, as past MAX_PARAMS
    _assert_round_trip(events)
    _assert_round_trip(versions)


def test_models_with_another_field_type_keep_the_values_form(world):
    organization, _, _ = world
    assert _json_columns(connection, ResourceLocation, _fields(ResourceLocation)) is None  # FloatField
    if connection.vendor == "postgresql":
        columns = _json_columns(connection, AuditEvent, _fields(AuditEvent))
        assert ("occurred_at", False) in columns
        assert ("detail", True) in columns
    else:
        assert _json_columns(connection, AuditEvent, _fields(AuditEvent)) is None
    locations = [
        ResourceLocation(organization=organization, name=AWKWARD[n], latitude=[None, 41.5, -0.1][n % 3])
        for n in range(3)
    ]
    (write,) = _insert_rows(ResourceLocation, locations).writes()
    assert "json_populate_record(" not in write[0]
    assert write[0].count("%s") == len(_fields(ResourceLocation)) * 3
    _assert_round_trip(locations)


@on_postgresql
def test_values_json_cannot_carry_keep_the_values_form(world):
    from django.db.backends.postgresql.psycopg_any import Jsonb

    columns = (("n", False), ("doc", True))
    assert json.loads(_json_document(columns, [[1, Jsonb({"a": 1}, dumps=json.dumps)], [None, None]])) == [
        {"n": 1, "doc:json": {"a": 1}},
        {},
    ]
    assert _json_document(columns, [[1, Jsonb({"a": 1})]]) is None  # psycopg's own dumps: not known here
    assert _json_document(columns, [[1, '{"a": 1}']]) is None  # a JSON column's value not as Jsonb
    assert _json_document(columns, [[1, Jsonb({"a": float("nan")}, dumps=json.dumps)]]) is None
    assert _json_document(columns, [[object(), None]]) is None
    organization, user, _ = world
    events = _audit_events(organization, user, 3)
    events[2].detail = {"a": float("inf")}  # not JSON: VALUES carries it to the server, which refuses it
    statements = _Statements()
    with pytest.raises(DataError), transaction.atomic(), connection.execute_wrapper(statements):
        insert_rows(AuditEvent, events, using="default")
    (write,) = statements.writes()
    assert " VALUES " in write[0]
    assert "json_populate_record(" not in write[0]


@on_postgresql
def test_the_json_form_runs_as_a_prepared_statement_values_do_not(world):
    # Its text is the same whatever the rows, so the server plans it once per connection (audit_bulk._run); a
    # VALUES text changes with its rows and is not kept.
    organization, user, _ = world
    events, versions = _audit_events(organization, user, 2), _versions(organization, 3)
    with transaction.atomic():
        insert_together([(ResourceVersion, versions, False), (AuditEvent, events, False)], using="default")
    locations = [ResourceLocation(organization=organization, name="Clinic", latitude=41.5)]
    insert_rows(ResourceLocation, locations, using="default")  # a FloatField: the VALUES form
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("json_populate_record(" in text and "fhir_resourceversion" in text for text in prepared)
    assert not any(ResourceLocation._meta.db_table in text for text in prepared)
    _assert_round_trip(events)
    _assert_round_trip(versions)
    _assert_round_trip(locations)
