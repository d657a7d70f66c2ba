"""Which figures a build draws: those its documents place, no more, and a clear error for one the
study does not define."""

from __future__ import annotations

import json

import pytest

from example_study import example_copy
from reportgen.build import build
from reportgen.errors import RenderError


def _edit(study, name: str, old: str, new: str) -> None:
    template = study / "templates" / f"{name}.md.j2"
    text = template.read_text(encoding="utf-8")
    assert old in text
    template.write_text(text.replace(old, new), encoding="utf-8")


def test_a_figure_no_document_places_is_not_drawn(tmp_path):
    study = example_copy(tmp_path)
    _edit(study, "supplement", '{{ figure("figure_dor2") }}', "")
    _edit(study, "manuscript", '; {{ ref("figure_dor2") }}', "")
    out = tmp_path / "out"
    build(study, out, workers=1, cache=False)
    drawn = {path.name for path in (out / "figures").iterdir()}
    assert "figure_dor2.png" not in drawn and "figure_dor2.svg" not in drawn
    assert {"flowchart.png", "figure_survival.png", "vs_len_survival.svg"} <= drawn
    # a result is shown where a placed table or figure (or the text) shows it, never under a bare key
    places = {place for places in json.loads((out / "shown_in.json").read_text())["shown_in"].values()
              for place in places}
    assert places and all(place.split()[0] in ("Table", "Figure", "Supplemental", "Manuscript", "Supplement")
                          for place in places), sorted(places)


def test_a_figure_the_study_does_not_define_is_named_with_those_it_does(tmp_path):
    study = example_copy(tmp_path)
    _edit(study, "supplement", '{{ figure("figure_dor2") }}', '{{ figure("figure_dor3") }}')
    with pytest.raises(RenderError, match=r"figure 'figure_dor3', which the study does not define \(known: .*"
                                          r"figure_dor2.*flowchart"):
        build(study, tmp_path / "out", workers=1, cache=False)
    assert not (tmp_path / "out").exists()
