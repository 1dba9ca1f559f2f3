"""
T33, the backup and restore drill under load, on the throwaway PostgreSQL cluster: `carecoord serve` takes a
steady read+write load (locust, SOAK_BACKUP_USERS users for SOAK_BACKUP_SECONDS, plus two client loops whose
every write is logged with when it started and when it was acknowledged); `carecoord backup` runs in the middle
of it. The artefact is then restored with `carecoord restore` into a fresh database of the same cluster (timed).
Pass, on the restored database: the restore completes and verifies; every table's rows equal the manifest's
(the snapshot point); every write acknowledged before the backup started is there, row for row as in the
source, and none started after the backup ended; the invariant checker finds nothing lost, partial or
duplicated; `carecoord audit-verify` passes; a server started on it keeps organization A's patients from a
user (and a FHIR client) of organization B, and from anyone signed out, while A's own user still sees them;
and the artefact holds no clear text and cannot be restored with a wrong key or without one.
"""

import base64
import json
import re
import secrets
import threading
import time

import pytest
import requests
from tests.ops.serverkit import carecoord

from . import invariants
from .conftest import env_int
from .test_load import errors, run_locust
from .writes import MRN_SYSTEM, FhirClient, patient_resource

SERVE = ("--workers", "2", "--threads", "4")
RESTORED = "carecoord_restored"
DISTINCTIVE = "Quillfeather-Restoreson"  # the family name of organization A's marked patients
PASSWORD = "Drill-" + secrets.token_urlsafe(18)
A_USER, B_USER = "coordinator-a@drill.example", "coordinator-b@drill.example"


class TimedWriter(threading.Thread):
    """Idempotent multi-object writes in a loop; keeps each acknowledged write with when it started and ended."""

    def __init__(self, client: FhirClient, prefix: str):
        super().__init__(daemon=True)
        self.client, self.prefix = client, prefix
        self.writes: list[dict] = []
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            started = time.monotonic()
            try:
                write = self.client.write(f"{self.prefix}-{n:05d}")
            except BaseException as exc:  # reported by the test, not lost in a thread
                self.error = exc
                return
            self.writes.append({**write, "started": started, "acknowledged": time.monotonic()})
            n += 1
            time.sleep(0.2)

    def stop(self) -> list[dict]:
        self.halt.set()
        self.join(180)
        if self.error is not None:
            raise self.error
        return self.writes


def row_counts(db) -> dict[str, int]:
    tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
    return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}


def rows_of(db, writes: list[dict]) -> dict:
    """The full rows (as text) of these writes' patients, care plans and goals."""
    patients = [w["patient"] for w in writes]
    plans = [w["careplan"] for w in writes]
    goals = [g for w in writes for g in w["goals"]]
    found = {}
    for table, ids in (("patients_patient", patients), ("careplans_careplan", plans), ("careplans_goal", goals)):
        rows = db.execute(
            f"SELECT public_id::text, t::text FROM {table} t WHERE public_id::text = ANY(%s)",
            [ids],
        ).fetchall()
        found[table] = dict(rows)
    return found


def mrns_present(db, mrns: list[str]) -> set[str]:
    rows = db.execute("SELECT mrn FROM patients_patient WHERE mrn = ANY(%s)", [mrns]).fetchall()
    return {r[0] for r in rows}


