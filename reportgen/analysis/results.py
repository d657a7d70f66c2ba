"""The keyed results store: every number of a report, raw, with how it was obtained.

Analysis results data in the cards/ARD sense: one record per number with its key,
value, confidence limits, denominator, population and method. Tables, figures'
annotations, the text and results.json all read these records; nothing downstream
computes a statistic.

:class:`StudyResults`, the store with the curves the figures draw, is defined here rather
than in ``analysis.study``, which computes it: a cached build unpickles it without
importing the pipeline (and pandas).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from reportgen.errors import RenderError

if TYPE_CHECKING:
    import pandas

    from reportgen import stats
    from reportgen.analysis.comparison import ComparisonResults


def level_key(label: str) -> str:
    """A level label as a key part: 'Transformed FL or other indolent' → 'transformed_fl_or_other_indolent'."""
    slug = re.sub(r"[^0-9a-z]+", "_", label.lower().replace("≥", "ge").replace("≤", "le")).strip("_")
    return slug or "level"


@dataclass(frozen=True)
class Result:
    """One number: ``value`` with optional CI, ``n`` (denominator or patients), and provenance."""

    key: str
    value: float | int | None
    statistic: str
    population: str = ""
    n: int | None = None
    lower: float | None = None
    upper: float | None = None
    method: str = ""
    unit: str = ""
    level: float | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("value", "lower", "upper"):
            number = getattr(self, name)
            if isinstance(number, float) and math.isnan(number):
                raise ValueError(f"result {self.key!r}: {name} is NaN; use None for an undefined number")


class ResultSet(Mapping[str, Result]):
    """An immutable mapping from key to Result; asking for an unknown key names it."""

    def __init__(self, results: Iterable[Result]) -> None:
        records: dict[str, Result] = {}
        for result in results:
            if result.key in records:
                raise ValueError(f"result key {result.key!r} is produced twice")
            records[result.key] = result
        self._records = records

    def __getitem__(self, key: str) -> Result:
        try:
            return self._records[key]
        except KeyError:
            raise RenderError(f"no result with key {key!r} in the results store") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    def items(self):
        """Every (key, record), in production order; listing the store is not reading a result."""
        return self._records.items()

    def reading(self, log: "ReadLog", place: str) -> "ResultSet":
        """The same records, each read noted in ``log`` under ``place`` (a table's or a figure's key)."""
        view = _LoggedResultSet.__new__(_LoggedResultSet)
        view._records, view._log, view._place = self._records, log, place
        return view

    def to_json(self) -> str:
        """The store as JSON: keys sorted, one object per record (stable across runs)."""
        records = [asdict(self._records[key]) for key in sorted(self._records)]
        return json.dumps({"results": records}, indent=1, ensure_ascii=False, sort_keys=True) + "\n"

    def to_frame(self) -> pandas.DataFrame:
        """The store as a pandas DataFrame in the ARD form: one row per record, in production order, one
        column per field of :class:`Result` (as in results.json). value, lower, upper and level are floats
        (None as NaN; a stored count is exact as a float), n nullable integers, params a dict per row.
        """
        import pandas  # here, not at load: a cached build unpickles this store without pandas

        columns = [column.name for column in fields(Result)]
        frame = pandas.DataFrame([asdict(record) for record in self._records.values()], columns=columns)
        return frame.astype({"value": "float64", "lower": "float64", "upper": "float64", "level": "float64",
                             "n": "Int64"})


class ReadLog:
    """Where each result was shown: key → places (table, figure or text), for ``reportgen diff``.

    Filled while tables, figures and text read the store; its order is the reading order.
    """

    def __init__(self) -> None:
        self.places: dict[str, list[str]] = {}

    def add(self, key: str, place: str) -> None:
        places = self.places.setdefault(key, [])
        if place not in places:
            places.append(place)


class _LoggedResultSet(ResultSet):
    """A ResultSet view that notes each key read (see ``ResultSet.reading``)."""

    _log: ReadLog
    _place: str

    def __getitem__(self, key: str) -> Result:
        result = super().__getitem__(key)
        self._log.add(key, self._place)
        return result


@dataclass(frozen=True)
class StudyResults:
    """The results store and the curves that figures draw (keyed by endpoint)."""

    results: ResultSet
    curves: dict[str, stats.KaplanMeierResult]
    comparisons: dict[str, ComparisonResults] = field(default_factory=dict)
