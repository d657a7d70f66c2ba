"""Type a registry export (read by ``reportgen.data.sources``) into pandas DataFrames.

Nothing is dropped: a value that cannot be typed is reported as a Problem naming the
file, the patient, the column and the value, and the whole export is checked before
any error is raised, so a user sees every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.data.schema import REGISTRY_TABLES, Column
from reportgen.data.sources import RawExport, RawTable, read_export
from reportgen.errors import DataValidationError, Problem, errors_of, summarize_problems
from reportgen.spec import DataSource

FLAG_VALUES = {"Y": True, "N": False}
#: Dates outside these years are typing errors: no registry date lies there.
PLAUSIBLE_YEARS = (1900, 2200)


@dataclass(frozen=True)
class Registry:
    """The typed tables of one registry export, by schema name, and where they came from.

    ``files`` names each table's file (or sheet, or database table) for messages;
    ``labels`` are the export's variable labels by table and column, where it has them.
    """

    tables: dict[str, pd.DataFrame]
    source: Path | str
    files: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def file_of(self, name: str) -> str:
        return self.files.get(name, f"{name}.csv")


@dataclass(frozen=True)
class Loaded:
    """A typed registry (None when a table or a required column is missing) and every problem found."""

    registry: Registry | None
    problems: tuple[Problem, ...]
    raw: RawExport


def _missing_columns(table: RawTable) -> list[Problem]:
    schema = next(schema for schema in REGISTRY_TABLES if schema.name == table.name)
    return [Problem(table.where, "", column, "required column is missing")
            for column in schema.column_names if column not in table.frame.columns]


class Strings:
    """The Python string made for each distinct text of a column so far, by column name.

    Every row and table holding a text in a column is given the same string object: a
    patient id held by eight tables, or a code held by most rows, is stored once. The
    texts are looked up in Arrow (hashed in C++), so a text seen before costs no Python
    object and no Python-level step; strings are made only for the texts not seen yet.
    """

    def __init__(self) -> None:
        self._made: dict[str, tuple[pa.Array, np.ndarray]] = {}

    def of(self, column: str, texts: pa.Array) -> np.ndarray:
        """The string object of each of ``texts`` (Arrow large strings, of the column named
        ``column``): a new object array."""
        seen, strings = self._made.get(column, (pa.array([], type=pa.large_string()), np.empty(0, dtype=object)))
        if texts.equals(seen):  # the texts seen, in their order: as the patient ids of most tables
            return strings.copy()
        found = pc.index_in(texts, value_set=seen)
        if found.null_count:
            new = pc.unique(texts.filter(found.is_null()))
            seen = pa.concat_arrays([seen, new])
            strings = np.concatenate([strings, new.to_numpy(zero_copy_only=False)])
            self._made[column] = seen, strings
            found = pc.index_in(texts, value_set=seen)
        return strings[found.to_numpy()]


def _type_column(frame: pd.DataFrame, column: Column, file: str, problems: list[Problem],
                 strings: Strings) -> pd.Series:
    """Type one column; every bad value becomes a Problem with the row's patient id.

    Each distinct value is judged once (a column of dates holds a few thousand distinct
    dates, however many rows), by Arrow string kernels and numpy masks; each row then
    takes its value's result by position. Python objects are made only for the Problems
    of the rows that fail and for the distinct values of id, code and text columns (one
    string object per text, shared through ``strings`` by every row and table holding
    it in this column). The typed columns are plain pandas dtypes: datetime64[ns], Int64,
    boolean, object.
    """
    rows, distinct = _distinct(frame[column.name])
    text = distinct.str.strip()
    empty = _mask(text == "")
    patients = frame["patient_id"] if "patient_id" in frame.columns else pd.Series("", index=frame.index)

    def report(bad: np.ndarray, message: str) -> None:
        """A Problem for each row whose value is ``bad`` (a mask over the distinct values)."""
        if not bad.any():
            return
        found = np.flatnonzero(bad[rows])
        for patient, value in zip(patients.iloc[found], text.iloc[rows[found]]):
            problems.append(Problem(file, patient, column.name, message, value))

    if column.required:
        report(empty, "value is required but empty")
    if column.kind == "date":
        shaped = _mask(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}"))
        dates, plausible = _dates(text, shaped)
        report(~empty & ~shaped, "not a date in YYYY-MM-DD form")
        report(shaped & ~plausible, f"implausible date (a year outside {PLAUSIBLE_YEARS[0]}-{PLAUSIBLE_YEARS[1]})")
        report(plausible & np.isnat(dates), "not a calendar date")
        return pd.Series(dates[rows], index=frame.index)
    if column.kind == "int":
        numbers, whole = _whole_numbers(text, empty)
        report(~empty & ~whole, "not a whole number")
        low = column.low if column.low is not None else -float("inf")
        high = column.high if column.high is not None else float("inf")
        with np.errstate(invalid="ignore"):
            out_of_range = whole & ((numbers < low) | (numbers > high))
        report(out_of_range, f"outside the plausible range {column.low:g} to {column.high:g}")
        missing = np.isnan(numbers) | out_of_range
        values = np.where(missing, 0, numbers).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(values[rows], missing[rows]), index=frame.index)
    if column.kind == "flag":
        meaning = {value: _mask(text == code) for code, value in FLAG_VALUES.items()}
        known = meaning[True] | meaning[False]
        report(~empty & ~known, "not a flag (Y or N)")
        return pd.Series(pd.arrays.BooleanArray(meaning[True][rows], ~known[rows]), index=frame.index)
    keep = ~empty
    if column.kind == "code":
        known = _mask(text.isin(column.codes))
        report(~empty & ~known, f"unknown code (known: {', '.join(column.codes)})")
        keep &= known
    values = strings.of(column.name, _arrow(text))
    values[~keep] = None
    return pd.Series(values[rows], index=frame.index, dtype=object)


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """A raw text column as each row's position among its distinct texts, and those texts."""
    encoded = pa.array(values.array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    if not pa.types.is_dictionary(encoded.type):  # raw tables are dictionary-encoded, but plain text will do
        encoded = encoded.dictionary_encode()
    texts = pd.arrays.ArrowExtensionArray(encoded.dictionary.cast(pa.large_string()))
    return encoded.indices.to_numpy(), pd.Series(texts)


def _mask(values: pd.Series) -> np.ndarray:
    """A (possibly nullable, possibly Arrow) boolean result as a numpy boolean array; missing is False."""
    return values.to_numpy(dtype=bool, na_value=False)


def _arrow(text: pd.Series) -> pa.Array:
    """The Arrow array under a text column, in one piece (copied only when pandas holds it in chunks)."""
    array = pa.array(text.array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _dates(text: pd.Series, shaped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dates (datetime64[ns]) of the ``shaped`` (YYYY-MM-DD) texts, and which of those have a plausible year.

    The date is NaT unless the text is shaped, its year plausible and its month and
    day a calendar date. Arrow casts the texts to dates in C++ and rejects what pandas'
    ``to_datetime(format="%Y-%m-%d")`` rejects (2021-02-29, 2021-04-31, 2021-13-01; checked
    on every such text from 1900 to 2200); when a column holds such a text, the cast
    fails as a whole and pandas judges the column's texts one by one, as it always did.
    """
    low, high = PLAUSIBLE_YEARS
    # A shaped text starts with its four-digit year, so comparing texts compares years.
    plausible = shaped & _mask((text >= f"{low:04d}") & (text < f"{high + 1:04d}"))
    candidates = text[plausible]
    dates = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    try:
        typed = pc.cast(_arrow(candidates), pa.date32()).cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # not a calendar date
        typed = pd.to_datetime(candidates.astype(object), format="%Y-%m-%d", errors="coerce").to_numpy()
    dates[plausible] = typed
    return dates, plausible


def _whole_numbers(text: pd.Series, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value as a number (NaN unless whole) and which values are whole numbers.

    Plain digits (with a minus sign at most, up to 15 of them: exact as floats) are
    cast by Arrow; the few other non-empty values (3.0, 1e2, +3, seven) are judged by
    ``pd.to_numeric`` as ever: a whole number is a finite one with nothing after the
    decimal point.
    """
    numbers = np.full(len(text), np.nan)
    whole = _mask(text.str.fullmatch(r"-?\d{1,15}"))
    numbers[whole] = pc.cast(_arrow(text[whole]), pa.int64()).to_numpy()
    other = np.flatnonzero(~empty & ~whole)
    if len(other):
        parsed = pd.to_numeric(text.iloc[other].astype(object), errors="coerce")
        with np.errstate(invalid="ignore"):
            fits = (parsed % 1 == 0).to_numpy(dtype=bool)
        whole[other[fits]] = True
        numbers[other[fits]] = parsed[fits].astype(float)
    return numbers, whole


def _typed(table: RawTable, problems: list[Problem], strings: Strings) -> pd.DataFrame:
    """One table typed, a column per schema column.

    The columns are kept as typed (``copy=False``), not consolidated into one block per
    dtype, which would copy every value (and touch every string object) once more: the
    checks and derivations read the tables column by column.
    """
    schema = next(schema for schema in REGISTRY_TABLES if schema.name == table.name)
    return pd.DataFrame({column.name: _type_column(table.frame, column, table.where, problems, strings)
                         for column in schema.columns}, index=table.frame.index, copy=False)


def type_export(raw: RawExport) -> Loaded:
    """Type every table read; each problem is collected, nothing raised.

    The registry is None when a table, or a required column of one, is missing: the
    checks across tables need them all. A patients table without rows is a problem too.
    """
    problems = list(raw.problems)
    complete = not raw.problems
    tables: dict[str, pd.DataFrame] = {}
    strings = Strings()
    for name, table in raw.tables.items():
        missing = _missing_columns(table)
        problems += missing
        if missing:
            complete = False
            continue
        tables[name] = _typed(table, problems, strings)
    patients = raw.tables.get("patients")
    if patients is not None and patients.frame.empty:
        problems.append(Problem(patients.where, "", "", "the export has no patients (a header without rows)"))
        complete = False
    registry = None
    if complete:
        registry = Registry(tables, raw.origin, {name: table.where for name, table in raw.tables.items()},
                            {name: table.labels for name, table in raw.tables.items() if table.labels})
    return Loaded(registry, tuple(problems), raw)


def read_registry(data: DataSource, path: str | Path) -> Loaded:
    """Read the spec's data source (``path`` is ``data.path`` resolved) and type it, collecting problems."""
    return type_export(read_export(data, Path(path)))


def load_registry(path: str | Path, data: DataSource = DataSource()) -> Registry:
    """Read and type every table of the export at ``path`` (CSV files unless ``data`` says otherwise).

    Raises DataValidationError listing every problem found (file, patient, column).
    """
    loaded = read_registry(data, path)
    errors = errors_of(loaded.problems)
    if errors or loaded.registry is None:
        raise DataValidationError(summarize_problems(loaded.raw.origin, list(errors)), errors)
    return loaded.registry
