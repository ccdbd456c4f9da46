"""Scoring and banding on the 5×5 matrix, worked by hand, and SWOT consensus banding."""

import pytest
from django.core.exceptions import ValidationError

from risks import scoring

CUSTOM = [
    {"key": "low", "label": "Green", "from": 1, "colour": "green"},
    {"key": "moderate", "label": "Amber", "from": 5, "colour": "yellow"},
    {"key": "high", "label": "Red", "from": 10, "colour": "red"},
    {"key": "extreme", "label": "Black", "from": 20, "colour": "purple"},
]


@pytest.mark.parametrize(
    "likelihood, consequence, score, band",
    [
        (1, 1, 1, "low"),
        (1, 3, 3, "low"),
        (2, 2, 4, "moderate"),
        (3, 2, 6, "moderate"),
        (2, 4, 8, "high"),
        (3, 4, 12, "high"),
        (3, 5, 15, "extreme"),
        (5, 5, 25, "extreme"),
    ],
)
def test_the_nhs_matrix_scores_and_bands_as_npsa_2008(likelihood, consequence, score, band):
    assert scoring.score(likelihood, consequence) == score
    assert scoring.band_for(score).key == band


def test_the_nhs_bands_cover_the_scores_the_grid_can_produce():
    ranges = [text for _band, text in scoring.band_ranges()]
    assert ranges == ["1–3", "4–6", "8–12", "15–25"]


@pytest.mark.parametrize("score, label", [(4, "Green"), (5, "Amber"), (12, "Red"), (20, "Black")])
def test_a_custom_matrix_bands_by_its_own_thresholds(score, label):
    assert scoring.band_for(score, scoring.check_bands(CUSTOM)).label == label


@pytest.mark.parametrize("bad", [0, 6, -1, "3", 2.5, None, True])
def test_a_level_outside_one_to_five_is_refused_with_what_to_do(bad):
    with pytest.raises(ValidationError) as e:
        scoring.score(bad, 3)
    assert "Give a likelihood from 1 (rare) to 5 (almost certain)." in e.value.messages


def test_bands_must_rise_and_start_at_one():
    broken = [dict(b) for b in CUSTOM]
    broken[2]["from"] = 5
    with pytest.raises(ValidationError):
        scoring.check_bands(broken)
    broken = [dict(b) for b in CUSTOM]
    broken[0]["from"] = 2
    with pytest.raises(ValidationError):
        scoring.check_bands(broken)


@pytest.mark.parametrize(
    "support, sources, expected",
    [
        (1, 100, "single"),
        (0, 10, "single"),
        (60, 100, "high"),
        (59, 100, "reasonable"),
        (25, 100, "reasonable"),
        (24, 100, "single"),
        (2, 3, "high"),
    ],
)
def test_consensus_is_banded_from_the_share_of_sources(support, sources, expected):
    assert scoring.consensus(support, sources, high=60, reasonable=25) == expected


def test_consensus_thresholds_can_be_changed():
    assert scoring.consensus(40, 100, high=40, reasonable=10) == "high"
    assert scoring.consensus(9, 100, high=40, reasonable=10) == "single"
