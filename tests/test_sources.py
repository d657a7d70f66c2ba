"""Every data source gives the same typed registry as the CSV export it was made from.

The SYNTHETIC registry is written in each format with native types (dates as dates,
whole numbers as numbers, flags as booleans where the format has them), read back
through the spec's source, and compared table by table with the CSV reading. The
SAS7BDAT fixture (Python cannot write the format) was written by R's haven from the
first 40 patients: tests/data/sas7bdat/make_sas7bdat.R.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from reportgen.data.load import load_registry, read_registry
from reportgen.data.schema import REGISTRY_TABLES
from reportgen.data.sources import DataSourceError, as_text, read_export
from reportgen.errors import SpecError
from reportgen.spec import DataSource

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "synthetic-registry" / "data"
SAS7BDAT = ROOT / "tests" / "data" / "sas7bdat"


@pytest.fixture(scope="module")
def registry():
    return load_registry(DATA)


def _assert_same(read, expected, only: set[str] | None = None) -> None:
    for schema in REGISTRY_TABLES:
        want = expected[schema.name]
        if only is not None:
            want = want[want["patient_id"].isin(only)].reset_index(drop=True)
        pd.testing.assert_frame_equal(read[schema.name].reset_index(drop=True), want.reset_index(drop=True),
                                      check_dtype=True, obj=schema.name)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable pandas types as plain Python objects (None for missing), which every writer accepts."""
    return frame.astype(object).where(frame.notna(), None)


def test_parquet_with_native_types(registry, tmp_path):
    for name, frame in registry.tables.items():
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    _assert_same(load_registry(tmp_path, DataSource(source="parquet")), registry)


def test_excel_files_and_one_workbook(registry, tmp_path):
    (tmp_path / "files").mkdir()
    with pd.ExcelWriter(tmp_path / "registry.xlsx") as workbook:
        for name, frame in registry.tables.items():
            _plain(frame).to_excel(tmp_path / "files" / f"{name}.xlsx", index=False)
            _plain(frame).to_excel(workbook, sheet_name=name, index=False)
    _assert_same(load_registry(tmp_path / "files", DataSource(source="excel")), registry)
    loaded = load_registry(tmp_path / "registry.xlsx", DataSource(source="excel"))
    _assert_same(loaded, registry)
    assert loaded.file_of("car_t") == "registry.xlsx, sheet car_t"


def test_sas_transport_with_labels(registry, tmp_path):
    import pyreadstat

    for name, frame in registry.tables.items():
        out = pd.DataFrame({column: _sas_column(frame[column]) for column in frame.columns})
        pyreadstat.write_xport(out, str(tmp_path / f"{name}.xpt"), file_format_version=8, table_name=name[:8],
                               column_labels=[f"{name}: {column}" for column in frame.columns])
    loaded = load_registry(tmp_path, DataSource(source="xpt"))
    _assert_same(loaded, registry)
    assert loaded.labels["car_t"]["infusion_date"] == "car_t: infusion_date"


