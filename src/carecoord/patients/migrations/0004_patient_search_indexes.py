"""
Indexes for patient search, one per kind of query (bench/README.md, "Patient search"):

- MRN: `UPPER(mrn)`, matched exactly (MRNs are unique per organization ignoring case);
- date of birth: `birth_date` alone, because visibility (own organization OR shared under consent) is an OR
  that keeps the (organization, birth_date) index from being used;
- name prefixes ("garc mar"): PostgreSQL, a pg_trgm GIN index on `search_name`, which serves
  `search_name LIKE '% garc%'`; SQLite, an FTS5 table over `search_name` (external content, kept by
  triggers) searched with prefix queries (`"garc"* AND "mar"*`).

They are raw SQL, not model indexes, because each engine gets its own and the FTS5 table is not a model.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

COMMON = [
    ("CREATE INDEX patient_mrn_upper ON patients_patient (UPPER(mrn))", "DROP INDEX IF EXISTS patient_mrn_upper"),
    ("CREATE INDEX patient_birth_date ON patients_patient (birth_date)", "DROP INDEX IF EXISTS patient_birth_date"),
]

POSTGRESQL = [
    (
        "CREATE INDEX patient_search_name_trgm ON patients_patient USING gin (search_name gin_trgm_ops)",
        "DROP INDEX IF EXISTS patient_search_name_trgm",
    ),
]

# The folded names hold letters, digits and combining marks (patients.domain.fold); the tokenizer keeps exactly
# those in a word, so FTS5 words are the words of search_name.
SQLITE = [
    (
        "CREATE VIRTUAL TABLE patients_patient_name_fts USING fts5(search_name, content='patients_patient', "
        "content_rowid='id', tokenize=\"unicode61 remove_diacritics 0 categories 'L* N* Co M*'\", prefix='2 3')",
        "DROP TABLE IF EXISTS patients_patient_name_fts",
    ),
    (
        "CREATE TRIGGER patients_patient_name_fts_insert AFTER INSERT ON patients_patient BEGIN "
        "INSERT INTO patients_patient_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END",
        "DROP TRIGGER IF EXISTS patients_patient_name_fts_insert",
    ),
    (
        "CREATE TRIGGER patients_patient_name_fts_delete AFTER DELETE ON patients_patient BEGIN "
        "INSERT INTO patients_patient_name_fts(patients_patient_name_fts, rowid, search_name) "
        "VALUES ('delete', old.id, old.search_name); END",
        "DROP TRIGGER IF EXISTS patients_patient_name_fts_delete",
    ),
    (
        "CREATE TRIGGER patients_patient_name_fts_update AFTER UPDATE OF search_name ON patients_patient BEGIN "
        "INSERT INTO patients_patient_name_fts(patients_patient_name_fts, rowid, search_name) "
        "VALUES ('delete', old.id, old.search_name); "
        "INSERT INTO patients_patient_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END",
        "DROP TRIGGER IF EXISTS patients_patient_name_fts_update",
    ),
    ("INSERT INTO patients_patient_name_fts(patients_patient_name_fts) VALUES ('rebuild')", None),
]


def _statements(vendor: str) -> list[tuple[str, str | None]]:
    if vendor == "postgresql":
        return COMMON + POSTGRESQL
    if vendor == "sqlite":
        return COMMON + SQLITE
    return COMMON


def forwards(apps, schema_editor):
    for create, _drop in _statements(schema_editor.connection.vendor):
        schema_editor.execute(create)


def backwards(apps, schema_editor):
    for _create, drop in reversed(_statements(schema_editor.connection.vendor)):
        if drop:
            schema_editor.execute(drop)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_patient_restricted_record"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(forwards, backwards),
    ]
