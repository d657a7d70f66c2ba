"""The study flowchart: files written at the right size, text kept as text, reproducible, valid trees only,
and a layout in which no two boxes overlap and every connector runs between boxes, never through one."""

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from reportgen.format.figures import save_figure
from reportgen.format.flowchart import (RC, MAX_WIDTH, FlowBox, Layout, Line, Rect, flowchart, layout,
                                        text_measure, wrap)

#: The example study's Figure 1: registry to the two analysis sets and their subsets.
REALISTIC = (
    FlowBox("registry", "Patients in the registry treated with CAR T cells\nn = 1562"),
    FlowBox("cohort", "L3+ cohort\nn = 1500", "registry", "Excluded (n = 62)\nCAR T-cell therapy in second line: 62"),
    FlowBox("progressed", "Progression after CAR T-cell therapy\nn = 859", "cohort",
            "Excluded (n = 641)\nNo progression: 641"),
    FlowBox("tl_pre", "TL-pre-CAR-T set\nn = 15", "cohort",
            "Excluded (n = 1485)\nTAFA-LEN not given before infusion: 1485"),
    FlowBox("treated", "Treated for first progression\nn = 479", "progressed",
            "Excluded (n = 380)\nNo treatment recorded: 380"),
    FlowBox("tl_post", "TL-post-CAR-T set\nn = 52", "treated",
            "Excluded (n = 427)\nFirst treatment other than TAFA-LEN: 427"),
    FlowBox("early", "Failure ≤ 6 months\nn = 42", "tl_post"),
    FlowBox("late", "Failure > 6 months\nn = 10", "tl_post"),
    FlowBox("evaluable", "Evaluable for response\nn = 11", "tl_pre", "Excluded (n = 4)\nNo response assessment: 4"),
)

#: Four siblings that each have a long, multi-line side box: too wide for the roomy layout at 8 pt.
WIDE = (
    FlowBox("root", "Treated for first progression after CAR T-cell therapy\nn = 479"),
    *(box for i, name in enumerate(("TAFA-LEN", "Polatuzumab vedotin with bendamustine and rituximab", "Glofitamab",
                                    "Radiotherapy"))
      for box in (FlowBox(f"arm{i}", f"{name}\nn = {10 + i}", "root",
                          f"Excluded (n = {100 + i})\nOther first treatment: {90 + i}\n"
                          "Missing date of progression or of start of treatment: 10"),
                  FlowBox(f"evaluable{i}", f"Evaluable\nn = {5 + i}", f"arm{i}"))),
)

#: A spine whose side boxes are taller than the boxes, and a lopsided branch off it.
DEEP = (
    FlowBox("a", "All\nn = 100"),
    FlowBox("b", "B\nn = 90", "a", "Excluded (n = 10)\nOne: 4\nTwo: 3\nThree: 2\nFour: 1"),
    FlowBox("c", "C\nn = 80", "b", "Excluded (n = 10)\nA reason that is long enough to be wrapped twice: 10"),
    FlowBox("d", "D\nn = 5", "b", "Excluded (n = 85)\nNot D: 85"),
    FlowBox("e", "E\nn = 70", "c", "Excluded (n = 10)\nE reason: 10"),
    FlowBox("f", "F, a wide box with a long label\nn = 3", "d"),
    FlowBox("g", "G\nn = 2", "d", "Excluded (n = 1)\nG reason: 1"),
    FlowBox("h", "H\nn = 60", "e"),
)

TREES = {"realistic": REALISTIC, "wide": WIDE, "deep": DEEP}


def char_measure(text: str) -> tuple[float, float]:
    """Estimate of 8-pt DejaVu Sans: 0.065 in per character of the longest line, 0.135 in per line."""
    lines = text.split("\n")
    return 0.065 * max(len(line) for line in lines), 0.135 * len(lines)


def wrapped(boxes: tuple[FlowBox, ...], main: int = 30, side: int = 40) -> tuple[FlowBox, ...]:
    return tuple(FlowBox(box.key, wrap(box.text, main), box.parent, wrap(box.exclusion, side)) for box in boxes)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> Path:
    return save_figure(flowchart(REALISTIC), tmp_path_factory.mktemp("flow") / "flowchart.png")


def svg_texts(svg: Path) -> list[ET.Element]:
    return [element for element in ET.parse(svg).iter() if element.tag.endswith("}text")]


def normalised(text: str) -> str:
    return " ".join(text.split())


# --- files ----------------------------------------------------------------------------------------------------


def test_writes_png_and_svg_beside_it(drawn):
    assert drawn.name == "flowchart.png"
    assert drawn.stat().st_size > 0 and drawn.with_suffix(".svg").stat().st_size > 0
    with Image.open(drawn) as image:
        assert image.format == "PNG"
    assert ET.parse(drawn.with_suffix(".svg")).getroot().tag.endswith("svg")


