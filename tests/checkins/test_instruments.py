"""Questionnaire scoring against the published cut-offs (table tests) and its invariants (hypothesis)."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.checkins.instruments import GAD7, INSTRUMENTS, PHQ2, PHQ9, IncompleteAnswers, score


def answers_with(instrument, values):
    return {item.link_id: value for item, value in zip(instrument.items, values, strict=True)}


def answers_totalling(instrument, total):
    """Answers whose sum is `total`, leaving the self-harm item at 0."""
    values = []
    remaining = total
    for item in instrument.items:
        value = 0 if item.link_id == "phq9-9" else min(3, remaining)
        values.append(value)
        remaining -= value
    assert remaining == 0
    return answers_with(instrument, values)


@pytest.mark.parametrize(
    ("total", "label", "positive"),
    [(0, "None or minimal depression", False), (4, "None or minimal depression", False),
     (5, "Mild depression", False), (9, "Mild depression", False), (10, "Moderate depression", True),
     (14, "Moderate depression", True), (15, "Moderately severe depression", True),
     (19, "Moderately severe depression", True), (20, "Severe depression", True),
     (24, "Severe depression", True)],
)  # fmt: skip
def test_phq9_bands_follow_the_published_cut_offs(total, label, positive):
    result = score(PHQ9, answers_totalling(PHQ9, total))
    assert (result.total, result.band.label, result.positive) == (total, label, positive)
    assert not result.urgent


@pytest.mark.parametrize(
    ("total", "label"),
    [(0, "Minimal anxiety"), (4, "Minimal anxiety"), (5, "Mild anxiety"), (9, "Mild anxiety"),
     (10, "Moderate anxiety"), (14, "Moderate anxiety"), (15, "Severe anxiety"), (21, "Severe anxiety")],
)  # fmt: skip
def test_gad7_bands_follow_the_published_cut_offs(total, label):
    assert score(GAD7, answers_totalling(GAD7, total)).band.label == label


@pytest.mark.parametrize(("values", "positive"), [((0, 0), False), ((1, 1), False), ((2, 1), True), ((3, 3), True)])
def test_phq2_is_positive_from_three_and_then_asks_for_the_phq9(values, positive):
    result = score(PHQ2, answers_with(PHQ2, values))
    assert result.positive is positive
    assert bool(result.follow_up) is positive


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_answer_above_not_at_all_on_item_9_is_urgent_whatever_the_total(item9):
    result = score(PHQ9, answers_with(PHQ9, [0] * 8 + [item9]))
    assert result.urgent
    assert "self-harm" in result.urgent_reasons[0]
    assert result.band.label == "None or minimal depression"


def test_a_missing_answer_is_refused_and_named():
    answers = answers_totalling(PHQ9, 3)
    del answers["phq9-4"]
    with pytest.raises(IncompleteAnswers, match="Feeling tired"):
        score(PHQ9, answers)


def test_an_answer_outside_the_scale_is_refused():
    answers = answers_totalling(GAD7, 0)
    answers["gad7-2"] = 4
    with pytest.raises(IncompleteAnswers, match="Not being able to stop"):
        score(GAD7, answers)


@given(data=st.data(), key=st.sampled_from(sorted(INSTRUMENTS)))
def test_total_is_the_sum_and_every_total_has_exactly_one_band(data, key):
    instrument = INSTRUMENTS[key]
    values = data.draw(st.lists(st.integers(0, 3), min_size=len(instrument.items), max_size=len(instrument.items)))
    result = score(instrument, answers_with(instrument, values))
    assert result.total == sum(values)
    assert 0 <= result.total <= instrument.max_score
    assert sum(band.low <= result.total <= band.high for band in instrument.bands) == 1
    assert result.positive == (result.total >= instrument.positive_at)


@given(key=st.sampled_from(sorted(INSTRUMENTS)))
def test_bands_tile_the_whole_score_range_in_order(key):
    instrument = INSTRUMENTS[key]
    bands = instrument.bands
    assert bands[0].low == 0
    assert bands[-1].high == instrument.max_score
    assert all(left.high + 1 == right.low for left, right in itertools.pairwise(bands))
    assert [band.severity for band in bands] == sorted(band.severity for band in bands)
