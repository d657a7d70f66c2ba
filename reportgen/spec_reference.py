"""The study spec's reference, generated from the spec's own schema.

Every key of ``study.yaml`` is a field of a frozen dataclass of :mod:`reportgen.spec`
(``StudySpec`` and the classes it nests); ``_build`` reads a ``dict[str, X]`` as a
mapping of names the user chooses to X, and a ``tuple[X, ...]`` as a list. This module
walks those dataclasses and writes, one section per class, each key's place in the
file, its type in a user's words, its default, its allowed values and its one-line
description, with an example from the example studies:

- descriptions are the fields' attribute docstrings (the string literal on the line
  after a field, as Sphinx autodoc reads them), read with :mod:`ast` from the source
  of :mod:`reportgen.spec`, so they live beside the fields and work from a wheel too;
- allowed values come from the spec's constants, through :data:`ALLOWED_VALUES`;
- examples are the first entry of each section in ``examples/tafa-len/study.yaml``
  (a registry export) and, where a section's keys depend on the data's form,
  ``examples/gbsg2/study.yaml`` (analysis-ready data).

``reportgen spec --help-keys`` prints :func:`reference_text`; ``--markdown`` prints
:func:`reference_markdown`, committed as ``docs/spec-reference.md``.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import re
import textwrap
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import yaml

from reportgen import spec as spec_module
from reportgen.errors import SpecError
from reportgen.spec import (
    DATA_FORMS,
    ENDPOINT_KINDS,
    KM_CONF_TYPES,
    SET_RULES,
    SOURCES,
    STATISTICS,
    TIME_UNITS,
    VARIABLE_TYPES,
    WEIGHT_SCHEMES,
    AnalysisSet,
    DataSource,
    Endpoint,
    StudySpec,
    _parsed_yaml,
)
from reportgen.stats.descriptive import QUANTILE_DEFINITIONS

__all__ = ["ALLOWED_VALUES", "KeyDoc", "SectionDoc", "Example", "reference_sections", "reference_markdown",
           "reference_text", "field_descriptions"]

#: (class name, field) → the constant holding its allowed values (a dict's keys are the values).
ALLOWED_VALUES: dict[tuple[str, str], tuple[str, ...] | dict[str, Any]] = {
    ("DataSource", "source"): SOURCES,
    ("DataSource", "form"): DATA_FORMS,
    ("DataSource", "time_unit"): TIME_UNITS,
    ("Conventions", "km_conf_type"): KM_CONF_TYPES,
    ("Conventions", "quantile_definition"): QUANTILE_DEFINITIONS,
    ("AnalysisSet", "rule"): SET_RULES,
    ("Endpoint", "kind"): ENDPOINT_KINDS,
    ("Variable", "type"): VARIABLE_TYPES,
    ("Variable", "statistics"): STATISTICS,
    ("ComparisonSpec", "scheme"): WEIGHT_SCHEMES,
    ("SensitivitySpec", "scheme"): WEIGHT_SCHEMES,
}

#: Section titles where the class's name, split into words, would not do.
TITLES = {"StudySpec": "Top level", "StudyInfo": "Study"}

#: The example studies: (folder under examples/, what form of data it shows).
REGISTRY_EXAMPLE = ("tafa-len", "a registry export")
READY_EXAMPLE = ("gbsg2", "analysis-ready data")
#: The sections whose keys depend on the data's form: they show an analysis-ready example too.
READY_SECTIONS = (DataSource, AnalysisSet, Endpoint)

REGENERATE = "reportgen spec --help-keys --markdown > docs/spec-reference.md"
INTRO = ("Every key of a study's `study.yaml`, section by section: its type, its default (\"required\" when it "
         "has none), its allowed values and what it does. In a key's place, `<name>` stands for a name you "
         "choose (a key of a mapping) and `[]` for each item of a list. A key that is not listed here is an "
         "error, and so is a value that is not of the key's type.")

NO_EXAMPLE = "No example study sets these keys: each takes its default."

_ITEM = object()  # an example path's step into a list's item


@dataclass(frozen=True)
class KeyDoc:
    """One key of a section: its name and full place, type, default (None: required), allowed values."""

    name: str
    path: str
    annotation: Any
    default: Any
    required: bool
    allowed: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Example:
    """A section's example: the first entry of the section in an example study, nested under its place."""

    source: str
    form: str
    value: Any


@dataclass(frozen=True)
class SectionDoc:
    """One spec dataclass: its title, where it sits in the file, its docstring, keys and examples."""

    name: str
    title: str
    places: tuple[str, ...]
    summary: str
    keys: tuple[KeyDoc, ...]
    examples: tuple[Example, ...]

    @property
    def place(self) -> str:
        """The places as one: ``comparisons.<name>.{treated,control}``; the top level is empty."""
        return _merged(self.places)


