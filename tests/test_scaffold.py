"""``reportgen init``: a new study folder that builds at once, its own style overriding the packaged one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.build import build, study_style
from reportgen.cli import main
from reportgen.format.style import TEMPLATES, HouseStyle
from reportgen.lock import read_lock, verify_lock
from reportgen.scaffold import ScaffoldError, init_study
from reportgen.spec import load_spec

A5_POINTS = (419.53, 595.28)


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("init") / "my-study"
    assert main(["init", str(folder)]) == 0
    return folder


def test_init_writes_a_spec_templates_a_style_and_data_with_its_readme(starter):
    assert (starter / "study.yaml").is_file()
    assert (starter / "templates" / "manuscript.md.j2").is_file()
    style = (starter / "templates" / "house.css").read_text(encoding="utf-8")
    assert style.endswith((TEMPLATES / "house.css").read_text(encoding="utf-8"))  # the packaged style, to edit
    readme = (starter / "data" / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "reportgen lock" in readme
    spec = load_spec(starter)
    assert spec.data_path == (starter / "data").resolve() and spec.study.synthetic
    verify_lock(read_lock(spec.lock_path), spec.data_path)  # the README is not part of the locked export


def test_the_new_study_builds_at_once(starter, tmp_path):
    outputs = build(starter, tmp_path / "out", workers=1, cache=False)
    names = {path.name for path in outputs.files}
    assert {"manuscript.pdf", "manuscript.docx", "results.json"} <= names
    results = {record["key"]: record for record in json.loads((tmp_path / "out" / "results.json").read_text())["results"]}
    assert results["os2.timing.hr"]["params"] == {"group": "late", "reference": "early"}
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert "house.css" in provenance["templates"]  # the study's own style, recorded


def test_the_study_style_overrides_the_packaged_one(starter, tmp_path):
    spec = load_spec(starter)
    assert study_style(HouseStyle(), spec).css == starter / "templates" / "house.css"
    assert study_style(HouseStyle(), spec).reference_docx == HouseStyle().reference_docx  # no study copy: packaged
    chosen = HouseStyle(css=tmp_path / "given.css")
    assert study_style(chosen, spec).css == chosen.css  # a style given its own file keeps it
    with (starter / "templates" / "house.css").open("a", encoding="utf-8") as css:
        css.write("\n@page { size: A5; }\n")
    build(starter, tmp_path / "out", workers=1, cache=False)
    page = PdfReader(tmp_path / "out" / "manuscript.pdf").pages[0].mediabox
    assert (float(page.width), float(page.height)) == pytest.approx(A5_POINTS, abs=0.1)


def test_init_from_the_analysis_ready_example_builds(tmp_path):
    init_study(tmp_path / "gbsg2", "gbsg2")
    assert (tmp_path / "gbsg2" / "data" / "gbsg2.csv").is_file()
    outputs = build(tmp_path / "gbsg2", tmp_path / "out", workers=1, cache=False)
    assert "report.pdf" in {path.name for path in outputs.files}


def test_init_from_the_whole_example_gives_a_locked_study(tmp_path):
    files = init_study(tmp_path / "copy", "example")
    spec = load_spec(tmp_path / "copy")
    verify_lock(read_lock(spec.lock_path), spec.data_path)
    assert {"manuscript.md.j2", "supplement.md.j2", "house.css"} <= {path.name for path in files}


def test_init_refuses_a_folder_that_holds_files_and_an_unknown_example(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    assert main(["init", str(tmp_path / "taken")]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
    with pytest.raises(ScaffoldError, match="no such example"):
        init_study(tmp_path / "new", "tutorial")
