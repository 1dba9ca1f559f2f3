"""Organization A's hospital stay and transition episode, for the tenant-isolation matrix."""

import datetime as dt

from carecoord.transitions.models import Encounter, TransitionEpisode

NAMESPACE = "transitions"
TARGETS = {"episode": "episode", "patient": "patient"}
SECRETS = ["Alpha Secret Ward 9", "Alpha secret admitting reason"]
MODELS = [Encounter, TransitionEpisode]


def build(world) -> dict:
    org, patient = world["a"].organization, world["patient"]
    encounter = Encounter.objects.create(
        organization=org, patient=patient, facility=world["ext"], visit_number="ALPHA-V1", status="finished",
        encounter_class="IMP", admitted_at=dt.datetime(2026, 1, 2, 15, tzinfo=dt.UTC),
        discharged_at=dt.datetime(2026, 1, 6, 15, tzinfo=dt.UTC), location="Alpha Secret Ward 9",
        reason="Alpha secret admitting reason", discharge_disposition="01",
    )  # fmt: skip
    episode = TransitionEpisode.objects.create(
        organization=org, patient=patient, encounter=encounter, discharge_day=dt.date(2026, 1, 6),
        contact_due=dt.date(2026, 1, 8), visit_due=dt.date(2026, 1, 20), med_rec_due=dt.date(2026, 1, 20),
        window_end=dt.date(2026, 2, 4), lace_score=7,
        checklist=[{"key": "contact", "label": "Reach the patient", "done_at": None}],
    )  # fmt: skip
    return {"encounter": encounter, "episode": episode, "patient": patient}