def _keys(cls: type) -> tuple[dataclasses.Field, ...]:
    """A spec dataclass's keys: its fields but the internal ones."""
    return tuple(f for f in dataclasses.fields(cls) if not f.metadata.get("internal"))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _merged(places: tuple[str, ...]) -> str:
    """Places that differ in one step written as one, the step in braces; others joined with ' | '."""
    if len(places) == 1:
        return places[0]
    steps = [place.split(".") for place in places]
    if len({len(s) for s in steps}) == 1:
        differ = [i for i in range(len(steps[0])) if len({s[i] for s in steps}) > 1]
        if len(differ) == 1:
            merged = list(steps[0])
            merged[differ[0]] = "{" + ",".join(s[differ[0]] for s in steps) + "}"
            return ".".join(merged)
    return " | ".join(places)


def _nested_dataclass(annotation: Any) -> type | None:
    """The dataclass an annotation holds (itself, or inside lists and mappings), if any."""
    if dataclasses.is_dataclass(annotation):
        return annotation
    args = typing.get_args(annotation)
    return _nested_dataclass(args[-1] if typing.get_origin(annotation) is dict else args[0]) if args else None


@lru_cache(maxsize=1)
def _parsed_module() -> ast.Module:
    return ast.parse(inspect.getsource(spec_module))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def field_descriptions() -> dict[tuple[str, str], str]:
    """(class name, field) → the field's attribute docstring, on one line, for every class of reportgen.spec."""
    found = {}
    for node in _parsed_module().body:
        if not isinstance(node, ast.ClassDef):
            continue
        for statement, following in zip(node.body, node.body[1:]):
            if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                    and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)):
                found[(node.name, statement.target.id)] = _one_line(following.value.value)
    return found


def _class_docstrings() -> dict[str, str]:
    return {node.name: ast.get_docstring(node) or "" for node in _parsed_module().body
            if isinstance(node, ast.ClassDef)}


def _title(cls: type) -> str:
    return TITLES.get(cls.__name__) or " ".join(re.findall(r"[A-Z][a-z]*", cls.__name__.removesuffix("Spec"))
                                                ).capitalize()


def _places(root: type) -> dict[type, list[str]]:
    """Every spec dataclass under ``root``, in the order of first appearance, with its places in the file."""
    places: dict[type, list[str]] = {}

    def visit(cls: type, prefix: str) -> None:
        places.setdefault(cls, []).append(prefix)
        hints = typing.get_type_hints(cls)
        for f in _keys(cls):
            walk(hints[f.name], _join(prefix, f.name))

    def walk(annotation: Any, path: str) -> None:
        if dataclasses.is_dataclass(annotation):
            visit(annotation, path)
        elif typing.get_origin(annotation) is dict:
            walk(typing.get_args(annotation)[1], f"{path}.<name>")
        elif typing.get_origin(annotation) is tuple:
            walk(typing.get_args(annotation)[0], f"{path}[]")

    visit(root, "")
    return places


def _first_entries(raw: Any) -> dict[type, tuple[tuple[Any, ...], Any]]:
    """For each spec dataclass, the first YAML mapping of a loaded spec that becomes one, with its path."""
    found: dict[type, tuple[tuple[Any, ...], Any]] = {}

    def walk(annotation: Any, value: Any, path: tuple[Any, ...]) -> None:
        origin = typing.get_origin(annotation)
        if dataclasses.is_dataclass(annotation) and isinstance(value, dict):
            found.setdefault(annotation, (path, value))
            hints = typing.get_type_hints(annotation)
            for f in _keys(annotation):
                if f.name in value:
                    walk(hints[f.name], value[f.name], (*path, f.name))
        elif origin is dict and isinstance(value, dict):
            for key, item in value.items():
                walk(typing.get_args(annotation)[1], item, (*path, key))
        elif origin is tuple and isinstance(value, list):
            for item in value:
                walk(typing.get_args(annotation)[0], item, (*path, _ITEM))

    walk(StudySpec, raw, ())
    return found


def _nest(path: tuple[Any, ...], value: Any) -> Any:
    for step in reversed(path):
        value = [value] if step is _ITEM else {step: value}
    return value


def _first(value: Any) -> Any:
    """A list or mapping cut to its first entry."""
    if isinstance(value, list):
        return value[:1]
    if isinstance(value, dict):
        return dict(list(value.items())[:1])
    return value


