"""Insurance records for tests, made through the services so every rule applies."""

import datetime as dt
from pathlib import Path

from carecoord.coverage import services
from carecoord.coverage.models import Payer

X12_DIR = Path(__file__).resolve().parent.parent / "data" / "x12"


def x12_sample(name: str) -> str:
    return (X12_DIR / name).read_text(encoding="ascii")


def make_payer(actor, name="Acme Health", payer_id="ACME1", **extra) -> Payer:
    return services.payer_create(actor=actor, data={"name": name, "payer_id": payer_id, **extra})


def make_coverage(actor, patient, payer=None, position=None, **extra):
    data = {
        "payer": payer or make_payer(actor, payer_id=f"P{Payer.objects.count() + 1}"),
        "product_type": "commercial",
        "plan_name": "Gold 123",
        "member_id": "W1234567",
        "group_id": "G-77",
        "relationship": "self",
        "start_date": dt.date(2026, 1, 1),
        **extra,
    }
    return services.coverage_add(actor=actor, patient=patient, data=data, position=position)
