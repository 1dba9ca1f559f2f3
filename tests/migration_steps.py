"""Running one migration against data stored before it, then leaving the schema as every other test expects."""

from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@contextmanager
def migrated_back_to(app: str, name: str):
    """
    The database migrated back to `app`'s migration `name`, for a test to store old data and migrate forward;
    afterwards every app is at its latest migration again. Going back also undoes the other apps' migrations
    that depend on a later one of `app`, so returning only to the migration under test would leave them out.
    """
    executor = MigrationExecutor(connection)
    executor.migrate([(app, name)])
    try:
        yield executor
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_forward(executor: MigrationExecutor, app: str, name: str) -> None:
    executor.loader.build_graph()
    executor.migrate([(app, name)])