def _example_spec(folder: str) -> Any:
    """An example study's spec as loaded YAML, read as the spec reader reads it; None when not found."""
    from reportgen.scaffold import EXAMPLES

    try:
        return _parsed_yaml((EXAMPLES / folder / "study.yaml").read_text(encoding="utf-8"))
    except OSError:
        return None


def _examples(cls: type, specs: dict[tuple[str, str], Any]) -> tuple[Example, ...]:
    """The section's first entry in the registry example (and the analysis-ready one, where they differ)."""
    examples = []
    for (folder, form), raw in specs.items():
        if raw is None or (form == READY_EXAMPLE[1] and cls not in READY_SECTIONS):
            continue
        if cls is StudySpec:  # the top level's own keys: those without a section of their own
            value = {f.name: _first(raw[f.name]) for f in _keys(StudySpec)
                     if f.name in raw and _nested_dataclass(typing.get_type_hints(StudySpec)[f.name]) is None}
        else:
            entry = _first_entries(raw).get(cls)
            value = _nest(*entry) if entry else None
        if value:
            examples.append(Example(f"examples/{folder}/study.yaml", form, value))
    return tuple(examples)


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


@lru_cache(maxsize=1)
def reference_sections() -> tuple[SectionDoc, ...]:
    """One section per spec dataclass, from ``StudySpec`` down, in the order the top level names them."""
    descriptions = field_descriptions()
    docstrings = _class_docstrings()
    specs = {example: _example_spec(example[0]) for example in (REGISTRY_EXAMPLE, READY_EXAMPLE)}
    sections = []
    for cls, places in _places(StudySpec).items():
        hints = typing.get_type_hints(cls)
        keys = []
        for f in _keys(cls):
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            allowed = ALLOWED_VALUES.get((cls.__name__, f.name), ())
            keys.append(KeyDoc(f.name, _join(_merged(tuple(places)), f.name), hints[f.name], _default(f), required,
                               tuple(allowed), descriptions.get((cls.__name__, f.name), "")))
        sections.append(SectionDoc(cls.__name__, _title(cls), tuple(places), docstrings.get(cls.__name__, ""),
                                   tuple(keys), _examples(cls, specs)))
    return tuple(sections)


def _narrowed(sections: tuple[SectionDoc, ...], key: str | None) -> tuple[SectionDoc, ...]:
    """The sections under the top-level key ``key`` (all when None); a key without a section of its own
    gives the top level's line for it."""
    if key is None:
        return sections
    top = sections[0]
    names = [k.name for k in top.keys]
    if key not in names:
        nearest = difflib.get_close_matches(key, names, n=1)
        hint = f"did you mean {nearest[0]!r}?" if nearest else f"sections: {', '.join(names)}"
        raise SpecError(f"spec --help-keys: no section {key!r}; {hint}")
    inside = tuple(s for s in sections[1:] if all(re.split(r"[.\[]", p)[0] == key for p in s.places))
    if inside:
        return inside
    examples = tuple(dataclasses.replace(e, value={key: e.value[key]}) for e in top.examples if key in e.value)
    return (dataclasses.replace(top, keys=tuple(k for k in top.keys if k.name == key), examples=examples),)


def _type_words(annotation: Any, section: Callable[[type], str]) -> str:
    """A type in a user's words: 'text', 'list of numbers', 'mapping of name → Endpoint'."""
    if dataclasses.is_dataclass(annotation):
        return section(annotation)
    origin = typing.get_origin(annotation)
    if origin is dict:
        return f"mapping of name → {_type_words(typing.get_args(annotation)[1], section)}"
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        plural = {str: "text", float: "numbers", int: "whole numbers", bool: "true/false values"}
        return f"list of {plural.get(item) or _type_words(item, section)}"
    return {str: "text", float: "number", int: "whole number", bool: "true/false"}[annotation]


def _literal(value: Any) -> str:
    """A default as written in YAML, text always quoted: 'csv', '', 0.95, false, [0, 3, 6], {}."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _default_words(key: KeyDoc) -> str | None:
    """The default in words: None for a required key."""
    if key.required:
        return None
    if dataclasses.is_dataclass(key.default):
        return "its keys' defaults"
    return _literal(key.default)


#: The longest list of plain values an example writes on one line (characters).
ONE_LINE = 160


class _ExampleDumper(yaml.SafeDumper):
    """Mappings in block style, lists of plain values on one line, no anchors for repeated values."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_ExampleDumper.add_representer(dict, lambda dumper, value: dumper.represent_mapping(
    "tag:yaml.org,2002:map", value, flow_style=False))
_ExampleDumper.add_representer(list, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=_on_one_line(value)))


def _on_one_line(items: list[Any]) -> bool:
    """A list of short plain values goes on one line: [CR, PR]; long texts one per line."""
    return (not any(isinstance(item, (dict, list)) for item in items)
            and sum(len(str(item)) + 2 for item in items) <= ONE_LINE)


