"""Figures exported for journal submission (``reportgen build --journal-figures``), read back as a journal
would: TIFF at 600 dpi with LZW, RGB, a column's width in pixels; PDF and SVG at the same size in points,
fonts embedded; text that fits its figure. And ``figure_object``, the drawn figure without files."""

from __future__ import annotations

import itertools
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure as MplFigure
from matplotlib.text import Text
from PIL import Image
from pypdf import PdfReader

import reportgen.assemble as assemble
from example_study import example_copy
from reportgen.assemble import Drawing, JournalFigure, draw, export_journal_figure, figure_object
from reportgen.build import _journal_key, build
from reportgen.cache import Cache
from reportgen.cli import main
from reportgen.format.figures import LINE_STYLES, PALETTE, Curve, Panel, km_figure, save_figure
from reportgen.format.flowchart import FlowBox, flowchart
from reportgen.format.journal import column_inches, journal_widths
from reportgen.format.style import HouseStyle

STYLE = HouseStyle()
DPI = STYLE.journal_dpi
SINGLE = round(STYLE.journal_column_width_mm / 25.4 * DPI)         # 2008 pixels
DOUBLE = round(STYLE.journal_double_column_width_mm / 25.4 * DPI)  # 4134 pixels
SUFFIXES = (".tif", ".pdf", ".svg")


def _drawn_texts(figure: MplFigure) -> list[tuple[str, object]]:
    """Every non-empty text the figure draws, with its extent (pixels): tick labels of hidden axes, or
    outside the axes' view, are not drawn and left out."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    hidden = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not ax.axison or not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [(text.get_text(), text.get_window_extent(renderer)) for text in figure.findobj(Text)
            if text.get_visible() and text.get_text().strip() and id(text) not in hidden]


def _text_problems(figure: MplFigure) -> list[str]:
    """Anything drawn beyond the figure's edges (clipped in the file), and every two texts that overlap."""
    texts = _drawn_texts(figure)
    drawn = figure.get_tightbbox(figure.canvas.get_renderer())  # inches
    width, height = figure.get_size_inches()
    problems = [] if (drawn.x0 >= 0 and drawn.y0 >= 0 and drawn.x1 <= width and drawn.y1 <= height) else [
        f"drawn beyond the {width:.2f} x {height:.2f} in figure: {drawn}"]
    for (first, a), (second, b) in itertools.combinations(texts, 2):
        if min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0):
            problems.append(f"{first!r} overlaps {second!r}")
    return problems


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The example built once from the command line with ``--journal-figures``, on this process (``--jobs 1``)
    so that every journal figure's text is checked on its way to the files; the study (with its cache), the
    output folder, and the problems found per figure."""
    folder = tmp_path_factory.mktemp("journal")
    study = example_copy(folder)
    problems: dict[str, list[str]] = {}
    write = assemble.write_journal_figure

    def checked_write(figure, paths, dpi):
        problems[paths[0].stem] = _text_problems(figure)
        return write(figure, paths, dpi)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assemble, "write_journal_figure", checked_write)
        assert main(["build", str(study), "--out", str(folder / "out"), "--quiet", "--jobs", "1",
                     "--journal-figures"]) == 0
    return study, folder / "out", problems


def _keys(out: Path) -> list[str]:
    return sorted(path.stem for path in (out / "figures").glob("*.png"))


def test_every_figure_is_exported_as_tiff_pdf_and_svg(exported):
    _, out, problems = exported
    keys = _keys(out)
    assert len(keys) == 14
    assert sorted(path.name for path in (out / "journal").iterdir()) == sorted(
        f"{key}{suffix}" for key in keys for suffix in SUFFIXES)
    assert sorted(problems) == keys


def test_tiff_is_600_dpi_lzw_rgb_and_a_column_wide(exported):
    """One Kaplan-Meier panel (natural width 3.4 in) goes in the single column; every wider figure across
    the page."""
    _, out, _ = exported
    for key in _keys(out):
        with Image.open(out / "journal" / f"{key}.tif") as image:
            assert image.format == "TIFF" and image.mode == "RGB"
            assert image.info["compression"] == "tiff_lzw"
            assert image.info["dpi"] == pytest.approx((DPI, DPI))
            assert image.width == (SINGLE if key == "figure_dor2" else DOUBLE), key


def test_pdf_and_svg_have_the_tiffs_physical_size_and_keep_their_text(exported):
    """The same size in points as the TIFF at 600 dpi; the PDF's fonts embedded as TrueType (no Type 3), the
    SVG's text kept as text."""
    _, out, _ = exported
    for key in _keys(out):
        with Image.open(out / "journal" / f"{key}.tif") as image:
            width, height = image.width / DPI * 72, image.height / DPI * 72
        page = PdfReader(out / "journal" / f"{key}.pdf").pages[0]
        assert float(page.mediabox.width) == pytest.approx(width, abs=0.01), key
        assert float(page.mediabox.height) == pytest.approx(height, abs=72 / DPI), key
        fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
        assert fonts and all(font["/Subtype"] in ("/TrueType", "/Type0") for font in fonts), key
        assert all("/FontFile2" in _descriptor(font) for font in fonts), key
        svg = ET.parse(out / "journal" / f"{key}.svg").getroot()
        assert svg.get("width").endswith("pt") and svg.get("height").endswith("pt")
        assert float(svg.get("width")[:-2]) == pytest.approx(width, abs=0.01), key
        assert float(svg.get("height")[:-2]) == pytest.approx(height, abs=72 / DPI), key
        assert svg.find(".//{http://www.w3.org/2000/svg}text") is not None, key


