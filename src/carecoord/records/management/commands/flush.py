"""
`flush` empties every table, the audit table included: a wipe of the whole database, which only its owner
can do and which Django's test runner does between transactional tests. The audit guard stands aside for it
(see records/db_guards.py); every other write still meets the guard.
"""

import time

from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import transaction

from carecoord.records.db_guards import AUDIT_TABLE, triggers_lifted

# PostgreSQL's TRUNCATE takes each table's lock in turn: a request still finishing (a browser test's last page,
# served by another thread) can hold one of them while waiting for another, and PostgreSQL then ends one side
# as a deadlock. The flush is one transaction, rolled back whole, so it is simply tried again.
DEADLOCK_TRIES = 4


class Command(flush.Command):
    def handle(self, **options):
        for attempt in range(1, DEADLOCK_TRIES + 1):
            try:
                return self._flush(**options)
            except CommandError as exc:
                if attempt == DEADLOCK_TRIES or "deadlock detected" not in str(exc.__cause__):
                    raise
                time.sleep(0.25 * attempt)
        return None

    def _flush(self, **options):
        database = options["database"]
        with transaction.atomic(using=database), triggers_lifted([AUDIT_TABLE], using=database):
            return super().handle(**options)
