"""Write the bad-input corpus: broken registry exports, one fault each, and a few combined.

``base/`` is a clean export: the first 40 patients of the SYNTHETIC registry
(examples/synthetic-registry/data). Each ``cases/<name>/`` holds the files that differ
from it (a file named in ``remove`` is deleted) and ``case.yaml``: what is wrong, the
exit status expected from ``reportgen validate`` and ``reportgen build``, and text the
message must contain (file, patient, column, value). tests/test_bad_inputs.py runs
every case. The corpus is committed; rerun this after changing a case:

    python tests/bad_inputs/make_corpus.py
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "examples" / "synthetic-registry" / "data"
PATIENTS = 40
HOSTILE = "<b>{{ 7*7 }}</b>"

Tables = dict[str, pd.DataFrame]
Change = Callable[[Tables], dict[str, pd.DataFrame | bytes | None]]


@dataclass(frozen=True)
class Case:
    name: str
    fault: str
    change: Change
    expect: tuple[str, ...]
    status: int = 1
    remove: tuple[str, ...] = field(default=())


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _set(table: str, row: int, column: str, value: str) -> Change:
    def change(tables: Tables) -> dict:
        frame = tables[table].copy()
        frame.loc[frame.index[row], column] = value
        return {table: frame}
    return change


def _patient(tables: Tables, table: str, row: int) -> str:
    return tables[table]["patient_id"].iloc[row]


def _dead_row(tables: Tables) -> int:
    return int((tables["follow_up"]["vital_status"] == "dead").to_numpy().nonzero()[0][0])


def _combine(*changes: Change) -> Change:
    def change(tables: Tables) -> dict:
        out: dict = {}
        for one in changes:
            out.update(one({**tables, **{k: v for k, v in out.items() if isinstance(v, pd.DataFrame)}}))
        return out
    return change


def _drop_column(table: str, column: str) -> Change:
    return lambda tables: {table: tables[table].drop(columns=column)}


def _raw(table: str, data: Callable[[Tables], bytes]) -> Change:
    return lambda tables: {table: data(tables)}


def _delimited(table: str, separator: str) -> Change:
    return _raw(table, lambda t: t[table].to_csv(index=False, sep=separator, lineterminator="\n").encode())


def _append(table: str, row: dict) -> Change:
    return lambda tables: {table: pd.concat([tables[table], pd.DataFrame([row])], ignore_index=True).fillna("")}


def _death_before(column_table: str, column: str) -> Change:
    """The first dead patient's death date set one day before ``column`` of that patient."""
    def change(tables: Tables) -> dict:
        follow_up = tables["follow_up"].copy()
        row = _dead_row(tables)
        patient = follow_up["patient_id"].iloc[row]
        other = tables[column_table].set_index("patient_id")[column]
        day = (pd.Timestamp(other[patient]) - pd.Timedelta(days=1)).date().isoformat()
        follow_up.loc[follow_up.index[row], ["death_date", "last_contact_date"]] = day
        return {"follow_up": follow_up}
    return change


def _progression_at(offset_days: int, anchor: str) -> Change:
    """A progression of the first dead patient ``offset_days`` after their ``anchor`` date."""
    def change(tables: Tables) -> dict:
        row = _dead_row(tables)
        patient = tables["follow_up"]["patient_id"].iloc[row]
        dates = {**tables["follow_up"].set_index("patient_id").loc[patient].to_dict(),
                 **tables["car_t"].set_index("patient_id").loc[patient].to_dict()}
        day = (pd.Timestamp(dates[anchor]) + pd.Timedelta(days=offset_days)).date().isoformat()
        return _append("progressions", {"patient_id": patient, "progression_date": day})(tables)
    return change


