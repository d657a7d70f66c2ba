"""Every number in the example's text has a source: the results store, or the study spec.

The documents are composed from the example study and every paragraph, heading,
list item and figure caption is scanned for numbers. A number passes only if it is
the house-style display of some record of the results store (a value, a confidence
limit, a percentage of its denominator, a P value), or if it sits in text the study
spec itself supplies (labels, names, titles, settings). Excepted by rule, not by
list: superscript runs (citation and affiliation numbers), the reference list,
table and figure labels ("Supplemental Table 4"), and years. A number typed into a
template, or computed outside the results store, fails with the sentence quoted.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from reportgen.build import analyse_study, study_documents
from reportgen.document.model import BulletList, Figure, Heading, Paragraph, Run
from reportgen.errors import RenderError
from reportgen.format.numbers import fmt_number, fmt_p_value, fmt_percent, fmt_proportion
from reportgen.format.style import HouseStyle
from reportgen.render.templates import render_template
from reportgen.format.text import TextFormatter
from reportgen.spec import load_spec

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len"
STYLE = HouseStyle()
NUMBER = re.compile(r"(?<![\w.])\.?\d+(?:\.\d+)?")
LABEL = re.compile(r"(?:Supplemental )?(?:Table|Figure) \d+")
YEAR = re.compile(r"^(19|20)\d\d$")


@pytest.fixture(scope="module")
def composed(tmp_path_factory):
    spec = load_spec(EXAMPLE)
    study = analyse_study(spec)
    documents = study_documents(spec, study, tmp_path_factory.mktemp("figures"), STYLE).documents
    return spec, study, documents


def _displays(value: float, n: int | None, statistic: str) -> set[str]:
    """Every way the house style can print one number of a record."""
    shown = {fmt_number(value, decimals, STYLE) for decimals in range(5)}
    shown |= {fmt_number(value, decimals, STYLE, drop_zeros=True) for decimals in range(1, 5)}
    if 0 <= value <= 1:
        shown |= {fmt_proportion(value, STYLE).rstrip("%"), fmt_p_value(value, STYLE).lstrip("<").strip()}
    if statistic == "count" and n:
        shown.add(fmt_percent(int(value), int(n), STYLE).rstrip("%"))
    return shown


def _sources(study) -> set[str]:
    sources: set[str] = set()
    for record in study.results.values():
        for number in (record.value, record.lower, record.upper, record.n):
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                sources |= _displays(float(number), record.n, record.statistic)
    return sources


def _spec_strings(value) -> list[str]:
    """Every text and number the spec holds (labels, names, settings), longest first."""
    found: list[str] = []
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            found += _spec_strings(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            found += [str(key), *_spec_strings(item)]
    elif isinstance(value, (list, tuple)):
        for item in value:
            found += _spec_strings(item)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, (int, float)):
        found.append(f"{value:g}")
    elif isinstance(value, str):
        found.append(value)
    return sorted(set(found), key=len, reverse=True)


def _text_blocks(blocks):
    """(where, runs) for every piece of running text; superscripts and reference entries left out."""
    for block in blocks:
        if isinstance(block, Paragraph) and block.role not in ("reference", "affiliations"):
            yield block.role, block.runs
        elif isinstance(block, Heading):
            yield "heading", block.runs
        elif isinstance(block, BulletList):
            for item in block.items:
                yield "list", item
        elif isinstance(block, Figure):
            yield "caption", (Run(block.title), *block.caption)


def _unsourced(documents, spec, sources: set[str]) -> list[str]:
    """Numbers without a source. Spec texts with words and digits ("≤ 6 months") are blanked
    out whole; the spec's bare numbers and level codes ("0-1") become sources themselves."""
    pieces = _spec_strings(spec)
    spec_texts = [piece for piece in pieces if re.search(r"[^\W\d_]", piece) and re.search(r"\d", piece)]
    sources = sources | {token for piece in pieces if not re.search(r"[^\W\d_]", piece)
                         for token in NUMBER.findall(piece)}
    problems = []
    for name, document in documents.items():
        for where, runs in _text_blocks(document.blocks):
            text = "".join(run.text for run in runs if not run.superscript)
            scanned = LABEL.sub(" ", text)
            for piece in spec_texts:
                scanned = scanned.replace(piece, " ")
            for token in NUMBER.findall(scanned):
                if token not in sources and not YEAR.match(token):
                    problems.append(f"{name} ({where}): {token!r} in: {text[:160]}")
    return problems


def test_every_number_in_the_text_comes_from_the_results_store(composed):
    spec, study, documents = composed
    scanned = sum(len(NUMBER.findall("".join(r.text for r in runs))) for d in documents.values()
                  for _, runs in _text_blocks(d.blocks))
    assert scanned > 150  # the check really reads the text
    problems = _unsourced(documents, spec, _sources(study))
    assert not problems, "\n".join(problems)


def test_a_typed_number_is_caught(composed):
    """The check can fail: a number that no record holds is reported with its sentence."""
    spec, study, documents = composed
    name, document = next(iter(documents.items()))
    planted = Paragraph((Run("The registry grew by 4817.3 patients."),))
    tampered = {name: dataclasses.replace(document, blocks=(*document.blocks, planted))}
    problems = _unsourced(tampered, spec, _sources(study))
    assert len(problems) == 1 and "'4817.3'" in problems[0]


def test_a_key_missing_from_the_store_fails_the_build_with_the_key_named(composed, tmp_path):
    spec, study, _ = composed
    (tmp_path / "bad.md.j2").write_text('Median: {{ median_ci("pfs3.median") }}', encoding="utf-8")
    with pytest.raises(RenderError, match=r"pfs3\.median"):
        render_template("bad.md.j2", (tmp_path,), TextFormatter(study.results, STYLE), {})


README = Path(__file__).resolve().parent.parent / "README.md"
README_ROW = re.compile(r"^\| `(\{\{ (?:count|percent|count_percent|median_ci|rate|rate_ci|rate_interval|p_value|"
                        r"hazard_ratio|median_quartiles)\(.*\}\})` \| `([^`]*)` \|$", re.MULTILINE)


def test_readme_template_examples_print_what_the_example_prints(composed, tmp_path):
    """The README's table of template calls shows the example study's real output."""
    _, study, _ = composed
    rows = README_ROW.findall(README.read_text(encoding="utf-8"))
    assert len(rows) >= 10
    for call, expected in rows:
        (tmp_path / "row.j2").write_text(call, encoding="utf-8")
        printed = render_template("row.j2", (tmp_path,), TextFormatter(study.results, STYLE), {})
        assert printed.replace("\u00a0", " ") == expected, call
