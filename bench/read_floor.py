"""
The floor of the FHIR read scenario: the same answer to `GET /fhir/R4/Patient/<id>` with a bearer token (the
token checked, the patient read only if the caller's organization may see it, with its identifiers, one audit
row committed before the answer, a FHIR JSON body) by the least a Python web process can do, on the same
gunicorn settings as `carecoord serve` (2 workers x 4 threads, gthread, access log) and the same database:
no Django, no ORM, raw psycopg with prepared statements.

Two shapes, each its own gunicorn, timed in the same run as ours:

- `statements`: the three statements CareCoord sends (token, patient, audit INSERT), each committed on its
  own as ours are;
- `one-trip`: the token remembered by each thread after its first use and the patient read by the audit
  INSERT's own statement (a CTE): one round trip a read. Not safe as it stands (a revoked token keeps working
  in that thread), so it is a lower bound, not a design.

PostgreSQL only (the shapes use its CTE-with-INSERT and prepared statements). The WSGI app is this module's
`application`; `BENCH_FLOOR_SHAPE` and `BENCH_FLOOR_DSN` choose the shape and the database.
"""

import hashlib
import json
import os
import sys
import threading
from pathlib import Path

CALLER_SQL = """
SELECT c.organization_id, c.service_user_id FROM fhir_accesstoken t
JOIN fhir_apiclient c ON c.id = t.client_id JOIN core_organization o ON o.id = c.organization_id
WHERE c.active AND o.active AND t.expires_at > now() AND t.revoked_at IS NULL AND t.token_sha256 = %(token)s
"""

PATIENT_SQL = """
SELECT p.public_id, p.version, p.updated_at, p.mrn, p.given_name, p.family_name, p.birth_date, p.gender,
       p.phone_primary, p.address_line1, p.city, p.state, p.postal_code, p.preferred_language,
       ARRAY(SELECT i.system || '|' || i.value FROM patients_patientidentifier i WHERE i.patient_id = p.id)
FROM patients_patient p
WHERE p.public_id = CAST(%(id)s AS uuid) AND p.organization_id = %(org)s AND p.deleted_at IS NULL
  AND (NOT p.restricted OR EXISTS (SELECT 1 FROM patients_careteammember m WHERE m.patient_id = p.id
       AND m.user_id = %(user)s AND m.start_date <= current_date
       AND (m.end_date IS NULL OR m.end_date >= current_date)))
"""

AUDIT_SQL = """
INSERT INTO core_auditevent (occurred_at, user_id, user_email, acting_organization_id, tenant_organization_id,
  action, event, object_type, object_id, patient_public_id, source_ip, user_agent, outcome, detail,
  sequence, previous_hash, hash)
VALUES (now(), %(user)s, '', %(org)s, %(org)s, 'R', 'fhir.read', 'patients.Patient', CAST(%(id)s AS text),
  CAST(%(id)s AS uuid),
  '127.0.0.1', '', 'success', '{"type": "Patient"}', NULL, '', '')
"""

ONE_TRIP_SQL = f"WITH audit AS ({AUDIT_SQL}) {PATIENT_SQL}"

_local = threading.local()


def _connection():
    import psycopg

    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = psycopg.connect(os.environ["BENCH_FLOOR_DSN"], autocommit=True, prepare_threshold=0)
    return conn


def _caller(conn, token: str, remember: bool):
    if remember and getattr(_local, "caller", None):
        return _local.caller
    caller = conn.execute(CALLER_SQL, {"token": hashlib.sha256(token.encode()).hexdigest()}).fetchone()
    if remember:
        _local.caller = caller
    return caller


def _patient(conn, params: dict, one_trip: bool):
    if one_trip:
        return conn.execute(ONE_TRIP_SQL, params).fetchone()
    row = conn.execute(PATIENT_SQL, params).fetchone()
    if row is not None:
        conn.execute(AUDIT_SQL, params)
    return row


def _resource(row) -> dict:
    public_id, version, updated, mrn, given, family, born, gender, phone, line, city, state, zip_, lang, ids = row
    return {
        "resourceType": "Patient",
        "id": str(public_id),
        "meta": {"versionId": str(version), "lastUpdated": updated.isoformat()},
        "identifier": [{"type": {"text": "MRN"}, "value": mrn}]
        + [{"system": s.partition("|")[0], "value": s.partition("|")[2]} for s in ids],
        "active": True,
        "name": [{"use": "official", "family": family, "given": [given]}],
        "telecom": [{"system": "phone", "value": phone, "use": "home"}] if phone else [],
        "gender": gender,
        "birthDate": born.isoformat(),
        "address": [{"use": "home", "line": [line], "city": city, "state": state, "postalCode": zip_}],
        "communication": [{"language": {"coding": [{"code": lang}]}, "preferred": True}],
    }


def application(environ, start_response):
    one_trip = os.environ.get("BENCH_FLOOR_SHAPE") == "one-trip"
    conn = _connection()
    caller = _caller(conn, environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer "), remember=one_trip)
    row = None
    if caller is not None:
        org, user = caller
        row = _patient(conn, {"id": environ["PATH_INFO"].rsplit("/", 1)[-1], "org": org, "user": user}, one_trip)
    if row is None:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    body = json.dumps(_resource(row), separators=(",", ":")).encode()
    start_response("200 OK", [("Content-Type", "application/fhir+json"), ("Content-Length", str(len(body)))])
    return [body]


def _dsn() -> str:
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    names = {"host": "HOST", "port": "PORT", "dbname": "NAME", "user": "USER", "password": "PASSWORD"}
    return make_conninfo(**{key: str(db[name]) for key, name in names.items() if db[name]})


class FloorServer:
    """gunicorn serving this module's app, with `carecoord serve`'s worker, thread and log settings."""

    def __init__(self, shape: str, workers: int, threads: int, log_path: Path):
        from .server import free_port

        self.shape, self.workers, self.threads, self.log_path = shape, workers, threads, log_path
        self.port = free_port()
        self.process = None

    def __enter__(self):
        import subprocess
        import time

        from .server import HttpSession

        env = {**os.environ, "BENCH_FLOOR_SHAPE": self.shape, "BENCH_FLOOR_DSN": _dsn()}
        command = [sys.executable, "-m", "gunicorn", "bench.read_floor:application", "--bind",
                   f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--threads", str(self.threads),
                   "--access-logfile", "-", "--no-control-socket"]  # fmt: skip
        root = Path(__file__).resolve().parent.parent
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                HttpSession(self.port).get("/")
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the floor server did not start (see {self.log_path})")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def read_floors(ctx, args, token: str, server_threads: int, log_dir: Path) -> dict:
    """Each shape's throughput on the benchmark's read (the caller's `read_patients`), in this run."""
    from django.db import connection

    from .fhir import read_patients

    if connection.vendor != "postgresql":
        return {"status": "skipped: the read floor is written for PostgreSQL"}
    found = {}
    for shape in ("statements", "one-trip"):
        with FloorServer(shape, args.workers, server_threads // args.workers, log_dir / f"floor-{shape}.log") as srv:
            found[shape] = read_patients(ctx, args, srv.port, token, server_threads)
        if set(found[shape]["statuses"]) != {200}:  # a floor that answered errors measured nothing
            raise RuntimeError(f"the {shape} floor answered {found[shape]['statuses']} (see {srv.log_path})")
    return found