def sign_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    page = session.get(f"{base}/account/login/", timeout=30)
    assert page.status_code == 200, page.status_code
    response = session.post(
        f"{base}/account/login/",
        data={"email": email, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/account/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, (email, response.status_code, response.text[:300])
    assert "/account/" not in response.headers.get("Location", ""), response.headers.get("Location")
    return session


def wait_for_locust(thread: threading.Thread, result: dict) -> dict:
    thread.join(900)
    if "error" in result:
        raise result["error"]
    return result["figures"]


@pytest.fixture(scope="module")
def drill(installation, tmp_path_factory):
    """Runs the whole drill once; the tests below each check one pass criterion on what it left."""
    folder = tmp_path_factory.mktemp("backup-drill")
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = {**installation.env, "CARECOORD_BACKUP_KEY": key}
    seconds, users = env_int("SOAK_BACKUP_SECONDS", 45), env_int("SOAK_BACKUP_USERS", 10)

    # Organization B (no two-factor: scripted sign-in), one coordinator in each, a FHIR client of B.
    b_slug = carecoord("createorg", "Other Clinic", "--kind", "clinic", "--state", "IL", "--timezone",
                       "America/Chicago", "--slug", "drill-other", "--no-require-mfa", env=env).strip()  # fmt: skip
    carecoord("createuser", A_USER, "--org", "soak", "--role", "coordinator", "--name", "Ada Drill",
              env=env, stdin=PASSWORD + "\n")  # fmt: skip
    carecoord("createuser", B_USER, "--org", b_slug, "--role", "coordinator", "--name", "Bea Drill",
              env=env, stdin=PASSWORD + "\n")  # fmt: skip
    b_client = json.loads(carecoord("api-client", "create", "--org", b_slug, "--scopes", "system/*.*", "--json",
                                    env=env))  # fmt: skip

    running = installation.serve(*SERVE)
    base = running.base
    writers: list[TimedWriter] = []
    try:
        # Organization A's marked patients (and one more with a care plan and goals), before the load.
        marker = FhirClient(base, lambda: installation.token(base))
        marked = []
        for n in range(3):
            mrn = f"DRILL-A-{n}"
            resource = patient_resource(mrn)
            resource["name"] = [{"use": "official", "family": DISTINCTIVE, "given": [f"Marked{n}"]}]
            created = marker.request("POST", "Patient", json=resource,
                                     headers={"If-None-Exist": f"identifier={MRN_SYSTEM}|{mrn}"})  # fmt: skip
            assert created.status_code in (200, 201), created.text[:300]
            marked.append({"mrn": mrn, "patient": created.json()["id"]})
        marked_plan = marker.write("DRILL-A-PLAN")

        writers += [TimedWriter(FhirClient(base, lambda: installation.token(base)), f"T33W{i}") for i in range(2)]
        result: dict = {}

        def load() -> None:
            try:
                result["figures"] = run_locust(installation, base, folder, users=users, rate=5, seconds=seconds)
            except BaseException as exc:
                result["error"] = exc

        locust = threading.Thread(target=load, daemon=True)
        locust.start()
        for writer in writers:
            writer.start()
        time.sleep(seconds / 3)
        backup_started = time.monotonic()
        output = carecoord("backup", "--output", str(folder / "backups"), env=env)
        backup_ended = time.monotonic()
        figures = wait_for_locust(locust, result)
        acknowledged = [w for writer in writers for w in writer.stop()]
    finally:
        for writer in writers:  # on a failure above, do not leave them writing
            writer.halt.set()
        running.stop()

    (artefact,) = (folder / "backups").glob("*.ccbackup")
    manifest = json.loads((folder / "backups" / f"{artefact.name}.manifest.json").read_text())
    before = [w for w in acknowledged if w["acknowledged"] < backup_started]
    after = [w for w in acknowledged if w["started"] > backup_ended]

    with installation.cluster.connect() as db:
        source_report = invariants.check(db, acknowledged)
        source_rows = rows_of(db, [*before, marked_plan])

    # Restore into a fresh database of the same cluster, timed; the command verifies counts and the chain.
    restored_url = installation.cluster.url(RESTORED)
    started = time.monotonic()
    restore_output = carecoord("restore", str(artefact), "--database-url", restored_url, env=env)
    restore_seconds = time.monotonic() - started
    with installation.cluster.connect(RESTORED) as db:  # read at once: later checks write (sessions, audit)
        restored = {
            "counts": row_counts(db),
            "present_before": mrns_present(db, [w["mrn"] for w in before]),
            "present_after": mrns_present(db, [w["mrn"] for w in after]),
            "rows": rows_of(db, [*before, marked_plan]),
            "report": invariants.check(db, before),
            "plans": db.execute("SELECT COUNT(*) FROM careplans_careplan").fetchone()[0],
        }

    return {
        "env": env, "key": key, "folder": folder, "artefact": artefact, "manifest": manifest,
        "backup_output": output, "backup_seconds": backup_ended - backup_started, "locust": figures,
        "acknowledged": acknowledged, "before": before, "after": after, "source_report": source_report,
        "source_rows": source_rows, "restored_url": restored_url, "restore_output": restore_output,
        "restore_seconds": restore_seconds, "restored": restored, "marked": marked, "marked_plan": marked_plan,
        "b_client": b_client, "b_slug": b_slug,
    }  # fmt: skip


def test_the_backup_taken_under_load_restores_and_is_timed(drill, record):
    manifest, restored_counts = drill["manifest"], drill["restored"]["counts"]
    record(
        "t33_backup_restore",
        {
            "load": drill["locust"],
            "backup_seconds": round(drill["backup_seconds"], 2),
            "backup_seconds_in_manifest": manifest["seconds"],
            "artefact_bytes": drill["artefact"].stat().st_size,
            "tables": len(manifest["row_counts"]),
            "rows": sum(manifest["row_counts"].values()),
            "patients": manifest["row_counts"]["patients_patient"],
            "audit_rows": {t: n for t, n in manifest["row_counts"].items() if t.startswith("core_audit")},
            "restore_seconds": round(drill["restore_seconds"], 2),
            "restore_report": re.findall(r"(Restored .*?s\.|Restore complete .*?s\.)", drill["restore_output"]),
            "tracked_writes": len(drill["acknowledged"]),
            "acknowledged_before_backup": len(drill["before"]),
            "started_after_backup": len(drill["after"]),
            "restored_rows": sum(restored_counts.values()),
        },
    )
    assert "Restore complete and verified" in drill["restore_output"], drill["restore_output"]
    assert "Audit chain intact" in drill["restore_output"], drill["restore_output"]
    # The load went on through the backup without a single failure.
    assert errors(drill["locust"], shed_allowed=False) == 0, drill["locust"]
    assert drill["locust"]["requests"] > 0
    invariants.assert_clean(drill["source_report"])


def test_every_table_of_the_restored_database_matches_the_snapshot_point(drill):
    restored = drill["restored"]
    assert restored["counts"] == drill["manifest"]["row_counts"]
    assert drill["before"], "no write was acknowledged before the backup started: the load was too short"
    assert drill["after"], "no write started after the backup ended: the load stopped too early"
    # Acknowledged before the snapshot: present, row for row as in the source. Started after it: absent.
    assert restored["present_before"] == {w["mrn"] for w in drill["before"]}
    assert restored["rows"] == drill["source_rows"]
    assert restored["present_after"] == set()


def test_the_invariant_checker_passes_on_the_restored_database(drill):
    report = drill["restored"]["report"]
    assert report["acknowledged"] == len(drill["before"])
    invariants.assert_clean(report)
    assert drill["restored"]["plans"] >= len(drill["before"])


def test_audit_verify_passes_on_the_restored_database(drill):
    env = {**drill["env"], "DATABASE_URL": drill["restored_url"]}
    as_restored = carecoord("audit-verify", "--no-seal", env=env)
    assert "Audit chain intact" in as_restored, as_restored
    sealed = carecoord("audit-verify", env=env)  # seals what was pending at the snapshot, then verifies again
    assert "Audit chain intact" in sealed, sealed
    assert re.search(r"(\d+) events verified, 0 pending", sealed), sealed


def test_organization_b_cannot_read_organization_a_on_the_restored_database(drill, installation, record):
    running = installation.serve(*SERVE, extra_env={"DATABASE_URL": drill["restored_url"]})
    base = running.base
    patient, plan = drill["marked"][0], drill["marked_plan"]
    # What must never reach B: A's ids, given names, MRNs (a search's own text is echoed, so not the family name).
    ids_of_a = [m["patient"] for m in drill["marked"]] + [plan["patient"], plan["careplan"], *plan["goals"]]
    never = ids_of_a + [f"Marked{n}" for n in range(3)] + [m["mrn"] for m in drill["marked"][1:]] + [plan["mrn"]]
    reads = {
        "chart": f"/patients/{patient['patient']}/",
        "api read": f"/api/v1/patients/{patient['patient']}",
        "fhir read": f"/fhir/R4/Patient/{patient['patient']}",
        "fhir care plan": f"/fhir/R4/CarePlan/{plan['careplan']}",
        "fhir goal": f"/fhir/R4/Goal/{plan['goals'][0]}",
    }
    searches = {
        "page search": f"/patients/?q={DISTINCTIVE}",
        "api search": f"/api/v1/patients?q={DISTINCTIVE}",
        "fhir name": f"/fhir/R4/Patient?name={DISTINCTIVE}",
        "fhir mrn": f"/fhir/R4/Patient?identifier={MRN_SYSTEM}|{patient['mrn']}",
        "fhir care plans": f"/fhir/R4/CarePlan?subject=Patient/{plan['patient']}",
        "fhir all patients": "/fhir/R4/Patient?_count=100",
    }
    try:
        with installation.cluster.connect(RESTORED) as db:
            a_before = db.execute("SELECT t::text FROM patients_patient t ORDER BY id").fetchall()
        b_token = requests.post(
            f"{base}/oauth/token", timeout=30,
            data={"grant_type": "client_credentials", "client_id": drill["b_client"]["client_id"],
                  "client_secret": drill["b_client"]["client_secret"]},
        ).json()["access_token"]  # fmt: skip
        b_fhir = requests.Session()
        b_fhir.headers["Authorization"] = f"Bearer {b_token}"
        callers = {"user of B": sign_in(base, B_USER), "FHIR client of B": b_fhir}
        seen: list = []
        for who, session in callers.items():
            for name, path in {**reads, **searches}.items():
                if who.startswith("FHIR") and not path.startswith("/fhir/"):
                    continue
                response = session.get(base + path, timeout=30)
                leaked = [s for s in never if s in response.text and s not in path]  # the caller's own id echoed
                seen.append((who, name, response.status_code, leaked, _found(response)))
        anonymous = {name: requests.get(base + path, allow_redirects=False, timeout=30).status_code
                     for name, path in reads.items()}  # fmt: skip
        a_session = sign_in(base, A_USER)
        targeted = {name: path for name, path in {**reads, **searches}.items() if name != "fhir all patients"}
        a_sees = {name: a_session.get(base + path, timeout=30) for name, path in targeted.items()}
        with installation.cluster.connect(RESTORED) as db:
            a_after = db.execute("SELECT t::text FROM patients_patient t ORDER BY id").fetchall()
    finally:
        running.stop()
    record("t33_restored_isolation", {
        "denied": [{"who": who, "what": name, "status": status, "leaked": leaked, "results": found}
                   for who, name, status, leaked, found in seen],
        "signed_out": anonymous, "organization_a_sees": {name: r.status_code for name, r in a_sees.items()},
    })  # fmt: skip
    denied_reads = [s for s in seen if s[1] in reads]
    denied_searches = [s for s in seen if s[1] in searches]
    assert len(denied_reads) == 8
    assert len(denied_searches) == 10
    assert all(status == 404 and not leaked for _, _, status, leaked, _ in denied_reads), denied_reads
    assert all(status == 200 and not leaked and found in (0, None)
               for _, _, status, leaked, found in denied_searches), denied_searches  # fmt: skip
    assert anonymous["chart"] == 302, anonymous
    assert all(status == 401 for name, status in anonymous.items() if name != "chart"), anonymous
    assert a_after == a_before
    # Organization A's own coordinator still reads and finds them on the restored database.
    assert {name: r.status_code for name, r in a_sees.items()} == dict.fromkeys(a_sees, 200)
    for name, response in a_sees.items():
        assert patient["patient"] in response.text or plan["careplan"] in response.text, (name, response.text[:300])
        assert _found(response) != 0, name


def _found(response) -> int | None:
    """How many results a JSON search answered (None for a page or a single read)."""
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    body = response.json()
    if body.get("resourceType") == "Bundle":
        return len(body.get("entry", []))
    if "results" in body:
        return len(body["results"])
    return None


def test_the_artefact_cannot_be_read_or_restored_without_its_key(drill, installation):
    data = drill["artefact"].read_bytes()
    for clear in (DISTINCTIVE.encode(), b"PGDMP", b"manifest.json", b"patients_patient", b"Soakwright"):
        assert clear not in data, clear
    without_key = {k: v for k, v in drill["env"].items() if k != "CARECOORD_BACKUP_KEY"}
    wrong_key = {**without_key, "CARECOORD_BACKUP_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}
    target = installation.cluster.url("carecoord_wrong_key")
    for env, message in ((wrong_key, "cannot be decrypted: wrong key"), (without_key, "No backup key")):
        with pytest.raises(AssertionError) as failed:
            carecoord("restore", str(drill["artefact"]), "--database-url", target, env=env)
        assert message in str(failed.value), str(failed.value)
        assert "Traceback" not in str(failed.value), str(failed.value)
    with installation.cluster.connect("postgres") as db:
        assert db.execute("SELECT 1 FROM pg_database WHERE datname = 'carecoord_wrong_key'").fetchone() is None
