"""Organization A's education records for the tenant-isolation matrix (see __init__ for the contract)."""

import datetime as dt

from carecoord.education.models import Delivery, Material, MaterialRevision

NAMESPACE = "education"
TARGETS = {"material": "material", "patient": "patient", "delivery": "delivery"}
SECRETS = ["Alpha foot handout", "Alpha-only teaching text", "Alpha teach-back remark"]


def build(world) -> dict:
    a = world["a"]
    org = a.organization
    material = Material.objects.create(
        organization=org, topic="alpha-feet", language="en", title="Alpha foot handout",
        body="Alpha-only teaching text. Look at your feet.", edited_by=a.user,
    )  # fmt: skip
    MaterialRevision.objects.create(
        organization=org, material=material, material_version=1, title=material.title, body=material.body,
        edited_by=a.user, edited_at=dt.datetime(2026, 1, 5, 15, tzinfo=dt.UTC),
    )  # fmt: skip
    delivery = Delivery.objects.create(
        organization=org, patient=world["patient"], material=material, material_version=1, title=material.title,
        language="en", method="in_person", delivered_at=dt.datetime(2026, 1, 6, 15, tzinfo=dt.UTC),
        delivered_by=a.user, teach_back="needs_reinforcement", teach_back_at=dt.datetime(2026, 1, 6, 15, tzinfo=dt.UTC),
        teach_back_note="Alpha teach-back remark",
    )  # fmt: skip
    return {"material": material, "patient": world["patient"], "delivery": delivery}


MODELS = [Material, MaterialRevision, Delivery]
