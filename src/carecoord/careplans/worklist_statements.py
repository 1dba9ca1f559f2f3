"""
The worklist's two reads as statements compiled once per database connection (core.prepared): building and
compiling their visibility-filtered ORM queries was ~4 ms of Python per page, several times what the
database takes to run them. Each statement is kept under a key holding every value its SQL is built from
(the actor, whose list, their roles, the day, the filters, the columns read); the clock of each run replaces
the one the statement was built with, so a break-glass window ends on time. Nothing read is kept: every page
asks the database again. Anything that cannot be prepared runs through the ORM as before.
"""

from collections.abc import Callable

from django.db.models import QuerySet

from carecoord.core import clock
from carecoord.core.access import Actor, failing_closed
from carecoord.core.prepared import prepared_query

ROW_SLOTS = 50  # the worklist's page size: a page of rows is one statement with this many id slots
# Task ids no row has, standing in the id slots when the statement is compiled.
_ID_SENTINELS = tuple(8_765_432_100_000 + slot for slot in range(ROW_SLOTS))


def open_task_keys(statement_key: tuple, build: Callable[[], QuerySet]) -> list[tuple]:
    """The rows of `build()` (a values_list queryset), through the statement kept under `statement_key`."""
    with failing_closed():  # as building the visibility query: a fault in deciding access answers 503
        statement = prepared_query(("careplans.worklist.keys", *statement_key), build)
        return list(build()) if statement is None else statement.rows()


def page_tasks(actor: Actor, pks: list[int], fields: tuple[str, ...], build: Callable[[list], QuerySet]):
    """
    The tasks `pks` (at most ROW_SLOTS) as `build(pks)` returns them, through a statement kept per actor, day
    and columns; None when there are too many to prepare (the caller uses the ORM).
    """
    if not fields or len(pks) > ROW_SLOTS:
        return None
    today = clock.today_in(actor.organization.tz)
    slots = {f"id{slot}": sentinel for slot, sentinel in enumerate(_ID_SENTINELS)}
    with failing_closed():
        statement = prepared_query(
            ("careplans.worklist.rows", actor, today, fields), lambda: build(list(_ID_SENTINELS)), slots
        )
        if statement is None:
            return None
        values = {f"id{slot}": pks[slot] if slot < len(pks) else 0 for slot in range(ROW_SLOTS)}
        return statement.all(**values)
