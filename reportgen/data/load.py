"""Load a registry export (one CSV per table) into typed pandas DataFrames.

Nothing is dropped: a value that cannot be typed is reported as a Problem naming the
file, the patient and the column, and the whole export is checked before any error
is raised, so a user sees every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reportgen.data.schema import REGISTRY_TABLES, Column, TableSchema
from reportgen.errors import DataValidationError, Problem, summarize_problems

FLAG_VALUES = {"Y": True, "N": False}


@dataclass(frozen=True)
class Registry:
    """The typed tables of one registry export, by schema name, and where they came from."""

    tables: dict[str, pd.DataFrame]
    source: Path

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def file_of(self, name: str) -> str:
        return f"{name}.csv"


def _read_csv(path: Path, schema: TableSchema, problems: list[Problem]) -> pd.DataFrame | None:
    file = path.name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(file, "", "", "file is missing from the export"))
        return None
    except UnicodeDecodeError as error:
        problems.append(Problem(file, "", "", f"file is not UTF-8 text ({error.reason} at byte {error.start})"))
        return None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        problems.append(Problem(file, "", "", f"file cannot be read as CSV ({error})"))
        return None
    missing = [c for c in schema.column_names if c not in frame.columns]
    for column in missing:
        problems.append(Problem(file, "", column, "required column is missing"))
    return None if missing else frame


def _type_column(frame: pd.DataFrame, column: Column, file: str, problems: list[Problem]) -> pd.Series:
    """Type one column; every bad value becomes a Problem with the row's patient id."""
    raw = frame[column.name].str.strip()
    empty = raw == ""
    patients = frame["patient_id"] if "patient_id" in frame.columns else pd.Series("", index=frame.index)

    def report(bad: pd.Series, message: str) -> None:
        for index in bad[bad].index:
            problems.append(Problem(file, patients[index], column.name, message, raw[index]))

    if column.required:
        report(empty, "value is required but empty")
    if column.kind == "date":
        typed = pd.to_datetime(raw.where(~empty), format="%Y-%m-%d", errors="coerce")
        report(~empty & typed.isna(), "not a date in YYYY-MM-DD form")
    elif column.kind == "int":
        typed = pd.to_numeric(raw.where(~empty), errors="coerce")
        report(~empty & (typed.isna() | (typed % 1 != 0)), "not a whole number")
        out_of_range = typed.notna() & (
            (typed < (column.low if column.low is not None else -float("inf")))
            | (typed > (column.high if column.high is not None else float("inf")))
        )
        report(out_of_range, f"outside the plausible range {column.low:g} to {column.high:g}")
        typed = typed.where(~out_of_range).astype("Int64")
    elif column.kind == "flag":
        typed = raw.map(FLAG_VALUES).astype("boolean")
        report(~empty & typed.isna(), "not a flag (Y or N)")
    elif column.kind == "code":
        known = raw.isin(column.codes)
        report(~empty & ~known, f"unknown code (known: {', '.join(column.codes)})")
        typed = raw.where(known & ~empty).astype("object")
        typed = typed.where(typed.notna(), None)
    else:
        typed = raw.where(~empty).astype("object")
        typed = typed.where(typed.notna(), None)
    return typed


def load_registry(folder: str | Path) -> Registry:
    """Read and type every table of the export in ``folder``.

    Raises DataValidationError listing every problem found (file, patient, column).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError(f"{folder}: the registry export folder does not exist")
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for schema in REGISTRY_TABLES:
        file = f"{schema.name}.csv"
        frame = _read_csv(folder / file, schema, problems)
        if frame is None:
            continue
        typed = pd.DataFrame(
            {column.name: _type_column(frame, column, file, problems) for column in schema.columns},
            index=frame.index,
        )
        tables[schema.name] = typed
    if problems:
        raise DataValidationError(summarize_problems(folder, problems), tuple(problems))
    return Registry(tables, folder)

