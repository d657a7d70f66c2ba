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
