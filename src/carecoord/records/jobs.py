"""Records periodic jobs: the worker builds queued patient exports."""

import datetime as dt

from carecoord.core.periodic import periodic

from .exports import run_queued


@periodic(every=dt.timedelta(seconds=5))
def run_patient_exports() -> int:
    """Builds queued right-of-access exports, a few per turn, oldest first."""
    return run_queued()
