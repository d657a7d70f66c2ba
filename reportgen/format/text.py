"""Numbers for the text: results-store records formatted in the house style, by key.

Templates call these (through the render layer) with a key; a key that does not
exist fails the build naming the key. Nothing here computes: it only formats.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reportgen.analysis.results import Result, ResultSet
from reportgen.errors import RenderError
from reportgen.format.numbers import (fmt_count, fmt_count_percent, fmt_interval, fmt_number, fmt_p_value,
                                      fmt_percent, fmt_proportion, fmt_proportion_interval, fmt_small_cell,
                                      is_small_cell)
from reportgen.format.style import HouseStyle

NBSP = "\u00a0"
#: Statistics that are counts of patients: small-cell suppression applies to them (and to their percentages).
PATIENT_COUNTS = ("count", "n", "events", "missing", "number at risk")


@dataclass(frozen=True)
class TextFormatter:
    """Formats results for sentences: counts, percentages, medians with CIs, P values."""

    results: ResultSet
    style: HouseStyle

    def record(self, key: str) -> Result:
        return self.results[key]

    def count(self, key: str) -> str:
        """A count or size: '52' ('<5' for a small cell of patients under suppression)."""
        return fmt_count(int(self._value(key)), self._count_style(key))

    def percent(self, key: str) -> str:
        """A count's percentage of its denominator: '57.7%' (a small cell: 'n<5', a count, never
        to be read as a percentage)."""
        record = self.results[key]
        style = self._count_style(key)
        if is_small_cell(self._value(key), style):
            return self._hidden()
        return fmt_percent(int(self._value(key)), int(record.n or 0), style)

    def count_percent(self, key: str) -> str:
        """'30 (57.7%)' (a small cell alone: '<5')."""
        record = self.results[key]
        return fmt_count_percent(int(self._value(key)), int(record.n or 0), self._count_style(key))

    def number(self, key: str, decimals: int) -> str:
        """Any value with a given number of decimals."""
        return fmt_number(self.results[key].value, decimals, self.style)

    def months(self, value: float | None) -> str:
        """A survival time in months with the style's survival decimals (NA when undefined)."""
        return fmt_number(value, self.style.survival_decimals, self.style, drop_zeros=self.style.survival_drop_zeros)

    def median(self, key: str) -> str:
        """A median survival time: '3' or 'not reached'."""
        value = self.results[key].value
        return self.style.not_reached_text if value is None else self.months(value)

    def interval(self, key: str) -> str:
        """A record's confidence interval: '1.9-4.2' (a limit not reached prints NA)."""
        record = self.results[key]
        return fmt_interval(self.months(record.lower), self.months(record.upper), self.style)

    def median_ci(self, key: str, first: bool = False) -> str:
        """'3 (1.9-4.2)'; on first use '3 (95% confidence interval, 1.9-4.2)'."""
        prefix = f"{self.level(key)}% confidence interval, " if first else ""
        return f"{self.median(key)} ({prefix}{self.interval(key)})"

    def rate(self, key: str) -> str:
        """A proportion record (0-1) as a percentage: '20.6%'."""
        if self._hides_small_cell(key):
            return self._hidden()
        return fmt_proportion(self.results[key].value, self.style)

    def rate_interval(self, key: str) -> str:
        """A proportion record's CI as percentages: '9.8%-36.2%'."""
        if self._hides_small_cell(key):
            return self._hidden()
        record = self.results[key]
        return fmt_proportion_interval(record.lower, record.upper, self.style)

    def rate_ci(self, key: str) -> str:
        """'20.6% (95% CI, 9.8%-36.2%)'."""
        if self._hides_small_cell(key):
            return self._hidden()
        return f"{self.rate(key)} ({self.level(key)}% CI, {self.rate_interval(key)})"

    def level(self, key: str) -> str:
        """A record's confidence level in percent: '95'."""
        return fmt_number(100 * (self.results[key].level or 0.95), 0, self.style)

    def hazard_ratio(self, key: str) -> str:
        """'0.71 [0.44-1.13]' (house style), from a record with its CI; 'NA' where it was not estimable."""
        record = self.results[key]
        if record.value is None:
            return self.style.missing_text
        decimals = self.style.ratio_decimals
        limits = fmt_interval(fmt_number(record.lower, decimals, self.style),
                              fmt_number(record.upper, decimals, self.style), self.style)
        return f"{fmt_number(record.value, decimals, self.style)} [{limits}]"

    def median_quartiles(self, key: str) -> str:
        """A median whose record holds Q1 and Q3 as its limits: '19.1 (10.9; 30.1)'."""
        record = self.results[key]
        quartiles = self.style.range_separator.join((self.months(record.lower), self.months(record.upper)))
        return f"{self.median(key)} ({quartiles})"

    def p_value(self, key: str) -> str:
        """'P = .0138' or 'P < .0001', with no-break spaces so the line never splits inside."""
        text = fmt_p_value(self.results[key].value, self.style).replace(" ", NBSP)
        return f"P{NBSP}{text}" if text.startswith("<") else f"P{NBSP}={NBSP}{text}"

    def _count_style(self, key: str) -> HouseStyle:
        """The style for printing record ``key`` as a count: suppression applies to counts of patients only
        (not to a setting or an age printed as a whole number)."""
        if self.results[key].statistic in PATIENT_COUNTS or not self.style.suppress_below:
            return self.style
        return replace(self.style, suppress_below=0)

    def _hidden(self) -> str:
        """A rate or percentage hidden with its small count, in the text: 'n<5' (a bare '<5' where a
        percentage stands would read as '<5%')."""
        return "n" + fmt_small_cell(self.style)

    def _hides_small_cell(self, key: str) -> bool:
        """Whether ``key`` is the exact CI record (``<count key>.ci``) of a count that is a small cell:
        its rate and limits would give the count away."""
        if not self.style.suppress_below or not key.endswith(".ci") or key[:-3] not in self.results:
            return False
        count = self.results[key[:-3]]
        return count.statistic == "count" and is_small_cell(count.value, self.style)

    def _value(self, key: str) -> float:
        value = self.results[key].value
        if value is None:
            raise RenderError(f"result {key!r} has no value to print")
        return value
