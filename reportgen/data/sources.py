"""Read a registry export from where it lives: files (CSV, Parquet, Excel, SAS) or a database.

Every reader gives the same thing: one table of text per registry table, its columns
renamed and its codes recoded by the spec's adapter (``data.tables``, ``data.columns``,
``data.codes``), every value written the way a CSV export writes it (dates
``YYYY-MM-DD``, whole numbers without decimals, flags ``Y``/``N``, missing as empty).
Typing and checking happen once, downstream (``reportgen.data.load``), whatever the
source, so a value is judged the same way from a SAS file as from a CSV.

Nothing here raises on bad data: a table that cannot be read becomes a Problem naming
the file (or sheet, or database table), and the others are still read.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from reportgen.data.schema import REGISTRY_TABLES, TableSchema
from reportgen.errors import Problem, ReportgenError, SpecError
from reportgen.spec import DataSource

#: File name suffixes of each file source; the first is the one looked for by default.
SUFFIXES = {"csv": (".csv",), "parquet": (".parquet", ".pq"), "excel": (".xlsx", ".xlsm"),
            "xpt": (".xpt",), "sas7bdat": (".sas7bdat",)}
_ENVIRONMENT = re.compile(r"\$\{(\w+)\}")


class DataSourceError(ReportgenError):
    """The data source cannot be reached at all (no database, an unreadable workbook)."""


@dataclass(frozen=True)
class RawTable:
    """One registry table as read: text values under registry column names.

    A value is never missing (an empty value is ""). Each column is dictionary-encoded
    (``compact_text``): its distinct values stored once, each row a position among them,
    so an export of 150,000 patients takes tens of megabytes, not hundreds, and typing
    judges each distinct value once.

    ``where`` names it for messages ("patients.csv", "registry.xlsx, sheet patients",
    "database table registry.patients"); ``labels`` are the export's variable labels
    (SAS files carry them), by registry column.
    """

    name: str
    where: str
    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)

    def sha256(self) -> str:
        """A hash of the table's content as read (for sources that are not files)."""
        return hashlib.sha256(self.frame.to_csv(index=False, lineterminator="\n").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RawExport:
    """Every table that could be read, and the problems of those that could not."""

    tables: dict[str, RawTable]
    problems: tuple[Problem, ...]
    origin: str


# --- values -> text ------------------------------------------------------------------------------------------------

def _text_of(value: object) -> str:
    """One value in the CSV export's form (used for columns of mixed Python objects)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "Y" if value else "N"
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def as_text(column: pd.Series) -> pd.Series:
    """A column of any type as text in the CSV export's form; vectorised for the common types."""
    if isinstance(column.dtype, (pd.StringDtype, pd.ArrowDtype)) and pd.api.types.is_string_dtype(column.dtype):
        return column.fillna("")  # text already (the CSV reader's Arrow strings)
    if pd.api.types.is_datetime64_any_dtype(column):
        midnight = column.isna() | (column == column.dt.normalize())
        if bool(midnight.all()):
            return column.dt.strftime("%Y-%m-%d").fillna("").astype(object)
    elif pd.api.types.is_bool_dtype(column) and not column.isna().any():
        return column.map({True: "Y", False: "N"}).astype(object)
    elif pd.api.types.is_integer_dtype(column):
        return column.astype("string").fillna("").astype(object)
    elif pd.api.types.is_string_dtype(column) or column.dtype == object:
        values = column.astype(object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            return values.where(values.notna(), "")
    return column.astype(object).map(_text_of)


def compact_text(text: pd.Series) -> pd.Series:
    """Text (strings, none missing) dictionary-encoded in Arrow (pandas' ArrowDtype of a dictionary):
    each distinct value stored once, each row its position among them, in the fewest bytes
    that can count them (a code column needs one byte a row, a date column two)."""
    strings = pa.array(text.array, type=pa.large_string())
    if isinstance(strings, pa.ChunkedArray):  # Arrow-backed text may come in chunks
        strings = strings.combine_chunks()
    encoded = strings.dictionary_encode()
    count = len(encoded.dictionary)
    width = pa.int8() if count <= 2**7 else pa.int16() if count <= 2**15 else pa.int32()
    encoded = pa.DictionaryArray.from_arrays(encoded.indices.cast(width), encoded.dictionary)
    return pd.Series(pd.arrays.ArrowExtensionArray(encoded), index=text.index)


# --- readers: path -> DataFrame (any types) and labels ------------------------------------------------------------

Reader = Callable[[Path, DataSource], tuple[pd.DataFrame, dict[str, str]]]


class Unreadable(ValueError):
    """A file that a reader recognises as unusable, with a message that says why and what to do."""


def _read_csv(path: Path, data: DataSource) -> tuple[pd.DataFrame, dict[str, str]]:
    if path.stat().st_size == 0:
        raise Unreadable("the file is empty (not even a header row)")
    utf8 = data.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    frame = _read_csv_arrow(path, data.delimiter) if utf8 else None
    if frame is None:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig" if utf8 else data.encoding,
                            sep=data.delimiter, engine="c", na_filter=False)
    if len(frame.columns) == 1:
        header = str(frame.columns[0])
        for other in (";", "\t", "|", ","):
            if other != data.delimiter and other in header:
                shown = {"\t": "a tab"}.get(other, repr(other))
                raise Unreadable(f"its columns are separated by {shown}, not {data.delimiter!r}: "
                                 f"set data.delimiter in the study spec")
    return frame, {}


def _read_csv_arrow(path: Path, delimiter: str) -> pd.DataFrame | None:
    """A well-formed UTF-8 CSV file as Arrow-backed text columns; None when pandas must read it.

    Arrow's reader parses in C++ into compact Arrow buffers, several times faster than
    pandas' and without a Python string per value, which matters at registry scale. It
    runs on one thread: on a machine of a few cores that is as fast, and its scratch
    memory can then be handed back (see ``_export``).

    For a well-formed file it gives what pandas' reader gives: a UTF-8 byte order mark
    skipped, quoted fields (newlines in them too), blank lines skipped, every value
    text, nothing taken as missing. Anything else goes to pandas, whose reading and
    messages are the reference: a parse error (ragged rows, bad UTF-8, an unclosed
    quote, a delimiter only pandas accepts), header names pandas would rename (empty
    or repeated), and NUL bytes (pandas ends a value at one).
    """
    content = path.read_bytes()
    if b"\x00" in content:
        return None
    parse = pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    one_thread = pa_csv.ReadOptions(use_threads=False)
    # The names are read from a first block of 64 KiB, not the default megabyte of rows (a
    # header longer than that is left to pandas).
    header = pa_csv.ReadOptions(use_threads=False, block_size=1 << 16)
    try:
        names = pa_csv.open_csv(pa.BufferReader(content), read_options=header, parse_options=parse).schema.names
        if len(set(names)) < len(names) or "" in names:
            return None
        table = pa_csv.read_csv(pa.BufferReader(content), read_options=one_thread, parse_options=parse,
                                convert_options=pa_csv.ConvertOptions(
                                    column_types={name: pa.large_string() for name in names},
                                    strings_can_be_null=False))
    except (pa.ArrowException, ValueError):
        return None
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _read_parquet(path: Path, data: DataSource) -> tuple[pd.DataFrame, dict[str, str]]:
    return pd.read_parquet(path), {}


def _read_sas(path: Path, data: DataSource) -> tuple[pd.DataFrame, dict[str, str]]:
    import pyreadstat

    read = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    encoding = None if data.encoding.lower() in ("utf-8", "utf8") else data.encoding
    frame, meta = read(str(path), encoding=encoding)
    labels = {name: label for name, label in meta.column_names_to_labels.items() if label}
    return frame, labels


def _read_excel_file(path: Path, data: DataSource) -> tuple[pd.DataFrame, dict[str, str]]:
    return pd.read_excel(path, dtype=object, sheet_name=0, engine="openpyxl"), {}


FILE_READERS: dict[str, Reader] = {"csv": _read_csv, "parquet": _read_parquet, "excel": _read_excel_file,
                                   "xpt": _read_sas, "sas7bdat": _read_sas}


# --- the adapter: rename, recode -------------------------------------------------------------------------------------

def _adapted(name: str, where: str, frame: pd.DataFrame, labels: dict[str, str], data: DataSource) -> RawTable:
    """Rename the export's columns to the registry's, recode codes, and make every value text
    (dictionary-encoded: ``compact_text``)."""
    renamed = {export: column for column, export in data.columns.get(name, {}).items()}
    frame = frame.rename(columns=lambda c: renamed.get(str(c).strip(), str(c).strip()))
    recodes = data.codes.get(name, {})

    def text_of(column: str) -> pd.Series:
        text = as_text(frame[column])
        if column in recodes:
            stripped = text.str.strip()
            text = stripped.map(recodes[column]).where(stripped.isin(list(recodes[column])), text)
        return compact_text(text)

    text = pd.DataFrame({column: text_of(column) for column in frame.columns}, index=frame.index)
    labels = {renamed.get(column, column): label for column, label in labels.items()}
    return RawTable(name, where, text.reset_index(drop=True), labels)


def _check_adapter(data: DataSource, tables: tuple[TableSchema, ...]) -> None:
    """The adapter may only name the tables read and their columns (a typo would silently map nothing);
    a table whose columns are the data's own (analysis-ready patients) takes any column."""
    schemas = {schema.name: schema for schema in tables}
    for key in ("tables", "columns", "codes"):
        for table in getattr(data, key):
            if table not in schemas:
                raise SpecError(f"data.{key}.{table}: not a registry table (tables: {', '.join(schemas)})")
    for key in ("columns", "codes"):
        for table, columns in getattr(data, key).items():
            for column in columns:
                if schemas[table].columns and column not in schemas[table].column_names:
                    raise SpecError(f"data.{key}.{table}.{column}: not a column of the registry table {table} "
                                    f"(columns: {', '.join(schemas[table].column_names)})")
    try:
        codecs.lookup(data.encoding)
    except LookupError:
        raise SpecError(f"data.encoding: {data.encoding!r} is not a text encoding Python knows") from None


# --- sources -----------------------------------------------------------------------------------------------------

def _file_of(schema: TableSchema, folder: Path, data: DataSource) -> Path:
    stem = data.tables.get(schema.name, schema.name)
    suffixes = SUFFIXES[data.source]
    if Path(stem).suffix.lower() in suffixes:
        return folder / stem
    for suffix in suffixes:
        if (folder / f"{stem}{suffix}").exists():
            return folder / f"{stem}{suffix}"
    return folder / f"{stem}{suffixes[0]}"


#: What a source finds for one registry table: its name, where it is, its frame and labels; or a Problem.
Found = tuple[str, str, pd.DataFrame, dict[str, str]] | Problem


def _export(found: Iterable[Found], data: DataSource, origin: str) -> RawExport:
    """The tables a source found, adapted, and the problems of those it could not read.

    Reading allocates scratch memory (a whole file as text, before it is
    dictionary-encoded) that Arrow's allocator would otherwise keep for reuse for the
    rest of the process; it is handed back to the system once the tables are read.
    """
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    for item in found:
        if isinstance(item, Problem):
            problems.append(item)
        else:
            name, where, frame, labels = item
            tables[name] = _adapted(name, where, frame, labels, data)
    pa.default_memory_pool().release_unused()
    return RawExport(tables, tuple(problems), origin)


def _unreadable(where: str, error: Exception, data: DataSource) -> Problem:
    """Why a file could not be read, said so that the user knows what to change."""
    if isinstance(error, UnicodeDecodeError):
        return Problem(where, "", "", f"file is not {data.encoding} text ({error.reason} at byte {error.start}); "
                                      "set data.encoding in the study spec")
    if isinstance(error, pd.errors.EmptyDataError):
        return Problem(where, "", "", "the file is empty (not even a header row)")
    if isinstance(error, Unreadable):
        return Problem(where, "", "", str(error))
    return Problem(where, "", "", f"file cannot be read as {data.source} ({_first_line(error)})")


def _files(folder: Path, data: DataSource, tables: tuple[TableSchema, ...]) -> Iterator[Found]:
    """One file per table in ``folder``."""
    reader = FILE_READERS[data.source]
    for schema in tables:
        path = _file_of(schema, folder, data)
        where = path.relative_to(folder).as_posix()
        if not path.is_file():
            yield Problem(where, "", "", "file is missing from the export")
            continue
        try:
            frame, labels = reader(path, data)
        except Exception as error:  # noqa: BLE001 - each format's library raises its own errors
            yield _unreadable(where, error, data)
            continue
        yield schema.name, where, frame, labels


def _sheets(path: Path, data: DataSource, tables: tuple[TableSchema, ...]) -> Iterator[Found]:
    """One Excel workbook with a sheet per table."""
    try:
        sheets = pd.read_excel(path, dtype=object, sheet_name=None, engine="openpyxl")
    except Exception as error:  # noqa: BLE001 - openpyxl and zipfile raise their own errors
        raise DataSourceError(f"{path}: cannot be read as an Excel workbook ({_first_line(error)})") from None
    for schema in tables:
        sheet = data.tables.get(schema.name, schema.name)
        where = f"{path.name}, sheet {sheet}"
        if sheet in sheets:
            yield schema.name, where, sheets[sheet], {}
        else:
            yield Problem(where, "", "", f"the workbook has no sheet {sheet!r} (sheets: {', '.join(map(str, sheets))})")


def database_url(data: DataSource) -> str:
    """The spec's URL with ``${NAME}`` replaced from the environment."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SpecError(f"data.url: the environment variable {name} is not set")
        return os.environ[name]

    return _ENVIRONMENT.sub(value, data.url)


def shown_url(url: str) -> str:
    """A database URL fit to print: its password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown without anything after the scheme
        return url.split("://", 1)[0] + "://…"


def _database_tables(connection, data: DataSource, tables: tuple[TableSchema, ...]) -> Iterator[Found]:
    """One database table per table read."""
    import sqlalchemy

    present = set(sqlalchemy.inspect(connection).get_table_names(schema=data.schema or None))
    for schema in tables:
        name = data.tables.get(schema.name, schema.name)
        where = f"database table {data.schema + '.' if data.schema else ''}{name}"
        if name in present:
            yield schema.name, where, pd.read_sql_table(name, connection, schema=data.schema or None), {}
        else:
            yield Problem(where, "", "", "table is missing from the database")


def _read_database(data: DataSource, tables: tuple[TableSchema, ...]) -> RawExport:
    """The tables of a database, through SQLAlchemy."""
    import sqlalchemy

    url = database_url(data)
    engine = None
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as connection:
            return _export(list(_database_tables(connection, data, tables)), data, shown_url(url))
    except (sqlalchemy.exc.SQLAlchemyError, ImportError) as error:
        raise DataSourceError(f"cannot read the database {shown_url(url)}: {_first_line(error)}") from None
    finally:
        if engine is not None:
            engine.dispose()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def read_export(data: DataSource, path: Path, tables: tuple[TableSchema, ...] = REGISTRY_TABLES) -> RawExport:
    """Every table of ``tables`` (by default the registry's) from the spec's source; ``path`` is the
    spec's ``data.path`` resolved."""
    _check_adapter(data, tables)
    if data.source == "sql":
        return _read_database(data, tables)
    if data.source == "excel" and path.is_file():
        return _export(_sheets(path, data, tables), data, str(path))
    if not path.is_dir():
        raise DataSourceError(f"{path}: the {'registry export' if data.form == 'registry' else 'data'} "
                              "folder does not exist")
    return _export(_files(path, data, tables), data, str(path))
