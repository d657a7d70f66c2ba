"""The bad-input corpus (tests/bad_inputs): every broken export gets a clear message, the
right exit status, and leaves earlier outputs as they were.

For each case the export is the clean base with the case's files laid over it. Then
``reportgen validate`` must exit with the case's status and print what the case expects
(the file, the patient, the column, the value); a case that is an error must also stop
``reportgen build`` with the same facts on stderr, leaving the previous outputs intact.
Markup in the data is printed literally and escaped in the HTML report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from docx import Document as WordDocument
from pypdf import PdfReader

from example_study import example_copy
from reportgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "bad_inputs"
CASES = sorted(path.name for path in (CORPUS / "cases").iterdir())
HOSTILE = "<b>{{ 7*7 }}</b>"
PREVIOUS = {"manuscript.pdf": b"%PDF previous build", "results.json": b'{"previous": true}'}


def _export(tmp_path: Path, case: str) -> tuple[Path, dict]:
    folder = CORPUS / "cases" / case
    description = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    data = tmp_path / "data"
    shutil.copytree(CORPUS / "base", data)
    for file in folder.glob("*.csv"):
        shutil.copyfile(file, data / file.name)
    for name in description["remove"]:
        (data / name).unlink()
    return data, description


def test_the_corpus_is_large_and_each_case_says_what_is_wrong():
    assert len(CASES) >= 30
    for case in CASES:
        description = yaml.safe_load((CORPUS / "cases" / case / "case.yaml").read_text(encoding="utf-8"))
        assert description["fault"] and description["expect"] and description["status"] in (0, 1)


@pytest.mark.parametrize("case", CASES)
def test_a_broken_export_gives_a_clear_error_and_loses_nothing(case, tmp_path, capsys):
    data, description = _export(tmp_path, case)
    study = example_copy(tmp_path, data=data, locked=False)
    reports = tmp_path / "reports"

    status = main(["validate", str(study), "--out", str(reports)])
    printed = capsys.readouterr().out
    assert status == description["status"], printed
    for expected in description["expect"]:
        assert expected in printed, f"{case}: {expected!r} not in\n{printed}"
    html = (reports / "validation.html").read_text(encoding="utf-8")
    assert "<b>{{" not in html  # markup from the data is escaped, never live
    if HOSTILE in printed:
        assert "&lt;b&gt;{{ 7*7 }}&lt;/b&gt;" in html
    listed = pd.read_csv(reports / "validation.csv", dtype=str, keep_default_na=False)
    assert (listed["severity"] == "error").any() == (description["status"] == 1)
    if description["status"] == 0:
        return

    out = tmp_path / "out"
    out.mkdir()
    for name, content in PREVIOUS.items():
        (out / name).write_bytes(content)
    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 1
    message = capsys.readouterr().err
    for expected in description["expect"]:
        assert expected in message, f"{case}: {expected!r} not in\n{message}"
    assert "Traceback" not in message
    assert {path.name: path.read_bytes() for path in out.iterdir()} == PREVIOUS
    assert not list(tmp_path.glob(".reportgen-build-*")), "scratch folder left behind"


def test_accepted_oddities_build_in_full_with_the_warning_on_record(tmp_path, capsys):
    """The whole registry with a spreadsheet-saved patients.csv (BOM, CRLF), a free-text column
    of markup and template syntax, and a patient aged 16 at infusion: the build succeeds,
    the warning is in the log and on the provenance page (without the patient), and the
    free text appears nowhere."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "synthetic-registry" / "data", data, ignore=shutil.ignore_patterns("lock.json"))
    patients = pd.read_csv(data / "patients.csv", dtype=str, keep_default_na=False)
    car_t = pd.read_csv(data / "car_t.csv", dtype=str, keep_default_na=False).set_index("patient_id")
    young = patients["patient_id"].iloc[0]
    born = pd.Timestamp(car_t.at[young, "infusion_date"]) - pd.DateOffset(years=16)
    patients.loc[0, "birth_date"] = born.date().isoformat()
    (data / "patients.csv").write_bytes(b"\xef\xbb\xbf" + patients.to_csv(index=False, lineterminator="\r\n").encode())
    follow_up = pd.read_csv(data / "follow_up.csv", dtype=str, keep_default_na=False)
    follow_up["notes"] = f"{HOSTILE}\nfree text from the chart"
    follow_up.to_csv(data / "follow_up.csv", index=False)
    study = example_copy(tmp_path, data=data, locked=False)
    out = tmp_path / "out"

    assert main(["build", str(study), "--out", str(out)]) == 0
    log = capsys.readouterr().err
    assert f"warning: patients.csv, patient {young}, column birth_date: younger than 18 at CAR T infusion" in log
    record = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert record["data_warnings"] == {"patients.csv, column birth_date: younger than 18 at CAR T infusion": 1}
    supplement = "\n".join(page.extract_text() for page in PdfReader(str(out / "supplement.pdf")).pages)
    assert "younger than 18 at CAR T infusion" in supplement and young not in supplement
    words = "\n".join(p.text for p in WordDocument(str(out / "supplement.docx")).paragraphs)
    manuscript = "\n".join(page.extract_text() for page in PdfReader(str(out / "manuscript.pdf")).pages)
    for text in (supplement, manuscript, words, (out / "results.json").read_text(encoding="utf-8")):
        assert "7*7" not in text and "free text from the chart" not in text
