"""The benchmark's scheduling data follows the demo's rule: each therapy discipline offers only its own therapy."""

import io

from bench.scheduling_data import THERAPY_TYPES, TYPES, SchedulingGenerator
from rich.console import Console

from carecoord.demo import scheduling as demo
from carecoord.scheduling.models import PractitionerSchedule

PHYSICAL = "225100000X"
OCCUPATIONAL = "225X00000X"


def disciplines_offering(type_name: str) -> set[str]:
    return set(
        PractitionerSchedule.objects.filter(appointment_types__name=type_name).values_list(
            "practitioner__specialty_code", flat=True
        )
    )


def test_each_therapy_type_is_one_the_demo_gives_the_same_discipline():
    names = {t[0] for t in TYPES}
    for code, therapy in THERAPY_TYPES.items():
        assert therapy in names
        assert therapy == demo.THERAPY_TYPES[code][0]


def test_a_physical_therapy_visit_is_offered_by_physical_therapists_only(org):
    SchedulingGenerator(org, appointments=0, seed=7, console=Console(file=io.StringIO())).run()

    assert disciplines_offering("Physical therapy") == {PHYSICAL}
    assert disciplines_offering("Occupational therapy") == {OCCUPATIONAL}