def _descriptor(font) -> dict:
    """A PDF font's descriptor (a composite font's is its descendant's)."""
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    return font["/FontDescriptor"].get_object()


def test_text_fits_the_column_without_overlaps(exported):
    """Redrawn at the column's width, no text of any figure is cut at the edge or drawn over another
    (legends and the x label wrapped where too wide; risk labels clear of the counts)."""
    _, _, problems = exported
    assert {key: found for key, found in problems.items() if found} == {}


def test_a_build_without_the_flag_writes_no_journal_folder_and_removes_an_older_one(exported, tmp_path):
    """The export is opt-in: a build without it has no journal folder (an earlier one, which may show other
    data, is removed), and its figures are the bytes of the build with it."""
    study, out, _ = exported
    again = tmp_path / "again"
    shutil.copytree(out, again)
    build(study, again)
    assert not (again / "journal").exists()
    assert [(path.name, path.read_bytes()) for path in sorted((again / "figures").iterdir())] == \
        [(path.name, path.read_bytes()) for path in sorted((out / "figures").iterdir())]
    fresh = build(study, tmp_path / "fresh")
    assert not (tmp_path / "fresh" / "journal").exists()
    assert not any(path.parent.name == "journal" for path in fresh.files)


def test_a_rebuild_reuses_the_cached_exports(exported, tmp_path):
    study, out, _ = exported
    lines: list[str] = []
    build(study, tmp_path / "cached", progress=lines.append, journal_figures=True)
    assert "cache: 33 items reused, 0 made" in lines  # the analysis, 14 figures, 14 exports, 4 documents
    for path in sorted((out / "journal").iterdir()):
        assert (tmp_path / "cached" / "journal" / path.name).read_bytes() == path.read_bytes(), path.name


# --- the parts, without building the study --------------------------------------------------------------------


def _panels(groups: int = 2) -> tuple[Panel, ...]:
    rng = np.random.default_rng(7)
    curves = tuple(Curve(f"Group {i + 1}", np.sort(rng.exponential(6.0, 40)), np.linspace(0.98, 0.2, 40),
                         rng.random(40) < 0.2, ("40", "30", "20", "10", "5"), f"median {i + 2} (1-{i + 4})")
                   for i in range(groups))
    return Panel("A", "PFS (%)", curves, "Log-rank P = .01"), Panel("B", "OS (%)", curves, "Log-rank P = .2")


