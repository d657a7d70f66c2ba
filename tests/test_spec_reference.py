"""The spec reference (``reportgen spec --help-keys``, docs/spec-reference.md): generated from the spec's own
dataclasses, so it covers every key, and committed, so it must equal what the code generates."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from pathlib import Path

import pytest

from reportgen import spec as spec_module
from reportgen.cli import main
from reportgen.spec import StudySpec, _build, _parsed_yaml
from reportgen.spec_reference import (
    ALLOWED_VALUES,
    REGENERATE,
    field_descriptions,
    reference_markdown,
    reference_sections,
    reference_text,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "spec-reference.md"
#: The constants of allowed values the spec checks a field against (module constants of reportgen.spec).
CHOICES = ("SET_RULES", "ENDPOINT_KINDS", "VARIABLE_TYPES", "STATISTICS", "KM_CONF_TYPES", "SOURCES",
           "WEIGHT_SCHEMES", "DATA_FORMS", "TIME_UNITS")
#: Constants of reportgen.spec that are not a field's allowed values: the registry-only subset of SET_RULES.
NOT_CHOICES = ("REGISTRY_SET_RULES",)
#: Dataclasses of reportgen.spec that no key of study.yaml reads (``references`` maps keys to plain text).
NOT_KEYS = ("Reference",)


def _spec_dataclasses() -> list[type]:
    return [cls for _, cls in inspect.getmembers(spec_module, inspect.isclass)
            if dataclasses.is_dataclass(cls) and cls.__module__ == spec_module.__name__]


def _keys(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def _markdown_sections(text: str) -> dict[str, str]:
    """The Markdown reference cut at its '## ' headings: title → the section's text."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_every_field_of_every_spec_dataclass_has_a_one_line_attribute_docstring() -> None:
    """Read from reportgen/spec.py's source with ast (not from the classes), beside each field."""
    descriptions = field_descriptions()
    missing = [f"{cls.__name__}.{f.name}" for cls in _spec_dataclasses() for f in dataclasses.fields(cls)
               if not descriptions.get((cls.__name__, f.name), "").strip()]
    assert not missing, f"fields without an attribute docstring in reportgen/spec.py: {', '.join(missing)}"
    assert all("\n" not in text for text in descriptions.values())


def test_the_reference_has_a_section_for_every_spec_dataclass() -> None:
    documented = {section.name for section in reference_sections()}
    assert documented == {cls.__name__ for cls in _spec_dataclasses()} - set(NOT_KEYS)
    assert reference_sections()[0].name == "StudySpec"
    assert len({section.title for section in reference_sections()}) == len(reference_sections())


def test_every_key_appears_in_the_markdown_reference_with_a_description() -> None:
    sections = _markdown_sections(reference_markdown())
    by_name = {cls.__name__: cls for cls in _spec_dataclasses()}
    for section in reference_sections():
        text = sections[section.title]
        for f in _keys(by_name[section.name]):
            row = re.search(rf"^\| `{f.name}` \|(.*)\|$", text, flags=re.M)
            assert row, f"{section.title}: no row for {f.name}"
            description = row.group(1).split(" | ")[-1].strip()
            assert description, f"{section.title}.{f.name}: empty description"
        internal = [f.name for f in dataclasses.fields(by_name[section.name]) if f.metadata.get("internal")]
        assert not any(re.search(rf"^\| `{name}` \|", text, flags=re.M) for name in internal)


def test_every_key_appears_in_the_text_reference_under_its_full_place() -> None:
    text = reference_text()
    for line in ("  endpoints.<name>.kind  text, default '' — one of pfs, os, pfs2, os2, dor2:",
                 "  data.source  text, default 'csv' — one of csv, parquet, excel, xpt, sas7bdat, sql:",
                 "  variables.<name>.statistics  list of text, default ['median_range'] — each one of median_range,",
                 "  comparisons.<name>.{treated,control}.regimens  list of text, default []:",
                 "  authors[].name  text, required:",
                 "  analysis_sets  mapping of name → Analysis set, required:",
                 "  conventions  Conventions, default its keys' defaults:"):
        assert line in text
    for section in reference_sections():
        for key in section.keys:
            assert f"  {key.path}  " in text


def test_every_constant_of_allowed_values_is_in_the_table() -> None:
    used = [id(values) for values in ALLOWED_VALUES.values()]
    for name in CHOICES:
        assert id(getattr(spec_module, name)) in used, f"{name} is not in spec_reference.ALLOWED_VALUES"
    # a new constant of choices in reportgen.spec must be mapped to its field (or listed in NOT_CHOICES)
    constants = [name for name, value in vars(spec_module).items()
                 if name.isupper() and isinstance(value, (tuple, dict)) and value
                 and all(isinstance(item, str) for item in value)]
    assert sorted(constants) == sorted((*CHOICES, *NOT_CHOICES))


