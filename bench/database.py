"""
The benchmark database's life cycle: creating the PostgreSQL database when it is missing, recreating it (or
deleting the SQLite file) to rebuild, and telling whether it holds anybody's data but the benchmark's.
"""

import os
from pathlib import Path

import dj_database_url


def settings_for(url: str) -> dict:
    return dj_database_url.parse(url)


def is_postgres(url: str) -> bool:
    return "postgres" in settings_for(url)["ENGINE"]


def _admin_connection(url: str):
    import psycopg

    db = settings_for(url)
    return psycopg.connect(
        host=db.get("HOST") or None, port=db.get("PORT") or None, user=db.get("USER") or None,
        password=db.get("PASSWORD") or None, dbname="postgres", autocommit=True, connect_timeout=5,
    )  # fmt: skip


def ensure_postgres_database(url: str) -> bool:
    """Creates the PostgreSQL database named in `url` when it does not exist; True when it created it."""
    from psycopg import sql

    name = settings_for(url)["NAME"]
    with _admin_connection(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


# The per-database settings docs/deploy.md recommends for CareCoord on PostgreSQL, applied to the bench database
# so the benchmark measures the app as deployed: no JIT for short OLTP queries (compiling costs more than it
# saves), and random_page_cost for data in RAM/SSD (the default 4 assumes spinning disks, and at medium scale it
# made the worklist hash-join all 100,000 patients instead of looking up ~1,200 by key).
RECOMMENDED_SETTINGS = {"jit": "off", "random_page_cost": "1.1"}


def apply_recommended_settings(url: str) -> dict:
    """ALTER DATABASE … SET for each recommended setting (new connections get them); returns them."""
    from psycopg import sql

    name = settings_for(url)["NAME"]
    with _admin_connection(url) as conn:
        for key, value in RECOMMENDED_SETTINGS.items():
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(name), sql.Identifier(key), sql.Literal(value)
                )
            )
    return RECOMMENDED_SETTINGS


def recreate(url: str) -> None:
    """Drops and recreates the benchmark database (PostgreSQL) or deletes its SQLite file."""
    from django.db import connections

    connections.close_all()
    if is_postgres(url):
        from psycopg import sql

        name = settings_for(url)["NAME"]
        with _admin_connection(url) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return
    path = Path(settings_for(url)["NAME"])
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            os.remove(candidate)


def speed_up_bulk_load(connection) -> None:
    """Session settings for the load only: a crash mid-load just means generating again."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MB of page cache for the index builds
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO OFF")


def reset_sequences(connection, models: list) -> None:
    """Moves PostgreSQL's id sequences past the keys the generator assigned itself."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def finish_load(connection) -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would soon after a load. SQLite: checkpoint the WAL only —
    a SQLite deployment never runs ANALYZE by itself, so neither does the benchmark (see README)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