def _example_yaml(example: Example) -> str:
    return yaml.dump(example.value, Dumper=_ExampleDumper, sort_keys=False, allow_unicode=True, width=10**6)


def _code_spans(text: str) -> str:
    """Sphinx's ``code`` written as Markdown's `code`."""
    return re.sub(r"``(.+?)``", r"`\1`", text)


# --- Markdown -----------------------------------------------------------------------------------------------


def _anchor(title: str) -> str:
    return "#" + re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def _md_cell(text: str) -> str:
    """Text for a Markdown table cell: `|` escaped, and '<' outside code spans as an entity."""
    parts = re.split(r"(`[^`]*`)", _code_spans(text))
    return "".join(part if part.startswith("`") else part.replace("<", "&lt;") for part in parts).replace("|", r"\|")


def _md_section(section: SectionDoc) -> list[str]:
    def link(cls: type) -> str:
        return f"[{_title(cls)}]({_anchor(_title(cls))})"

    lines = [f"## {section.title}", ""]
    lines += ["The keys at the top of `study.yaml`." if not section.place else f"Keys under `{section.place}`.", ""]
    if section.summary:
        lines += [_code_spans(section.summary), ""]
    lines += ["| key | type | default | allowed values | description |", "| --- | --- | --- | --- | --- |"]
    for key in section.keys:
        default = _default_words(key)
        if default is None or dataclasses.is_dataclass(key.default):
            default = default or "required"
        else:
            default = f"`{default}`"
        allowed = ", ".join(f"`{value}`" for value in key.allowed)
        if allowed and typing.get_origin(key.annotation) is tuple:
            allowed = f"each of {allowed}"
        lines.append(f"| `{key.name}` | {_type_words(key.annotation, link)} | {_md_cell(default)} | "
                     f"{_md_cell(allowed)} | {_md_cell(key.description)} |")
    for example in section.examples:
        lines += ["", f"Example, from `{example.source}` ({example.form}):", "", "```yaml",
                  _example_yaml(example).rstrip("\n"), "```"]
    if not section.examples:
        lines += ["", NO_EXAMPLE]
    return [*lines, ""]


def reference_markdown(section: str | None = None) -> str:
    """The reference as Markdown (``docs/spec-reference.md``); ``section``: one top-level key's sections only."""
    sections = _narrowed(reference_sections(), section)
    lines = []
    if section is None:
        lines += ["# Study spec reference", "",
                  f"> Generated from `reportgen/spec.py`; do not edit by hand. Regenerate with `{REGENERATE}`.", "",
                  INTRO, "",
                  "Sections: " + ", ".join(f"[{s.title}]({_anchor(s.title)})" for s in sections) + ".", ""]
    for item in sections:
        lines += _md_section(item)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- plain text ---------------------------------------------------------------------------------------------

WIDTH = 100


def _text_key(key: KeyDoc) -> str:
    default = _default_words(key)
    words = f"{_type_words(key.annotation, _title)}, {'required' if default is None else f'default {default}'}"
    if key.allowed:
        each = "each one of" if typing.get_origin(key.annotation) is tuple else "one of"
        words += f" — {each} {', '.join(key.allowed)}"
    return textwrap.fill(f"{key.path}  {words}: {_code_spans(key.description)}", WIDTH, initial_indent="  ",
                         subsequent_indent="      ", break_long_words=False, break_on_hyphens=False)


def _text_section(section: SectionDoc) -> list[str]:
    heading = section.title if not section.place else f"{section.title}: {section.place}"
    lines = [heading, "-" * len(heading)]
    if section.summary:
        lines += [_code_spans(section.summary), ""]
    lines += [_text_key(key) for key in section.keys]
    for example in section.examples:
        lines += ["", f"  Example, from {example.source} ({example.form}):",
                  textwrap.indent(_example_yaml(example).rstrip("\n"), "    ")]
    if not section.examples:
        lines += ["", f"  {NO_EXAMPLE}"]
    return [*lines, ""]


def reference_text(section: str | None = None) -> str:
    """The reference as plain text for a terminal (``reportgen spec --help-keys [SECTION]``)."""
    sections = _narrowed(reference_sections(), section)
    lines = []
    if section is None:
        lines += ["Study spec reference", "====================",
                  textwrap.fill(INTRO.replace("`", ""), WIDTH), "",
                  f"Generated from reportgen/spec.py; as Markdown: {REGENERATE}", ""]
    for item in sections:
        lines += _text_section(item)
    return "\n".join(lines).rstrip("\n") + "\n"