def _sas_column(column: pd.Series) -> pd.Series:
    """SAS has numbers and text only: dates as SAS dates, flags as Y/N text."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.map(lambda value: None if pd.isna(value) else value.date())
    if pd.api.types.is_bool_dtype(column):
        return column.map({True: "Y", False: "N"}).astype(object).where(column.notna(), "")
    if pd.api.types.is_integer_dtype(column):
        return column.astype("float64")
    return column.astype(object).where(column.notna(), "")


def test_sas7bdat_written_by_r_haven(registry):
    loaded = load_registry(SAS7BDAT, DataSource(source="sas7bdat"))
    first = set(sorted(registry["patients"]["patient_id"])[:40])
    _assert_same(loaded, registry, only=first)
    assert loaded.labels["follow_up"]["death_date"] == "Registry follow_up variable death_date"


def test_sqlite_database(registry, tmp_path):
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    with engine.begin() as connection:
        for name, frame in registry.tables.items():
            frame.to_sql(name, connection, index=False)
    engine.dispose()
    loaded = load_registry(tmp_path, DataSource(source="sql", url=f"sqlite:///{tmp_path / 'registry.db'}"))
    _assert_same(loaded, registry)
    assert loaded.file_of("patients") == "database table patients"


def test_the_adapter_renames_columns_and_recodes(registry, tmp_path):
    """A registry with its own names and codes, mapped onto ours by the spec alone."""
    for name, frame in registry.tables.items():
        frame = pd.DataFrame({column: as_text(frame[column]) for column in frame.columns})
        frame = frame.rename(columns={"patient_id": "PATNO"})
        if name == "patients":
            frame = frame.assign(sex=frame["sex"].map({"M": "1", "F": "2"}))
        frame.to_csv(tmp_path / f"export_{name}.csv", index=False)
    adapter = DataSource(tables={name: f"export_{name}" for name in registry.tables},
                         columns={name: {"patient_id": "PATNO"} for name in registry.tables},
                         codes={"patients": {"sex": {"1": "M", "2": "F"}}})
    _assert_same(load_registry(tmp_path, adapter), registry)


def test_the_adapter_names_only_registry_tables_and_columns(tmp_path):
    with pytest.raises(SpecError, match=r"data.columns.patients.patno: not a column .*patient_id"):
        read_export(DataSource(columns={"patients": {"patno": "PATNO"}}), tmp_path)
    with pytest.raises(SpecError, match="data.tables.patient: not a registry table"):
        read_export(DataSource(tables={"patient": "pat"}), tmp_path)


def test_an_unreachable_database_is_one_clear_error_without_its_password(tmp_path):
    url = "postgresql+psycopg://reader:s3cret@127.0.0.1:1/registry"
    with pytest.raises(DataSourceError) as error:
        read_export(DataSource(source="sql", url=url), tmp_path)
    assert "cannot read the database postgresql+psycopg://reader:***@127.0.0.1:1/registry" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_a_missing_sheet_is_a_problem_naming_the_workbook(registry, tmp_path):
    with pd.ExcelWriter(tmp_path / "registry.xlsx") as workbook:
        for name, frame in registry.tables.items():
            if name != "biopsies":
                _plain(frame.head(3)).to_excel(workbook, sheet_name=name, index=False)
    problems = read_registry(DataSource(source="excel"), tmp_path / "registry.xlsx").problems
    assert [(p.file, p.message.split(" (")[0]) for p in problems] == [
        ("registry.xlsx, sheet biopsies", "the workbook has no sheet 'biopsies'")]


@pytest.mark.parametrize("values, text", [
    (pd.Series([1.0, None, 2.5]), ["1", "", "2.5"]),
    (pd.Series([dt.date(2020, 1, 2), None]), ["2020-01-02", ""]),
    (pd.Series(pd.to_datetime(["2020-01-02", None])), ["2020-01-02", ""]),
    (pd.Series(pd.to_datetime(["2020-01-02 10:30"])), ["2020-01-02 10:30:00"]),
    (pd.Series([True, False, None], dtype="boolean"), ["Y", "N", ""]),
    (pd.Series([3, None], dtype="Int64"), ["3", ""]),
    (pd.Series(["a", None, 7], dtype=object), ["a", "", "7"]),
])
def test_values_become_the_csv_exports_text(values, text):
    assert list(as_text(values)) == text


_PLAIN = b"patient_id,sex\nP1,M\nP2,F\n"


@pytest.mark.parametrize("content", [
    _PLAIN,
    b"\xef\xbb\xbf" + _PLAIN.replace(b"\n", b"\r\n"),  # as spreadsheets save CSV
    b'"patient_id","sex"\n"P1","M"\n"P""2","F"\n',  # every value quoted, a quote doubled
    b'patient_id,sex\nP1,"M\nF"\n\nP2,\n',  # a newline inside a value, a blank line, an empty value
    b"patient_id,sex\r1,NA\r",  # old Mac line ends; NA is text, not missing
    b"patient_id,sex\nP1,M\x00F\n",  # a NUL byte: pandas reads it (and ends the value there)
    b"patient_id,sex,sex,\nP1,M,F,x\n",  # header names pandas renames (sex.1, Unnamed: 3)
])
def test_a_csv_file_reads_as_pandas_reads_it(tmp_path, content):
    """Arrow reads well-formed files, pandas the rest; either way the text is what pandas reads."""
    (tmp_path / "patients.csv").write_bytes(content)
    table = read_export(DataSource(), tmp_path).tables["patients"]
    expected = pd.read_csv(tmp_path / "patients.csv", dtype=str, keep_default_na=False, na_filter=False,
                           encoding="utf-8-sig")
    assert list(table.frame.columns) == list(expected.columns)
    assert table.frame.astype(object).values.tolist() == expected.values.tolist()
    assert table.sha256() == _sha256_of_text(expected)


def _sha256_of_text(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode("utf-8")).hexdigest()
