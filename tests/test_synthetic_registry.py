"""Structural checks of the committed synthetic registry export and of its generator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reportgen.data.schema import REGISTRY_TABLES, TableSchema

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "synthetic-registry"
DATA = EXAMPLE / "data"
GENERATOR = EXAMPLE / "generate.py"
L3_COHORT = 1500
SEED = 20240820
CUTOFF = pd.Timestamp("2023-09-01")
INFUSION_WINDOW = (pd.Timestamp("2018-08-01"), pd.Timestamp("2023-06-30"))
PATIENT_ID = r"SYN-\d{5}"
CENTER_ID = r"SYN-C\d{2}"


def read(table: TableSchema) -> pd.DataFrame:
    """A committed table as text, with empty fields as empty strings."""
    return pd.read_csv(DATA / f"{table.name}.csv", dtype=str, keep_default_na=False)


def dates(frame: pd.DataFrame, column: str) -> pd.Series:
    """A date column parsed strictly as ISO dates (empty -> NaT)."""
    return pd.to_datetime(frame[column].replace("", None), format="%Y-%m-%d")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {table.name: read(table) for table in REGISTRY_TABLES}


@pytest.fixture(scope="module")
def patient_view(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per patient with the dates of the one-row tables, by patient id."""
    merged = tables["patients"]
    for name in ("diagnoses", "car_t", "follow_up"):
        merged = merged.merge(tables[name], on="patient_id", validate="one_to_one")
    for column in [c for c in merged.columns if c.endswith("_date")]:
        merged[column] = dates(merged, column)
    return merged.set_index("patient_id")


@pytest.mark.parametrize("table", REGISTRY_TABLES, ids=lambda t: t.name)
def test_columns_follow_the_schema(tables: dict[str, pd.DataFrame], table: TableSchema) -> None:
    assert tuple(tables[table.name].columns) == table.column_names


@pytest.mark.parametrize("table", REGISTRY_TABLES, ids=lambda t: t.name)
def test_values_follow_the_schema(tables: dict[str, pd.DataFrame], table: TableSchema) -> None:
    frame = tables[table.name]
    for column in table.columns:
        values = frame[column.name]
        present = values[values != ""]
        if column.required:
            assert len(present) == len(values), f"{column.name} has empty fields"
        if column.kind == "date":
            dates(frame, column.name)
        elif column.kind == "int":
            assert present.str.fullmatch(r"\d+").all(), f"{column.name} is not whole numbers"
        elif column.kind == "flag":
            assert present.isin(["Y", "N"]).all()
        elif column.kind == "code":
            assert present.isin(column.codes).all(), f"{column.name} has unknown codes"


def test_row_counts(tables: dict[str, pd.DataFrame]) -> None:
    patients = len(tables["patients"])
    for table in REGISTRY_TABLES:
        if table.one_row_per_patient:
            assert len(tables[table.name]) == patients, table.name
    car_t_line = tables["car_t"]["car_t_line"].astype(int)
    assert (car_t_line >= 3).sum() == L3_COHORT
    assert 0.03 < (car_t_line == 2).mean() < 0.05


def test_ids_are_unique_and_shared(tables: dict[str, pd.DataFrame]) -> None:
    ids = tables["patients"]["patient_id"]
    assert ids.is_unique and ids.str.fullmatch(PATIENT_ID).all()
    assert tables["patients"]["center_id"].str.fullmatch(CENTER_ID).all()
    assert 50 <= tables["patients"]["center_id"].nunique() <= 60
    for table in REGISTRY_TABLES:
        frame = tables[table.name]
        assert set(frame["patient_id"]) <= set(ids), table.name
        assert not frame.duplicated(list(table.key)).any(), f"{table.name} repeats a key"


def test_rows_are_sorted_by_key(tables: dict[str, pd.DataFrame]) -> None:
    for table in REGISTRY_TABLES:
        key = tables[table.name][list(table.key)]
        if "line_number" in key:
            key = key.assign(line_number=key["line_number"].astype(int))
        assert key.equals(key.sort_values(list(table.key)).reset_index(drop=True)), table.name


def test_patient_dates_are_ordered(patient_view: pd.DataFrame) -> None:
    p = patient_view
    assert (p["birth_date"] < p["diagnosis_date"]).all()
    assert (p["diagnosis_date"] < p["eligibility_date"]).all()
    assert (p["eligibility_date"] <= p["leukapheresis_date"]).all()
    assert (p["leukapheresis_date"] < p["infusion_date"]).all()
    assert p["infusion_date"].between(*INFUSION_WINDOW).all()
    assert (p["infusion_date"] <= p["last_contact_date"]).all()
    assert (p["last_contact_date"] <= CUTOFF).all()
    dead = p["vital_status"] == "dead"
    assert (p.loc[dead, "death_date"] == p.loc[dead, "last_contact_date"]).all()
    assert p.loc[~dead, "death_date"].isna().all()


def test_event_dates_are_ordered(tables: dict[str, pd.DataFrame],
                                 patient_view: pd.DataFrame) -> None:
    infusion = patient_view["infusion_date"]
    last_contact = patient_view["last_contact_date"]
    progressions = tables["progressions"]
    progressed = dates(progressions, "progression_date")
    owner = progressions["patient_id"]
    assert (progressed > owner.map(infusion)).all()
    assert (progressed <= owner.map(last_contact)).all()
    lines = tables["treatment_lines"]
    start, end = dates(lines, "start_date"), dates(lines, "end_date")
    assert (end.isna() | (end >= start)).all()
    assert (start <= lines["patient_id"].map(last_contact)).all()
    before = lines["role"].isin(["prior", "bridging"])
    assert (start[before] < lines.loc[before, "patient_id"].map(infusion)).all()
    assert (start[~before] > lines.loc[~before, "patient_id"].map(infusion)).all()


def test_regenerating_gives_identical_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path),
                    "--patients", str(L3_COHORT), "--seed", str(SEED)], check=True)
    for table in REGISTRY_TABLES:
        name = f"{table.name}.csv"
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
