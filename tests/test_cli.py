"""The command line as a user meets it: progress, outputs, readable errors, nothing lost."""

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from reportgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tafa-len"


@pytest.fixture
def study(tmp_path) -> Path:
    """A copy of the example study with its own copy of the registry export."""
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("output"))
    shutil.copytree(ROOT / "examples" / "synthetic-registry" / "data", tmp_path / "data")
    spec = folder / "study.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("../synthetic-registry/data", "../data"),
                    encoding="utf-8")
    return folder


def test_build_writes_outputs_and_reports_progress(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(study), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "computing statistics" in captured.err
    assert "manuscript.pdf" in captured.out
    assert {p.name for p in out.iterdir()} >= {"manuscript.pdf", "manuscript.docx", "results.json", "figures"}
    assert not list(tmp_path.glob(".reportgen-build-*")), "scratch folder left behind"


def test_supplement_only_rebuild_on_unlocked_data_then_diff(study, tmp_path, capsys):
    """After a death date moves and the lock is dropped: the supplement alone is rebuilt,
    stamped DRAFT on every page, the manuscript left as it was; diff lists what moved."""
    out, before = tmp_path / "out", tmp_path / "before"
    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 0
    shutil.copytree(out, before)
    follow_up = tmp_path / "data" / "follow_up.csv"
    frame = pd.read_csv(follow_up, dtype=str, keep_default_na=False)
    row = frame["patient_id"] == "SYN-00241"
    frame.loc[row, ["death_date", "last_contact_date"]] = "2024-03-01"
    frame.to_csv(follow_up, index=False)
    spec = study / "study.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("  lock: ../data/lock.json\n", ""), encoding="utf-8")

    assert main(["build", str(study), "--out", str(out), "--only", "supplement"]) == 0
    assert "not locked" in capsys.readouterr().err
    for name in ("manuscript.pdf", "manuscript.docx"):
        assert (out / name).read_bytes() == (before / name).read_bytes()
    assert (out / "supplement.pdf").read_bytes() != (before / "supplement.pdf").read_bytes()
    pages = PdfReader(str(out / "supplement.pdf")).pages
    assert all("DRAFT — UNLOCKED DATA" in page.extract_text() for page in pages)
    outputs = json.loads((out / "provenance.json").read_text())["outputs"]
    assert outputs["manuscript.pdf"] == hashlib.sha256((out / "manuscript.pdf").read_bytes()).hexdigest()

    assert main(["diff", str(before), str(out), "--out", str(tmp_path / "report")]) == 0
    listing = capsys.readouterr().out
    assert "(unlocked data)" in listing and "follow_up.csv" in listing
    assert "os2.at_risk.9: 5 → 6" in listing and "pfs2.median" not in listing
    report = PdfReader(str(tmp_path / "report" / "diff.pdf"))
    assert "Numbers that changed" in "".join(page.extract_text() for page in report.pages)
    assert (tmp_path / "report" / "diff.html").read_text(encoding="utf-8").count("os2.at_risk.9") == 1

    # a draft is not sent for review
    (tmp_path / "reviewers.txt").write_text("Dr Ana Example\n", encoding="utf-8")
    assert main(["review", str(out), "--reviewers", str(tmp_path / "reviewers.txt")]) == 1
    assert "unlocked data" in capsys.readouterr().err and not (out / "review").exists()


def test_bad_data_fails_readably_and_keeps_earlier_outputs(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    car_t = tmp_path / "data" / "car_t.csv"
    frame = pd.read_csv(car_t, dtype=str, keep_default_na=False)
    patient = frame.loc[3, "patient_id"]
    frame.loc[3, "infusion_date"] = "31/02/2022"
    frame.to_csv(car_t, index=False)

    # under its lock, the changed export is refused, the file named
    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "car_t.csv has changed since the lock" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before

    # locked again, the bad value fails validation, the patient and the column named
    assert main(["lock", str(tmp_path / "data"), "--name", "relocked", "--date", "2026-11-30"]) == 0
    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "car_t.csv" in err and patient in err and "infusion_date" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not list(tmp_path.glob(".reportgen-build-*"))


def test_unknown_results_key_in_a_template_is_named(study, tmp_path, capsys):
    template = study / "templates" / "manuscript.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + '\n{{ count("pfs2.medain") }}\n', encoding="utf-8")
    assert main(["build", str(study), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "'pfs2.medain'" in err and "manuscript.md.j2" in err
    assert not (tmp_path / "out").exists()


def test_spec_error_exit_code_and_traceback_flag(study, tmp_path, capsys):
    spec = study / "study.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("conf_level:", "conf_levl:"), encoding="utf-8")
    assert main(["build", str(study), "--out", str(tmp_path / "out")]) == 1
    assert "did you mean 'conf_level'" in capsys.readouterr().err
    from reportgen.errors import SpecError

    with pytest.raises(SpecError):
        main(["--traceback", "build", str(study), "--out", str(tmp_path / "out")])


def test_an_unwritable_output_is_a_readable_error(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "patients.csv").write_text("patient_id\nP1\n", encoding="utf-8")
    assert main(["lock", str(data), "--name", "v1", "--out", str(tmp_path / "missing" / "lock.json")]) == 1
    err = capsys.readouterr().err
    assert f"No such file or directory: {tmp_path / 'missing' / 'lock.json'}" in err and "Traceback" not in err
