"""The study spec: the example loads; mistakes are errors naming the key and a fix."""

from pathlib import Path

import pytest
import yaml

from reportgen.errors import SpecError
from reportgen.spec import load_spec

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len" / "study.yaml"


def _write(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_example_spec_loads():
    spec = load_spec(EXAMPLE.parent)
    assert spec.analysis_sets["tl_post"].regimen == "TAFA-LEN"
    assert spec.tables["table1"].variables[0] == "age"
    assert spec.conventions.km_conf_type == "log-log"
    assert spec.data_path.is_dir()


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path):
    def typo(raw):
        raw["tables"]["table1"]["variabels"] = raw["tables"]["table1"].pop("variables")

    with pytest.raises(SpecError, match=r"tables\.table1\.variabels: unknown key; did you mean 'variables'"):
        load_spec(_write(tmp_path, typo))


def _line(path: Path, text: str, after: int = 0) -> int:
    """The number (from 1) of the first line after line ``after`` of the file that holds ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if number > after and text in line)


def test_an_error_names_the_line_of_the_spec(tmp_path):
    """The line of the key that is wrong, or of the list item; a key that is missing points at its mapping."""
    typo = _write(tmp_path, lambda raw: raw["tables"]["table1"].__setitem__(
        "variabels", raw["tables"]["table1"].pop("variables")))
    with pytest.raises(SpecError) as raised:
        load_spec(typo)
    table1 = _line(typo, "table1:")
    assert f"study.yaml, line {_line(typo, 'variabels:', table1)}: tables.table1.variabels: unknown key" in str(raised.value)

    item = _write(tmp_path, lambda raw: raw["tables"]["table1"]["variables"].__setitem__(1, "sexx"))
    with pytest.raises(SpecError) as raised:
        load_spec(item)
    assert f"line {_line(item, '- sexx')}: tables.table1.variables[1]: unknown variable 'sexx'" in str(raised.value)

    missing = _write(tmp_path, lambda raw: raw["analysis_sets"]["tl_post"].pop("rule"))
    with pytest.raises(SpecError) as raised:
        load_spec(missing)
    assert f"line {_line(missing, 'tl_post:')}: analysis_sets.tl_post.rule: required key is missing" in str(raised.value)


def test_missing_required_key(tmp_path):
    with pytest.raises(SpecError, match=r"analysis_sets\.tl_post\.rule: required key is missing"):
        load_spec(_write(tmp_path, lambda raw: raw["analysis_sets"]["tl_post"].pop("rule")))


def test_reference_to_an_undeclared_variable(tmp_path):
    with pytest.raises(SpecError, match=r"tables\.table1\.variables\[0\]: unknown variable 'agee'; did you mean 'age'"):
        load_spec(_write(tmp_path, lambda raw: raw["tables"]["table1"]["variables"].__setitem__(0, "agee")))


def test_wrong_type_and_bad_choice(tmp_path):
    with pytest.raises(SpecError, match=r"conventions\.conf_level: expected a number"):
        load_spec(_write(tmp_path, lambda raw: raw["conventions"].__setitem__("conf_level", "high")))
    with pytest.raises(SpecError, match=r"km_conf_type: 'arcsine' is not one of"):
        load_spec(_write(tmp_path, lambda raw: raw["conventions"].__setitem__("km_conf_type", "arcsine")))


def test_unreadable_and_invalid_yaml(tmp_path):
    with pytest.raises(SpecError, match="cannot read the study spec"):
        load_spec(tmp_path / "nothing.yaml")
    bad = tmp_path / "study.yaml"
    bad.write_text("study:\n  title: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML") as raised:
        load_spec(bad)
    assert "line 2, column 10" in str(raised.value) and "    title: [unclosed\n             ^" in str(raised.value)