TICKS = (0.0, 6.0, 12.0, 18.0, 24.0)


def test_figure_object_is_the_figure_the_build_saves_and_writes_nothing(tmp_path):
    drawing = Drawing("km", km_figure, (_panels(), TICKS, "Months"), tmp_path / "km.png", "Title", "")
    open_before = plt.get_fignums()
    figure = figure_object(drawing)
    assert isinstance(figure, MplFigure)
    assert len(figure.axes) == 4  # per panel: the curves and the risk table
    assert plt.get_fignums() == open_before  # not held by pyplot: nothing to close
    assert not list(tmp_path.iterdir())
    save_figure(figure, tmp_path / "saved.png")
    draw(drawing)
    for suffix in (".png", ".svg"):
        assert (tmp_path / f"saved{suffix}").read_bytes() == (tmp_path / f"km{suffix}").read_bytes()


def test_column_widths_are_whole_pixels_and_the_natural_width_picks_the_column():
    for mm in range(40, 250):
        assert int(column_inches(mm, DPI) * DPI) == round(mm / 25.4 * DPI)
    single, double = column_inches(85, DPI), column_inches(175, DPI)
    assert journal_widths(3.4, STYLE) == (single, double)  # one panel: one column (or two if it cannot)
    assert journal_widths(6.0, STYLE) == (double,)
    wide = HouseStyle(journal_column_width_mm=90, journal_double_column_width_mm=190, journal_dpi=300)
    assert journal_widths(3.4, wide) == (column_inches(90, 300), column_inches(190, 300))


def test_the_cache_key_holds_the_columns_and_the_resolution(tmp_path):
    cache = Cache(None, "code")
    drawing = Drawing("km", km_figure, (_panels(), TICKS, "Months"), tmp_path / "km.png", "Title", "")
    key = lambda widths, dpi: _journal_key(cache, JournalFigure(drawing, widths, dpi, tmp_path))
    assert len({key((3.35,), 600), key((3.5,), 600), key((3.35,), 300), key((3.35, 6.89), 600)}) == 4
    assert key((3.35,), 600) == key((3.35,), 600)


def test_a_figure_too_wide_for_the_first_column_goes_to_the_next_and_repeats_its_bytes(tmp_path):
    boxes = (FlowBox("all", "Registry\nn = 900"), FlowBox("set", "Analysis set\nn = 300", "all",
                                                         "Excluded (n = 600)\nNot treated"))
    drawing = Drawing("flow", flowchart, (boxes,), tmp_path / "flow.png", "Flowchart", "")
    double = column_inches(175, DPI)
    first = export_journal_figure(JournalFigure(drawing, (0.5, double), DPI, tmp_path / "one"))
    second = export_journal_figure(JournalFigure(drawing, (0.5, double), DPI, tmp_path / "two"))
    with Image.open(first[0]) as image:
        assert image.width == DOUBLE
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]


def _lightness(colour: str) -> float:
    """CIE L* of an sRGB colour: what is left of it in greyscale."""
    linear = [(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
              for c in (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 116 * luminance ** (1 / 3) - 16 if luminance > 216 / 24389 else 24389 / 27 * luminance


def test_curves_of_a_panel_stay_apart_in_greyscale():
    """Any two curves of a panel differ in lightness by at least 20 L* or in their line's dashes, and the
    figure draws each curve with its line style."""
    for (a, style_a), (b, style_b) in itertools.combinations(zip(PALETTE, LINE_STYLES), 2):
        assert abs(_lightness(a) - _lightness(b)) >= 20 or style_a != style_b, (a, b)
    figure = km_figure(_panels(groups=5)[:1], TICKS, "Months")
    steps = figure.axes[0].get_lines()[::2]  # each curve's step line; its censor marks follow it
    assert [line.get_linestyle() == "-" for line in steps] == [style == "solid" for style in LINE_STYLES]
