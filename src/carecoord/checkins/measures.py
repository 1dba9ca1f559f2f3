"""
The measurements a coordinator records, with their LOINC codes and units (UCUM). Blood pressure is one
measurement with two values (systolic, diastolic), as the FHIR vital-signs blood-pressure profile has it.
"""

from dataclasses import dataclass
from decimal import Decimal

from carecoord.core.units import unit_label, with_unit


@dataclass(frozen=True)
class MeasureKind:
    key: str
    loinc: str
    display: str
    unit: str
    low: Decimal
    high: Decimal
    second_display: str = ""  # the second value's name when there is one (diastolic)
    lower_is_better: bool = True

    @property
    def paired(self) -> bool:
        return bool(self.second_display)

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)

    @property
    def label(self) -> str:
        """`Blood pressure (mmHg)`, as forms and charts name it."""
        return with_unit(self.display, self.unit)


MEASURES: dict[str, MeasureKind] = {
    m.key: m
    for m in (
        MeasureKind("bp", "85354-9", "Blood pressure", "mm[Hg]", Decimal(40), Decimal(300), "Diastolic"),
        MeasureKind("weight", "29463-7", "Body weight", "kg", Decimal("0.5"), Decimal(500)),
        MeasureKind("hba1c", "4548-4", "Hemoglobin A1c", "%", Decimal(3), Decimal(20)),
        MeasureKind("glucose", "2339-0", "Blood glucose", "mg/dL", Decimal(10), Decimal(1000)),
        MeasureKind("steps", "41950-7", "Steps in 24 hours", "/d", Decimal(0), Decimal(100000), lower_is_better=False),
        MeasureKind("pain", "72514-3", "Pain severity (0-10)", "{score}", Decimal(0), Decimal(10)),
        MeasureKind(
            "gait_speed", "83172-7", "Gait speed (4-metre walk)", "m/s", Decimal(0), Decimal(5), lower_is_better=False
        ),
        MeasureKind("tug", "89423-8", "Timed up and go (TUG)", "s", Decimal(1), Decimal(300)),
    )
}
