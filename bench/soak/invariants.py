"""Checks on the database after a fault: acknowledged writes present, no partial aggregate, no duplicate."""

from .writes import GOALS


def check(db, acknowledged: list[dict]) -> dict:
    plans = dict(db.execute("SELECT public_id::text, id FROM careplans_careplan").fetchall())
    goals = {row[0] for row in db.execute("SELECT public_id::text FROM careplans_goal").fetchall()}
    lost = [w["mrn"] for w in acknowledged if w["careplan"] not in plans or not set(w["goals"]) <= goals]
    partial = db.execute(
        """
        SELECT c.id, COUNT(g.id) FROM careplans_careplan c
        JOIN patients_patient p ON p.id = c.patient_id
        LEFT JOIN careplans_goal g ON g.careplan_id = c.id
        WHERE p.family_name = 'Soakwright' GROUP BY c.id HAVING COUNT(g.id) <> %s
        """,
        [GOALS],
    ).fetchall()
    duplicate_plans = db.execute(
        """
        SELECT p.mrn, COUNT(*) FROM careplans_careplan c JOIN patients_patient p ON p.id = c.patient_id
        WHERE p.family_name = 'Soakwright' GROUP BY p.mrn HAVING COUNT(*) > 1
        """
    ).fetchall()
    duplicate_patients = db.execute(
        "SELECT mrn, COUNT(*) FROM patients_patient WHERE family_name = 'Soakwright' GROUP BY mrn HAVING COUNT(*) > 1"
    ).fetchall()
    return {
        "acknowledged": len(acknowledged),
        "lost": lost,
        "partial_aggregates": partial,
        "duplicate_plans": duplicate_plans,
        "duplicate_patients": duplicate_patients,
    }


def assert_clean(report: dict) -> None:
    assert report["lost"] == [], report
    assert report["partial_aggregates"] == [], report
    assert report["duplicate_plans"] == [], report
    assert report["duplicate_patients"] == [], report