def cases(tables: Tables) -> list[Case]:
    """Every case; ``tables`` is the base, for the patients the messages must name."""
    first = _patient(tables, "patients", 0)
    car_t_3 = _patient(tables, "car_t", 3)
    dead = tables["follow_up"]["patient_id"].iloc[_dead_row(tables)]
    utf16 = _raw("follow_up", lambda t: t["follow_up"].to_csv(index=False).encode("utf-16"))
    return [
        Case("empty-file", "patients.csv has no bytes at all", _raw("patients", lambda t: b""),
             ("patients.csv", "the file is empty")),
        Case("header-only", "patients.csv has its header and no rows", lambda t: {"patients": t["patients"].head(0)},
             ("patients.csv", "no patients")),
        Case("wrong-encoding", "follow_up.csv saved as UTF-16 (a spreadsheet's 'Unicode text')", utf16,
             ("follow_up.csv", "not utf-8 text", "data.encoding")),
        Case("wrong-delimiter", "car_t.csv separated by semicolons", _delimited("car_t", ";"),
             ("car_t.csv", "separated by ';'", "data.delimiter")),
        Case("tab-delimited", "diagnoses.csv separated by tabs", _delimited("diagnoses", "\t"),
             ("diagnoses.csv", "separated by a tab")),
        Case("binary-garbage", "biopsies.csv replaced by binary bytes",
             _raw("biopsies", lambda t: bytes(range(256)) * 4), ("biopsies.csv", "not utf-8 text")),
        Case("missing-file", "toxicities.csv is not in the export", lambda t: {}, ("toxicities.csv", "missing"),
             remove=("toxicities.csv",)),
        Case("missing-column", "follow_up.csv lacks its death_date column", _drop_column("follow_up", "death_date"),
             ("follow_up.csv", "column death_date", "required column is missing")),
        Case("billion-day-follow-up", "last contact in the year 2740000: a follow-up of about a billion days",
             _set("follow_up", 0, "last_contact_date", "2740000-01-01"),
             ("follow_up.csv", first, "last_contact_date", "not a date in YYYY-MM-DD form")),
        Case("far-future-follow-up", "last contact on 9999-12-31 (about 2.9 million days of follow-up)",
             _set("follow_up", 0, "last_contact_date", "9999-12-31"),
             ("follow_up.csv", first, "last_contact_date", "implausible date")),
        Case("future-date", "last contact in 2150, after the data's reference date",
             _set("follow_up", 0, "last_contact_date", "2150-06-01"),
             ("follow_up.csv", first, "last_contact_date", "after the data's reference date")),
        Case("negative-survival-time", "a death one day before the CAR T infusion (a negative time)",
             _death_before("car_t", "infusion_date"), ("follow_up.csv", dead, "death before CAR T infusion")),
        Case("text-in-numeric-column", "ECOG written as a word", _set("car_t", 3, "ecog", "two"),
             ("car_t.csv", car_t_3, "ecog", "not a whole number", "'two'")),
        Case("decimal-in-whole-number", "CAR T line 2.5", _set("car_t", 3, "car_t_line", "2.5"),
             ("car_t.csv", car_t_3, "car_t_line", "not a whole number")),
        Case("huge-number", "an HCT-CI score of a billion", _set("car_t", 3, "hctci_score", "1e9"),
             ("car_t.csv", car_t_3, "hctci_score", "outside the plausible range")),
        Case("grade-out-of-range", "CRS grade 7", _set("toxicities", 0, "crs_grade", "7"),
             ("toxicities.csv", first, "crs_grade", "outside the plausible range 0 to 5")),
        Case("negative-grade", "ICANS grade -1", _set("toxicities", 0, "icans_grade", "-1"),
             ("toxicities.csv", first, "icans_grade", "outside the plausible range")),
        Case("html-and-jinja-in-a-code", "histology holds markup and template syntax",
             _set("diagnoses", 0, "histology", HOSTILE), ("diagnoses.csv", first, "histology", "unknown code", HOSTILE)),
        Case("html-and-jinja-in-a-date", "a date holds markup and template syntax",
             _set("car_t", 3, "infusion_date", HOSTILE), ("car_t.csv", car_t_3, "infusion_date", HOSTILE)),
        Case("day-first-date", "a date written 31/12/2020", _set("car_t", 3, "infusion_date", "31/12/2020"),
             ("car_t.csv", car_t_3, "infusion_date", "not a date in YYYY-MM-DD form")),
        Case("impossible-calendar-date", "30 February", _set("diagnoses", 0, "diagnosis_date", "2019-02-30"),
             ("diagnoses.csv", first, "diagnosis_date", "not a calendar date")),
        Case("duplicate-patient", "the first patient twice in patients.csv",
             lambda t: {"patients": pd.concat([t["patients"], t["patients"].head(1)], ignore_index=True)},
             ("patients.csv", first, "duplicate patient")),
        Case("orphan-record", "a progression of a patient who is not in patients.csv",
             _append("progressions", {"patient_id": "SYN-99999", "progression_date": "2022-01-01"}),
             ("progressions.csv", "SYN-99999", "not in patients.csv")),
        Case("patient-without-follow-up", "the first patient has no follow-up record",
             lambda t: {"follow_up": t["follow_up"].iloc[1:]}, ("follow_up.csv", first, "no record in this table")),
        Case("unknown-code", "sex coded X", _set("patients", 0, "sex", "X"),
             ("patients.csv", first, "sex", "unknown code", "'X'")),
        Case("implausible-age", "born in 1915, treated at over 100",
             _set("patients", 0, "birth_date", "1915-01-01"),
             ("patients.csv", first, "birth_date", "implausible age at CAR T infusion")),
        Case("progression-before-infusion", "a progression the day before CAR T",
             _progression_at(-1, "infusion_date"), ("progressions.csv", dead, "progression before CAR T infusion")),
        Case("progression-after-death", "a progression ten days after death",
             _progression_at(10, "death_date"), ("progressions.csv", dead, "progression after death")),
        Case("treatment-after-death", "a post-CAR T line starting after death",
             lambda t: _append("treatment_lines", {
                 "patient_id": dead, "line_number": "29", "regimen": "OTHER", "role": "post_car_t",
                 "start_date": (pd.Timestamp(t["follow_up"].set_index("patient_id").at[dead, "death_date"])
                                + pd.Timedelta(days=5)).date().isoformat(),
                 "autologous_transplant": "N"})(t),
             ("treatment_lines.csv", dead, "treatment starts after death")),
        Case("dead-without-death-date", "vital status dead, death date empty",
             _set("follow_up", _dead_row(tables), "death_date", ""),
             ("follow_up.csv", dead, "death_date", "vital status is dead but the death date is empty")),
        Case("alive-with-death-date", "vital status alive with a death date",
             _set("follow_up", _dead_row(tables), "vital_status", "alive"),
             ("follow_up.csv", dead, "a death date is given but the vital status is alive")),
        Case("required-value-empty", "an empty infusion date", _set("car_t", 3, "infusion_date", ""),
             ("car_t.csv", car_t_3, "infusion_date", "value is required but empty")),
        Case("flag-not-y-or-n", "tocilizumab given as 'yes'", _set("toxicities", 0, "tocilizumab", "yes"),
             ("toxicities.csv", first, "tocilizumab", "not a flag (Y or N)")),
        Case("response-before-infusion", "best response to CAR T dated before the infusion",
             _set("car_t", 3, "best_response_date", "2000-01-01"),
             ("car_t.csv", car_t_3, "best_response_date", "dated before the infusion")),
        Case("quoted-newline-in-a-code", "a code with a newline inside quotes", _set("car_t", 3, "product", "axi-\ncel"),
             ("car_t.csv", car_t_3, "product", "unknown code")),
        Case("three-faults-in-three-files", "an unknown code, a bad date and a missing record, reported together",
             _combine(_set("patients", 0, "sex", "X"), _set("car_t", 3, "infusion_date", "2021/01/01"),
                      lambda t: {"toxicities": t["toxicities"].iloc[1:]}),
             ("patients.csv", "car_t.csv", "toxicities.csv", "unknown code", "not a date", "no record")),
        Case("missing-column-and-bad-value", "a missing column in one file, a bad grade in another",
             _combine(_drop_column("biopsies", "cd19_ihc"), _set("toxicities", 0, "crs_grade", "9")),
             ("biopsies.csv", "cd19_ihc", "toxicities.csv", "crs_grade")),
        Case("excel-style-csv", "a UTF-8 byte-order mark and CRLF line ends, as spreadsheets save CSV: accepted",
             _raw("patients", lambda t: b"\xef\xbb\xbf" + t["patients"].to_csv(index=False, lineterminator="\r\n")
                  .encode()), ("0 error(s)",), status=0),
        Case("markup-in-an-extra-column", "an extra free-text column with markup, template syntax and a quoted "
             "newline: ignored, never rendered", lambda t: {"follow_up": t["follow_up"].assign(
                 notes=[f"{HOSTILE}\nsee chart" if i == 0 else "" for i in range(len(t["follow_up"]))])},
             ("0 error(s)",), status=0),
        Case("warning-young-patient", "a patient aged 16 at infusion: a warning, not an error",
             lambda t: _set("patients", 0, "birth_date", (pd.Timestamp(
                 t["car_t"].set_index("patient_id").at[first, "infusion_date"]) - pd.DateOffset(years=16))
                 .date().isoformat())(t),
             ("0 error(s), 1 warning(s)", "younger than 18 at CAR T infusion"), status=0),
    ]


def main() -> None:
    ids = sorted(pd.read_csv(SOURCE / "patients.csv", dtype=str)["patient_id"])[:PATIENTS]
    base = HERE / "base"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    tables: Tables = {}
    for path in sorted(SOURCE.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        tables[path.stem] = frame[frame["patient_id"].isin(ids)].reset_index(drop=True)
        (base / path.name).write_bytes(_csv(tables[path.stem]))
    folder = HERE / "cases"
    shutil.rmtree(folder, ignore_errors=True)
    for case in cases(tables):
        where = folder / case.name
        where.mkdir(parents=True)
        for name, data in case.change(tables).items():
            (where / f"{name}.csv").write_bytes(data if isinstance(data, bytes) else _csv(data))
        record = {"fault": case.fault, "status": case.status, "expect": list(case.expect),
                  "remove": list(case.remove)}
        (where / "case.yaml").write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"{len(cases(tables))} cases in {folder.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
