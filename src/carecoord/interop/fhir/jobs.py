"""FHIR periodic jobs: the worker runs accepted Bulk Data $export jobs (see export.py)."""

import datetime as dt

from carecoord.core.periodic import periodic

from .export import purge_expired, run_accepted


@periodic(every=dt.timedelta(seconds=5))
def run_export_jobs() -> int:
    """Claims and runs accepted $export jobs, oldest first (a few per turn, so other jobs get their turn)."""
    return run_accepted()


@periodic(every=dt.timedelta(hours=1))
def purge_expired_exports() -> int:
    """Deletes export files kept longer than CARECOORD_FHIR_EXPORT_KEEP_DAYS; their status URLs then answer 404."""
    return purge_expired()