def test_png_pixels_are_the_figure_size_at_300_dpi_and_fit_a_page(drawn):
    root = ET.parse(drawn.with_suffix(".svg")).getroot()
    width_pt, height_pt = (float(root.get(side).removesuffix("pt")) for side in ("width", "height"))
    with Image.open(drawn) as image:
        pixels = image.size
        dpi = image.info["dpi"]
    assert pixels == (round(width_pt / 72 * 300), round(height_pt / 72 * 300))
    assert dpi == pytest.approx((300, 300), abs=0.01)
    assert pixels[0] / 300 <= MAX_WIDTH
    assert pixels[1] > pixels[0] / 3  # a tree of five levels is not a flat strip


def test_every_box_text_is_text_in_the_svg_at_least_7_pt(drawn):
    elements = svg_texts(drawn.with_suffix(".svg"))
    joined = normalised(" ".join(element.text or "" for element in elements))
    for box in REALISTIC:
        assert normalised(box.text) in joined, box.key
        assert normalised(box.exclusion) in joined, box.key
    sizes = [float(re.search(r"font-size: ([\d.]+)px", element.get("style")).group(1)) for element in elements]
    assert sizes and min(sizes) >= 7.0
    assert 'id="DejaVuSans-' not in drawn.with_suffix(".svg").read_text()  # no glyphs drawn as paths


def test_same_input_gives_byte_identical_files(tmp_path):
    first = save_figure(flowchart(REALISTIC), tmp_path / "one" / "flow.png")
    second = save_figure(flowchart(REALISTIC), tmp_path / "two" / "flow.png")
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".svg").read_bytes() == second.with_suffix(".svg").read_bytes()


def test_wide_tree_is_packed_onto_the_page_with_text_of_at_least_7_pt(tmp_path):
    path = save_figure(flowchart(WIDE), tmp_path / "wide.png")
    with Image.open(path) as image:
        assert image.size[0] <= MAX_WIDTH * 300
    elements = svg_texts(path.with_suffix(".svg"))
    assert min(float(re.search(r"font-size: ([\d.]+)px", element.get("style")).group(1)) for element in elements) >= 7
    joined = normalised(" ".join(element.text or "" for element in elements))
    assert all(normalised(box.text) in joined for box in WIDE)


def test_tree_too_wide_for_any_fit_is_rejected():
    boxes = (FlowBox("root", "All\nn = 1000"),
             *(FlowBox(f"arm{i}", f"Treatment arm number {i}\nn = {i}", "root",
                       f"Excluded (n = {i})\nA reason long enough to need a wide box: {i}") for i in range(12)))
    with pytest.raises(ValueError, match="wide"):
        flowchart(boxes)


# --- invalid trees --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("boxes, message", [
    ((FlowBox("a", "A"), FlowBox("b", "B", "a"), FlowBox("b", "B again", "a")), "duplicate box key 'b'"),
    ((FlowBox("a", "A"), FlowBox("b", "B", "x")), "box 'b' has an unknown parent 'x'"),
    ((FlowBox("a", "A"), FlowBox("b", "B")), "more than one root box .*'a', 'b'"),
    ((FlowBox("a", "A"), FlowBox("b", "B", "c"), FlowBox("c", "C", "b")), "cycle: 'b' -> 'c' -> 'b'"),
    ((FlowBox("a", "A", "b"), FlowBox("b", "B", "a")), "cycle: 'a' -> 'b' -> 'a'"),
    ((FlowBox("a", "A", "a"),), "cycle: 'a' -> 'a'"),
    ((FlowBox("a", "A", exclusion="Excluded (n = 1)"),), "root box 'a' has an exclusion"),
    ((FlowBox("", "A"),), "empty key"),
    ((), "at least one box"),
])
def test_invalid_tree_is_rejected_naming_the_box(boxes, message):
    with pytest.raises(ValueError, match=message):
        layout(boxes, char_measure)
    with pytest.raises(ValueError, match=message):
        flowchart(boxes)


# --- layout geometry ------------------------------------------------------------------------------------------


def all_rects(placed: Layout) -> dict[str, Rect]:
    return {**{f"box {key}": rect for key, rect in placed.boxes.items()},
            **{f"side {key}": rect for key, rect in placed.sides.items()}}


def crosses_inside(line: Line, rect: Rect) -> bool:
    """Whether an axis-parallel segment enters the interior of ``rect`` (running along or ending at an edge is fine)."""
    (x0, y0), (x1, y1) = line.start, line.end
    eps = 1e-9
    if x0 == x1:
        return rect.x + eps < x0 < rect.right - eps and min(y0, y1) < rect.bottom - eps and max(y0, y1) > rect.y + eps
    return rect.y + eps < y0 < rect.bottom - eps and min(x0, x1) < rect.right - eps and max(x0, x1) > rect.x + eps


@pytest.fixture(params=[(name, compact) for name in TREES for compact in (False, True)],
                ids=lambda param: f"{param[0]}-{'compact' if param[1] else 'roomy'}")
