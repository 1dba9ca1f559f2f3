"""
Screening questionnaires with their published scoring, pure (no database).

PHQ-2, PHQ-9 and GAD-7 were developed by Drs. Spitzer, Williams, Kroenke and colleagues with an educational
grant from Pfizer Inc.; no permission is required to reproduce, translate, display or distribute them.
Cut-offs and LOINC codes: ../shared/STANDARDS.md section 7, after Kroenke, Spitzer & Williams, "The PHQ-9",
J Gen Intern Med 2001;16:606-613; Kroenke et al., "The Patient Health Questionnaire-2", Med Care
2003;41:1284-1292; Spitzer et al., "A brief measure for assessing generalized anxiety disorder: the GAD-7",
Arch Intern Med 2006;166:1092-1097.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

# The four answers shared by the PHQ and the GAD-7 ("Over the last 2 weeks, how often have you been
# bothered by any of the following problems?"), LOINC answer list LL358-3.
FREQUENCY_ANSWERS: tuple[tuple[int, str], ...] = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)


@dataclass(frozen=True)
class Item:
    link_id: str
    loinc: str
    text: str


@dataclass(frozen=True)
class Band:
    """Scores from `low` to `high` inclusive carry `label`; `severity` orders bands for display (0 = none)."""

    low: int
    high: int
    label: str
    severity: int


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    panel_loinc: str
    total_loinc: str
    preamble: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    positive_at: int
    answers: tuple[tuple[int, str], ...] = FREQUENCY_ANSWERS

    @property
    def max_score(self) -> int:
        return len(self.items) * max(value for value, _ in self.answers)

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band
        raise ValueError(f"{total} is outside the {self.title} score range 0-{self.max_score}.")


@dataclass(frozen=True)
class Score:
    instrument: Instrument
    total: int
    band: Band
    positive: bool
    answers: Mapping[str, int]
    urgent_reasons: tuple[str, ...] = field(default=())
    follow_up: str = ""

    @property
    def urgent(self) -> bool:
        return bool(self.urgent_reasons)


class IncompleteAnswers(ValueError):
    """Answers missing or out of range; the message names the items, fit for a person."""


TWO_WEEKS = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

PHQ9_ITEMS = (
    Item("phq9-1", "44250-9", "Little interest or pleasure in doing things"),
    Item("phq9-2", "44255-8", "Feeling down, depressed, or hopeless"),
    Item("phq9-3", "44259-0", "Trouble falling or staying asleep, or sleeping too much"),
    Item("phq9-4", "44254-1", "Feeling tired or having little energy"),
    Item("phq9-5", "44251-7", "Poor appetite or overeating"),
    Item(
        "phq9-6",
        "44258-2",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    ),
    Item("phq9-7", "44252-5", "Trouble concentrating on things, such as reading the newspaper or watching television"),
    Item(
        "phq9-8",
        "44253-3",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety "
        "or restless that you have been moving around a lot more than usual",
    ),
    Item("phq9-9", "44260-8", "Thoughts that you would be better off dead or of hurting yourself in some way"),
)

PHQ9 = Instrument(
    key="phq9",
    title="PHQ-9",
    panel_loinc="44249-1",
    total_loinc="44261-6",
    preamble=TWO_WEEKS,
    items=PHQ9_ITEMS,
    bands=(
        Band(0, 4, "None or minimal depression", 0),
        Band(5, 9, "Mild depression", 1),
        Band(10, 14, "Moderate depression", 2),
        Band(15, 19, "Moderately severe depression", 3),
        Band(20, 27, "Severe depression", 4),
    ),
    positive_at=10,
)

PHQ2 = Instrument(
    key="phq2",
    title="PHQ-2",
    panel_loinc="55757-9",
    total_loinc="55758-7",
    preamble=TWO_WEEKS,
    items=(
        Item("phq2-1", "44250-9", PHQ9_ITEMS[0].text),
        Item("phq2-2", "44255-8", PHQ9_ITEMS[1].text),
    ),
    bands=(Band(0, 2, "Negative depression screen", 0), Band(3, 6, "Positive depression screen", 2)),
    positive_at=3,
)

GAD7 = Instrument(
    key="gad7",
    title="GAD-7",
    panel_loinc="69737-5",
    total_loinc="70274-6",
    preamble=TWO_WEEKS,
    items=(
        Item("gad7-1", "69725-0", "Feeling nervous, anxious, or on edge"),
        Item("gad7-2", "68509-9", "Not being able to stop or control worrying"),
        Item("gad7-3", "69733-4", "Worrying too much about different things"),
        Item("gad7-4", "69734-2", "Trouble relaxing"),
        Item("gad7-5", "69735-9", "Being so restless that it is hard to sit still"),
        Item("gad7-6", "69689-8", "Becoming easily annoyed or irritable"),
        Item("gad7-7", "69736-7", "Feeling afraid, as if something awful might happen"),
    ),
    bands=(
        Band(0, 4, "Minimal anxiety", 0),
        Band(5, 9, "Mild anxiety", 1),
        Band(10, 14, "Moderate anxiety", 2),
        Band(15, 21, "Severe anxiety", 3),
    ),
    positive_at=10,
)

INSTRUMENTS: dict[str, Instrument] = {instrument.key: instrument for instrument in (PHQ2, PHQ9, GAD7)}

SELF_HARM_ITEM = "phq9-9"


def score(instrument: Instrument, answers: Mapping[str, int]) -> Score:
    """
    Scores a complete set of answers. Every item must be answered with one of the instrument's values; a
    partial questionnaire is refused rather than prorated, so a total always means the same thing.
    """
    allowed = {value for value, _ in instrument.answers}
    missing = [item.text for item in instrument.items if item.link_id not in answers]
    if missing:
        raise IncompleteAnswers(f"Answer every question of the {instrument.title}; missing: {'; '.join(missing)}.")
    invalid = [item.text for item in instrument.items if answers[item.link_id] not in allowed]
    if invalid:
        raise IncompleteAnswers(f"Choose one of the listed answers for: {'; '.join(invalid)}.")
    clean = {item.link_id: int(answers[item.link_id]) for item in instrument.items}
    total = sum(clean.values())
    urgent = []
    if clean.get(SELF_HARM_ITEM, 0) > 0:
        # Any response above "Not at all" on item 9 needs same-day safety follow-up (STANDARDS.md section 7).
        urgent.append("Thoughts of self-harm reported (PHQ-9 item 9): same-day safety follow-up.")
    follow_up = ""
    if instrument is PHQ2 and total >= PHQ2.positive_at:
        follow_up = "Positive PHQ-2: give the PHQ-9."
    return Score(
        instrument=instrument,
        total=total,
        band=instrument.band_for(total),
        positive=total >= instrument.positive_at,
        answers=clean,
        urgent_reasons=tuple(urgent),
        follow_up=follow_up,
    )
