"""
`flush` empties every table, the audit table included: a wipe of the whole database, which only its owner
can do and which Django's test runner does between transactional tests. The audit guard stands aside for it
(see records/db_guards.py); every other write still meets the guard.
"""

from django.core.management.commands import flush
from django.db import transaction

from carecoord.records.db_guards import AUDIT_TABLE, triggers_lifted


class Command(flush.Command):
    def handle(self, **options):
        database = options["database"]
        with transaction.atomic(using=database), triggers_lifted([AUDIT_TABLE], using=database):
            return super().handle(**options)