def case(request) -> tuple[tuple[FlowBox, ...], Layout]:
    name, compact = request.param
    boxes = wrapped(TREES[name])
    return boxes, layout(boxes, char_measure, compact=compact)


def test_no_two_boxes_or_side_boxes_overlap(case):
    _, placed = case
    for (name_a, a), (name_b, b) in itertools.combinations(all_rects(placed).items(), 2):
        assert not a.overlaps(b, gap=0.05), f"{name_a} overlaps {name_b}"


def test_every_child_is_below_its_parent_and_its_side_box_between_them(case):
    boxes, placed = case
    for box in boxes:
        rect = placed.boxes[box.key]
        if box.parent:
            parent = placed.boxes[box.parent]
            assert rect.y > parent.bottom, box.key
        if box.exclusion:
            side = placed.sides[box.key]
            assert parent.bottom < side.y and side.bottom < rect.y, box.key
            assert side.x > rect.cx, box.key  # right of the vertical connector into the box
        else:
            assert box.key not in placed.sides


def test_everything_is_on_the_page_of_whole_pixels(case):
    _, placed = case
    for name, rect in all_rects(placed).items():
        assert 0 < rect.x and rect.right < placed.width and 0 < rect.y and rect.bottom < placed.height, name
    for size in (placed.width, placed.height):
        assert (size * 300).is_integer()


def test_arrows_end_on_box_edges_and_no_line_crosses_a_box(case):
    boxes, placed = case
    children = {box.key: [kid.key for kid in boxes if kid.parent == box.key] for box in boxes}
    arrow_ends = {line.end for line in placed.lines if line.arrow}
    for box in boxes:
        if box.parent:
            rect = placed.boxes[box.key]
            assert (rect.cx, rect.y) in arrow_ends, box.key  # the arrow from the parent meets the top edge
        if box.exclusion:
            side = placed.sides[box.key]
            assert (side.x, side.cy) in arrow_ends, box.key  # the arrow to the side box meets its left edge
    assert len(arrow_ends) == sum(bool(box.parent) + bool(box.exclusion) for box in boxes)
    assert sum(len(kids) > 1 for kids in children.values()) * 2 == sum(not line.arrow for line in placed.lines)
    for line in placed.lines:
        assert line.start[0] == line.end[0] or line.start[1] == line.end[1], line
        for name, rect in all_rects(placed).items():
            assert not crosses_inside(line, rect), f"{line} crosses {name}"


def test_boxes_hold_their_text_with_a_margin(case):
    boxes, placed = case
    for box in boxes:
        for text, rect in ((box.text, placed.boxes[box.key]), (box.exclusion, placed.sides.get(box.key))):
            if text:
                width, height = char_measure(text)
                assert rect.width >= width + 0.1 and rect.height >= height + 0.08, text


def test_layout_with_rendered_text_sizes_has_no_overlaps():
    with plt.rc_context(RC):
        measure = text_measure(8.0)
        one_line, two_lines = measure("n = 1562"), measure("L3+ cohort\nn = 1500")
        placed = layout(wrapped(REALISTIC), measure)
    assert 0.3 < one_line[0] < 0.8 and 0.08 < one_line[1] < 0.2  # 8-pt text, in inches
    assert two_lines[1] > 1.8 * one_line[1]
    for (name_a, a), (name_b, b) in itertools.combinations(all_rects(placed).items(), 2):
        assert not a.overlaps(b, gap=0.05), f"{name_a} overlaps {name_b}"


def test_single_children_form_a_straight_spine():
    placed = layout(wrapped(REALISTIC), char_measure)
    spine = [placed.boxes[key].cx for key in ("progressed", "treated", "tl_post")]
    assert spine == pytest.approx([spine[0]] * 3)
    parent, kids = placed.boxes["tl_post"], (placed.boxes["early"], placed.boxes["late"])
    assert parent.cx == pytest.approx((kids[0].cx + kids[1].cx) / 2)  # centred over its children
    assert kids[0].right < kids[1].x  # siblings keep input order, left to right


def test_compact_packing_is_narrower_for_siblings_with_side_boxes():
    boxes = wrapped(WIDE)
    assert layout(boxes, char_measure, compact=True).width < layout(boxes, char_measure).width


# --- wrapping -------------------------------------------------------------------------------------------------


def test_wrap_keeps_line_breaks_and_whole_words_within_the_width():
    text = "Excluded (n = 1485)\nTAFA-LEN not given before infusion and TL-post-CAR-T criteria unmet: 1485"
    lines = wrap(text, 24).split("\n")
    assert lines[0] == "Excluded (n = 1485)"
    assert all(len(line) <= 24 for line in lines)
    assert " ".join(lines[1:]).split() == text.split("\n")[1].split()
    assert wrap("Short\n\nlines", 24) == "Short\n\nlines"
