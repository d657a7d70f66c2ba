"""Rounding and number formats: one tested decision, half away from zero."""

import pytest

from reportgen.format.numbers import fmt_number, fmt_p_value, fmt_percent, round_half_away
from reportgen.format.style import HouseStyle

STYLE = HouseStyle()


@pytest.mark.parametrize(
    "value, decimals, expected",
    [(0.5, 0, "1"), (1.5, 0, "2"), (2.5, 0, "3"), (-0.5, 0, "-1"), (6.25, 1, "6.3"), (2.675, 2, "2.68"),
     (1.005, 2, "1.01"), (0.125, 2, "0.13"), (99.95, 1, "100.0"), (65.5, 1, "65.5"), (0.0549, 3, "0.055")],
)
def test_half_away_from_zero(value, decimals, expected):
    assert str(round_half_away(value, decimals)) == expected


def test_percent_of_counts():
    assert fmt_percent(30, 52, STYLE) == "57.7%"
    assert fmt_percent(1, 47, STYLE) == "2.1%"
    assert fmt_percent(52, 52, STYLE) == "100.0%"
    assert fmt_percent(0, 0, STYLE) == "NA"


def test_number_never_prints_negative_zero_and_drops_zeros_on_request():
    assert fmt_number(-0.01, 1, STYLE) == "0.0"
    assert fmt_number(3.0, 1, STYLE, drop_zeros=True) == "3"
    assert fmt_number(None, 1, STYLE) == "NA"


@pytest.mark.parametrize(
    "p, expected",
    [(0.0138, ".0138"), (0.0034, ".0034"), (0.9102, ".91"), (0.06, ".06"), (0.1, ".1"), (0.7712, ".77"),
     (0.00001, "< .0001"), (0.04999, ".05"), (1.0, "1")],
)
def test_p_values_in_journal_style(p, expected):
    assert fmt_p_value(p, STYLE) == expected