def test_allowed_values_name_real_fields_and_hold_their_defaults() -> None:
    classes = {cls.__name__: cls for cls in _spec_dataclasses()}
    for (class_name, name), values in ALLOWED_VALUES.items():
        (f,) = [f for f in dataclasses.fields(classes[class_name]) if f.name == name]
        default = f.default if f.default is not dataclasses.MISSING else None
        for value in (default if isinstance(default, tuple) else (default,)):
            assert value in (None, "") or value in values, f"{class_name}.{name}: default {value!r} not allowed"


def test_the_examples_are_the_example_studies_first_entries_and_valid() -> None:
    registry = _parsed_yaml((ROOT / "examples" / "tafa-len" / "study.yaml").read_text(encoding="utf-8"))
    ready = _parsed_yaml((ROOT / "examples" / "gbsg2" / "study.yaml").read_text(encoding="utf-8"))
    sections = {section.name: section for section in reference_sections()}
    (first, entry), *_ = registry["endpoints"].items()
    assert sections["Endpoint"].examples[0].value == {"endpoints": {first: entry}}
    assert sections["DataSource"].examples[1].value == {"data": ready["data"]}
    assert sections["StudySpec"].examples[0].value["affiliations"] == registry["affiliations"][:1]
    hints = {cls.__name__: cls for cls in _spec_dataclasses()}
    for section in reference_sections()[1:]:
        for example in section.examples:
            value = example.value
            while not (isinstance(value, dict) and set(value) <= {f.name for f in _keys(hints[section.name])}):
                value = value[0] if isinstance(value, list) else next(iter(value.values()))
            _build(hints[section.name], value, "")  # the spec reader accepts it


def test_examples_print_as_yaml_that_reads_back() -> None:
    markdown = reference_markdown()
    blocks = re.findall(r"```yaml\n(.*?)```", markdown, flags=re.S)
    assert len(blocks) >= len(reference_sections()) - 1
    for block in blocks:
        assert isinstance(_parsed_yaml(block), dict)


def test_the_committed_docs_are_the_generated_reference() -> None:
    assert DOCS.read_text(encoding="utf-8") == reference_markdown(), (
        f"docs/spec-reference.md is stale: regenerate it with `{REGENERATE}`")
    assert REGENERATE in DOCS.read_text(encoding="utf-8").splitlines()[2]


def test_the_cli_prints_the_reference(capsys) -> None:
    assert main(["spec", "--help-keys"]) == 0
    assert capsys.readouterr().out == reference_text()
    assert main(["spec", "--help-keys", "--markdown"]) == 0
    assert capsys.readouterr().out == DOCS.read_text(encoding="utf-8")


def test_the_cli_narrows_to_one_section(capsys) -> None:
    assert main(["spec", "--help-keys", "comparisons"]) == 0
    out = capsys.readouterr().out
    assert "comparisons.<name>.scheme" in out and "comparisons.<name>.sensitivity.<name>.label" in out
    assert "endpoints.<name>" not in out
    assert main(["spec", "--help-keys", "references", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| `references` |" in out and "| `study` |" not in out and "austin2015:" in out


def test_an_unknown_section_names_the_nearest(capsys) -> None:
    assert main(["spec", "--help-keys", "endpoint"]) == 1
    assert "did you mean 'endpoints'?" in capsys.readouterr().err
    assert main(["spec"]) == 2
    assert "--help-keys" in capsys.readouterr().err


@pytest.mark.parametrize("annotation, words", [
    (str, "text"), (int, "whole number"), (float, "number"), (bool, "true/false"),
    (tuple[float, ...], "list of numbers"), (dict[str, tuple[str, ...]], "mapping of name → list of text"),
])
def test_types_read_in_a_users_words(annotation, words) -> None:
    from reportgen.spec_reference import _type_words

    assert _type_words(annotation, lambda cls: cls.__name__) == words


def test_every_top_level_type_is_described() -> None:
    hints = typing.get_type_hints(StudySpec)
    (top,) = [section for section in reference_sections() if section.name == "StudySpec"]
    assert [key.name for key in top.keys] == [f.name for f in _keys(StudySpec)]
    assert all(key.annotation == hints[key.name] for key in top.keys)
