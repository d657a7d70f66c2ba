"""Loading and validating the registry export: every problem names file, patient and column."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from reportgen.data.load import load_registry, read_registry
from reportgen.data.sources import DataSourceError
from reportgen.data.validate import check_registry, validate
from reportgen.errors import DataValidationError, errors_of
from reportgen.spec import DataSource

DATA = Path(__file__).resolve().parent.parent / "examples" / "synthetic-registry" / "data"


@pytest.fixture
def export(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    return folder


def _edit(folder: Path, table: str, change) -> None:
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(path, index=False)


def _problems(folder: Path):
    with pytest.raises(DataValidationError) as caught:
        validate(load_registry(folder))
    return caught.value.problems


def test_the_example_export_loads_and_validates():
    registry = validate(load_registry(DATA))
    assert len(registry["patients"]) > 1000
    assert str(registry["car_t"]["infusion_date"].dtype).startswith("datetime64")


def test_missing_column_is_named(export):
    _edit(export, "car_t", lambda f: f.drop(columns=["infusion_date"], inplace=True))
    problems = _problems(export)
    assert any(p.file == "car_t.csv" and p.column == "infusion_date" and "missing" in p.message for p in problems)


def test_bad_values_name_the_patient_and_column_all_at_once(export):
    def spoil(frame):
        frame.loc[0, "infusion_date"] = "2021-13-45"
        frame.loc[1, "ecog"] = "seven"
        frame.loc[2, "product"] = "liso-cell"

    _edit(export, "car_t", spoil)
    patients = pd.read_csv(export / "car_t.csv", dtype=str)["patient_id"]
    found = {(p.patient, p.column) for p in _problems(export)}
    assert {(patients[0], "infusion_date"), (patients[1], "ecog"), (patients[2], "product")} <= found


def test_duplicate_patient_and_orphan_record(export):
    def duplicate(frame):
        frame.loc[len(frame)] = frame.loc[0]

    _edit(export, "follow_up", duplicate)
    _edit(export, "biopsies", lambda f: f.loc.__setitem__((0, "patient_id"), "SYN-99999"))
    messages = {(p.file, p.message) for p in _problems(export)}
    assert ("follow_up.csv", "duplicate patient") in messages
    assert ("biopsies.csv", "record of a patient who is not in patients.csv") in messages


def test_dates_out_of_order(export):
    def swap(frame):
        frame.loc[0, "leukapheresis_date"], frame.loc[0, "infusion_date"] = "2022-06-01", "2022-05-01"
        frame.loc[0, "eligibility_date"] = "2022-04-01"

    _edit(export, "car_t", swap)
    problems = _problems(export)
    assert any(p.column == "infusion_date" and p.message == "infusion before leukapheresis" for p in problems)


def test_missing_file_and_folder(export, tmp_path):
    (export / "toxicities.csv").unlink()
    assert any(p.file == "toxicities.csv" and "missing" in p.message for p in _problems(export))
    with pytest.raises(DataSourceError, match="does not exist"):
        load_registry(tmp_path / "nowhere")


@pytest.mark.parametrize("column, value, typed, message", [
    ("infusion_date", "2020-02-29", pd.Timestamp("2020-02-29"), None),  # a leap day
    ("infusion_date", "2021-02-29", None, "not a calendar date"),
    ("infusion_date", "2021-04-31", None, "not a calendar date"),
    ("infusion_date", "2021-13-01", None, "not a calendar date"),
    ("infusion_date", "1899-12-31", None, "implausible date (a year outside 1900-2200)"),
    ("infusion_date", "2201-01-01", None, "implausible date (a year outside 1900-2200)"),
    ("infusion_date", "2021-1-1", None, "not a date in YYYY-MM-DD form"),
    ("infusion_date", "", None, "value is required but empty"),
    ("ecog", " 2 ", 2, None),
    ("ecog", "2.0", 2, None),
    ("ecog", "+2", 2, None),
    ("ecog", "2e0", 2, None),
    ("ecog", "2.5", None, "not a whole number"),
    ("ecog", "inf", None, "not a whole number"),
    ("ecog", "\u0662", None, "not a whole number"),  # an Arabic-Indic digit two
    ("ecog", "9", None, "outside the plausible range 0 to 4"),
    ("ecog", "-1", None, "outside the plausible range 0 to 4"),
    ("ldh_elevated", "Y", True, None),
    ("ldh_elevated", "y", None, "not a flag (Y or N)"),
    ("product", "axi-cel ", "axi-cel", None),
    ("product", "Axi-cel", None, "unknown code (known: axi-cel, tisa-cel)"),
])
def test_each_value_is_typed_or_reported_as_pandas_judges_it(export, column, value, typed, message):
    """Typing judges each distinct text once, in Arrow; a value comes out as pandas always typed it."""
    def put(frame):
        frame.loc[0, column] = value

    _edit(export, "car_t", put)
    loaded = read_registry(DataSource(), export)
    patient = pd.read_csv(export / "car_t.csv", dtype=str)["patient_id"][0]
    found = [(p.patient, p.column, p.message, p.value) for p in loaded.problems if p.file == "car_t.csv"]
    if message is None:
        assert found == []
        assert loaded.registry["car_t"].set_index("patient_id").at[patient, column] == typed
    else:
        assert found == [(patient, column, message, value.strip())]


def test_a_record_without_a_patient_id_is_reported_once(export):
    """An empty patient_id outside the patients table is a missing required value, not also an
    orphan record (which named no patient, and which the CSV report could not write)."""
    _edit(export, "biopsies", lambda f: f.loc.__setitem__((0, "patient_id"), ""))
    loaded = read_registry(DataSource(), export)
    problems = errors_of(list(loaded.problems) + check_registry(loaded.registry))
    assert [(p.file, p.column, p.message) for p in problems] == [
        ("biopsies.csv", "patient_id", "value is required but empty")]
