"""
T25 (RELIABILITY.md): no double booking under concurrent HTTP clients. Each round sends 20 bookings of one
practitioner at the same time plus 20 overlapping, shifted intervals, all at once, to /api/v1/scheduling on a
real threaded server: exactly one succeeds (201), every other answers 409, nothing answers 5xx, and the
invariant query finds no two live appointments overlapping. Cancelling frees the slot. CI runs a few rounds;
CARECOORD_T25_ROUNDS=50 runs the full plan.
"""

import datetime as dt
import os

from django.db import connection

from carecoord.core.choices import Role
from carecoord.scheduling.models import Appointment

from ..factories import PatientFactory, make_actor
from ..scheduling.factories import clinic
from ._input_fixtures import fan_out, http_server, http_session  # noqa: F401  (http_server: a fixture)

ROUNDS = int(os.environ.get("CARECOORD_T25_ROUNDS", "3"))
SAME, SHIFTED = 20, 20
BOOK = "/api/v1/scheduling/appointments"
FIRST_DAY = dt.date(2030, 1, 7)  # a Monday well in the future
OVERLAPS_SQL = """
SELECT COUNT(*) FROM scheduling_appointment a JOIN scheduling_appointment b
  ON a.id < b.id
 AND (a.practitioner_id = b.practitioner_id OR a.patient_id = b.patient_id)
 AND a.start < b."end" AND b.start < a."end"
WHERE a.status IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
  AND b.status IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
"""


def overlapping_pairs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_SQL)
        return cursor.fetchone()[0]


def start_of(round_number: int, minutes: int = 0) -> str:
    day = FIRST_DAY + dt.timedelta(days=(round_number // 7) * 7 + round_number % 5)
    hour = 9 + (round_number % 7)
    moment = dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(minutes=minutes)
    return moment.isoformat() + "-06:00"


def test_contested_intervals_get_exactly_one_booking(http_server, org):  # noqa: F811
    actor = make_actor(org, Role.SCHEDULER, Role.COORDINATOR)
    practitioner, location, kind = clinic(org)
    patients = [PatientFactory(organization=org) for _ in range(SAME + SHIFTED)]
    sessions = [http_session(actor) for _ in range(SAME + SHIFTED)]

    def book(session, patient, start):
        body = {"patient": str(patient.public_id), "practitioner": str(practitioner.public_id),
                "location": str(location.public_id), "type": str(kind.public_id), "start": start}  # fmt: skip
        return lambda: session.post(f"{http_server}{BOOK}", json=body, timeout=120)

    winners = []
    for round_number in range(ROUNDS):
        starts = [start_of(round_number)] * SAME + [start_of(round_number, 5 * (1 + i % 5)) for i in range(SHIFTED)]
        calls = [book(s, p, start) for s, p, start in zip(sessions, patients, starts, strict=True)]
        responses = fan_out(calls)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * (SAME + SHIFTED - 1), [r.text for r in responses if r.status_code != 409]
        assert all(r.json()["code"] == "conflict" for r in responses if r.status_code == 409)
        winners.append(next(r.json() for r in responses if r.status_code == 201))
        assert overlapping_pairs() == 0
    assert Appointment.objects.count() == ROUNDS

    # Cancelling frees the slot: the same interval can then be booked once more, and only once.
    first = winners[0]
    cancel = sessions[0].post(f"{http_server}{BOOK}/{first['id']}/cancel",
                              json={"reason": "pat", "version": first["version"]}, timeout=60)  # fmt: skip
    assert cancel.status_code == 200, cancel.text
    again = fan_out([book(s, p, start_of(0)) for s, p in zip(sessions[:10], patients[:10], strict=True)])
    assert sorted(r.status_code for r in again) == [201] + [409] * 9
    assert overlapping_pairs() == 0
