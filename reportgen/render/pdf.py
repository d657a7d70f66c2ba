"""Document model → PDF, through the HTML page and WeasyPrint.

Three things make the PDF trustworthy rather than merely pretty:

* **Closed resource access.** WeasyPrint fetches images and fonts through a URL
  fetcher; ours serves ``file:`` URLs inside the allowed folders (the study, the
  output folder, the bundled fonts) and refuses everything else, network included,
  with a ``RenderError``. A figure path pointing at ``/etc/...`` stops the build.
* **Fonts that exist everywhere.** A fresh machine may have no system fonts, so the
  serif and sans faces are the TTFs that ship inside matplotlib, declared with
  ``@font-face`` rules written at render time (their path differs per machine).
* **Repeatable bytes.** No creation date unless one is given (``created``), and a
  fixed PDF identifier, so the same document renders to the same file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from reportgen.document.model import Document, Figure
from reportgen.errors import RenderError
from reportgen.render._shared import figure_file
from reportgen.render.html import document_html

if TYPE_CHECKING:
    from reportgen.cache import Cache

__all__ = ["write_pdf", "font_face_css", "bundled_font_dir", "safe_url_fetcher"]

#: Family names house.css asks for; declared here because only here are the files known.
SERIF_FAMILY = "Reportgen Serif"
SANS_FAMILY = "Reportgen Sans"
#: The family the figures' SVG text asks for (matplotlib's).
FIGURE_FAMILY = "DejaVu Sans"

#: (family, file name, weight, style) of every bundled face house.css can use.
_FACES = (
    (SERIF_FAMILY, "STIXGeneral.ttf", "normal", "normal"),
    (SERIF_FAMILY, "STIXGeneralBol.ttf", "bold", "normal"),
    (SERIF_FAMILY, "STIXGeneralItalic.ttf", "normal", "italic"),
    (SERIF_FAMILY, "STIXGeneralBolIta.ttf", "bold", "italic"),
    (SANS_FAMILY, "DejaVuSans.ttf", "normal", "normal"),
    (SANS_FAMILY, "DejaVuSans-Bold.ttf", "bold", "normal"),
    (SANS_FAMILY, "DejaVuSans-Oblique.ttf", "normal", "italic"),
    (SANS_FAMILY, "DejaVuSans-BoldOblique.ttf", "bold", "italic"),
    # the figures' SVG text names matplotlib's family: the same files, so no system font is needed
    (FIGURE_FAMILY, "DejaVuSans.ttf", "normal", "normal"),
    (FIGURE_FAMILY, "DejaVuSans-Bold.ttf", "bold", "normal"),
)

#: A constant PDF file identifier: WeasyPrint's automatic one would differ between runs.
_PDF_IDENTIFIER = b"reportgen-manuscript"


#: WeasyPrint's notice that HarfBuzz-Subset is not installed: about the machine, not the
#: document, so it is not returned as a warning (``--strict`` must not fail on it).
_ENVIRONMENT_NOTICE = "Using fontTools instead of HarfBuzz-Subset"


def bundled_font_dir() -> Path:
    """The folder of TTFs shipped inside matplotlib (STIX and DejaVu), found without importing it (0.2 s)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RenderError("matplotlib is not installed: its bundled fonts are needed for the PDF")
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


def font_face_css(font_dir: Path | None = None) -> str:
    """``@font-face`` rules for the house families, pointing at this machine's files."""
    font_dir = font_dir or bundled_font_dir()
    rules = []
    for family, file_name, weight, style in _FACES:
        path = font_dir / file_name
        if not path.is_file():
            raise RenderError(f"bundled font {str(path)!r} is missing; reinstall matplotlib")
        rules.append(
            f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); '
            f"font-weight: {weight}; font-style: {style}; }}"
        )
    return "\n".join(rules)


def _real(path: Path) -> Path:
    """The path with symlinks resolved, so a link cannot smuggle a file out of a folder."""
    return Path(os.path.realpath(path))


def _make_fetcher_class():
    """Build the fetcher class lazily, so importing this module does not import WeasyPrint."""
    from weasyprint.urls import URLFetcher

    class _SafeURLFetcher(URLFetcher):
        """A WeasyPrint URL fetcher serving only ``file:`` URLs inside allowed folders.

        It is created with ``fail_on_errors=True``, so a refusal stops the rendering
        (WeasyPrint would otherwise log it and leave the image out). The refused URLs
        are kept in ``refused`` so the writer can name them in its error.
        """

        def __init__(self, allowed_dirs: Iterable[Path]) -> None:
            super().__init__(fail_on_errors=True, allowed_protocols=("file",), allow_redirects=False)
            self.allowed_dirs = tuple(_real(Path(d)) for d in allowed_dirs)
            self.refused: list[str] = []

        def allows(self, path: Path) -> bool:
            real = _real(path)
            return any(real == d or real.is_relative_to(d) for d in self.allowed_dirs)

        def fetch(self, url, headers=None):  # noqa: D401 - WeasyPrint's signature
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                self.refused.append(url)
                raise RenderError(f"refused to fetch {url!r}: only local files in the study or output folder are used")
            path = Path(url2pathname(unquote(parts.path)))
            if not self.allows(path):
                self.refused.append(url)
                raise RenderError(
                    f"refused to read {str(path)!r}: it is outside the allowed folders "
                    f"({', '.join(str(d) for d in self.allowed_dirs)})"
                )
            return super().fetch(url, headers)

    return _SafeURLFetcher


def safe_url_fetcher(allowed_dirs: Iterable[Path]):
    """A WeasyPrint URL fetcher that refuses anything outside ``allowed_dirs``."""
    return _make_fetcher_class()(allowed_dirs)


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    """Collect what WeasyPrint logs (missing glyphs, ignored CSS) as writer warnings."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    handler = _Collect(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@contextmanager
def fixed_font_timestamps(created: datetime | None) -> Iterator[None]:
    """Pin the timestamp fontTools writes into each subset font while the PDF is written.

    Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps
    every subset with the current time unless ``SOURCE_DATE_EPOCH`` is set. We set
    it (to ``created``, or 0) for the duration of the call only, and keep a value
    the caller already set.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    epoch = 0 if created is None else int(_utc(created).timestamp())
    os.environ["SOURCE_DATE_EPOCH"] = str(max(epoch, 0))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


@contextmanager
def reused_font_subsets(cache: Cache | None) -> Iterator[None]:
    """While a PDF is written, keep each font subset WeasyPrint makes in ``cache``, and reuse it when
    the same font is subset to the same glyphs again, as it mostly is when a template's text was
    edited: subsetting is a fifth of a PDF's time (fontTools).

    A subset is a function of the font file, the glyphs kept, the options and the timestamp fontTools
    writes (``SOURCE_DATE_EPOCH``), all in its key (the cache's own key adds the WeasyPrint and
    fontTools versions), so the PDF's bytes are the same either way (tested). This wraps WeasyPrint's
    ``Font.subset``; a WeasyPrint without it just subsets every time.
    """
    from weasyprint.pdf import fonts

    original = getattr(fonts.Font, "subset", None)
    if cache is None or cache.folder is None or original is None:
        yield
        return

    def subset(font, to_unicode, hinting) -> None:
        key = cache.key("font-subset", hashlib.sha256(font.file_content).digest(), font.index, sorted(to_unicode),
                        hinting, bool(font.missing), os.environ.get("SOURCE_DATE_EPOCH", ""))
        kept = cache.load(key)
        if isinstance(kept, bytes):
            font.file_content = kept
            return
        original(font, to_unicode, hinting)
        cache.store(key, font.file_content)

    fonts.Font.subset = subset
    try:
        yield
    finally:
        fonts.Font.subset = original


class _WholeText(str):
    """Text that iterates as one piece, so WeasyPrint's SVG text loop lays it out once, not per letter."""

    def __iter__(self) -> Iterator[str]:
        yield str(self)


#: SVG text attributes that position or space single letters: text that has any is left to WeasyPrint.
_PER_LETTER = ("dx", "dy", "rotate", "textLength", "lengthAdjust", "letter-spacing")


def _plain_text(node) -> bool:
    """An SVG ``<text>`` node drawn the same as one string: one line, one x and one y, nothing placed
    per letter (all of matplotlib's text, which places each label as a whole)."""
    text = node.text
    return (node.tag == "text" and bool(text) and "\n" not in text
            and all(len((node.get(axis) or "0").replace(",", " ").split()) == 1 for axis in ("x", "y"))
            and not any(node.get(name) for name in _PER_LETTER))


@contextmanager
def whole_svg_text() -> Iterator[None]:
    """While a PDF is written, lay out each plain SVG ``<text>`` of the figures as one string.

    WeasyPrint lays out and draws SVG text letter by letter (for per-letter ``x``, ``dx`` and
    ``rotate`` lists): a figure's 60 labels were 500 Pango layouts and draws, a fifth of a
    manuscript's PDF time. Text with nothing placed per letter and no ``<tspan>`` (see
    :func:`_plain_text`) is given to it as a string that iterates as one piece, so it lays it out
    once; Pango then shapes the whole string, with the font's kerning, as matplotlib measured it.
    This wraps WeasyPrint's ``Node.text_children``, which sets a text's string once its white
    space is processed; a WeasyPrint without it just lays out letter by letter as before.
    """
    from weasyprint.svg import Node

    original = getattr(Node, "text_children", None)
    if original is None:
        yield
        return

    def text_children(node, element, trailing_space, text_root=False):
        children, trailing = original(node, element, trailing_space, text_root)
        if text_root and not children and _plain_text(node):
            node._etree_node.text = _WholeText(node.text)
        return children, trailing

    Node.text_children = text_children
    try:
        yield
    finally:
        Node.text_children = original


def _utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC, so the same argument gives the same PDF anywhere."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _check_figures(document: Document, base_dir: Path, fetcher) -> None:
    """Fail early, with the figure named, on a missing image or one outside the allowed folders."""
    for block in document.blocks:
        if not isinstance(block, Figure):
            continue
        images = (block, replace(block, path=block.vector_path)) if block.vector_path else (block,)
        for path in (figure_file(image, base_dir) for image in images):
            if not fetcher.allows(path):
                raise RenderError(
                    f"{block.label} ({block.key!r}): image {str(path)!r} is outside the allowed folders "
                    f"({', '.join(str(d) for d in fetcher.allowed_dirs)}); figures must live in the study or output "
                    "folder"
                )


def write_pdf(
    document: Document,
    path: Path,
    *,
    css_path: Path,
    base_dir: Path,
    allowed_dirs: Iterable[Path],
    created: datetime | None = None,
    font_subsets: Cache | None = None,
) -> tuple[str, ...]:
    """Write ``document`` as a PDF at ``path``; return WeasyPrint's warnings.

    ``base_dir`` resolves relative figure paths; ``allowed_dirs`` are the only
    folders files may be read from (the bundled font folder is added). ``created``
    sets the PDF creation/modification date; without it the PDF has none, so the
    output is byte-for-byte repeatable. ``font_subsets``, a cache, keeps and reuses
    the subsets of the fonts (see :func:`reused_font_subsets`). Raises ``RenderError``
    on a refused or missing resource.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    font_dir = bundled_font_dir()
    fetcher = safe_url_fetcher([*allowed_dirs, font_dir])
    base_dir = Path(base_dir)
    _check_figures(document, base_dir, fetcher)
    page = document_html(document, Path(css_path), extra_css=font_face_css(font_dir), created=created)
    path = Path(path)
    with (_captured_warnings() as warnings, fixed_font_timestamps(created), reused_font_subsets(font_subsets),
          whole_svg_text()):
        try:
            font_config = FontConfiguration()
            html = HTML(string=page, base_url=_real(base_dir).as_uri() + "/", url_fetcher=fetcher)
            html.write_pdf(path, font_config=font_config, pdf_identifier=_PDF_IDENTIFIER)
        except FatalURLFetchingError as error:
            cause = error.__cause__
            if isinstance(cause, RenderError):
                raise RenderError(str(cause)) from None
            raise RenderError(f"could not read a resource of the PDF: {cause or error}") from None
        except RenderError:
            raise
        except Exception as error:  # WeasyPrint has no error hierarchy of its own
            raise RenderError(f"WeasyPrint failed to write {str(path)!r}: {error}") from error
    if fetcher.refused:  # defensive: a refusal WeasyPrint swallowed must still fail the build
        raise RenderError(f"refused to fetch {fetcher.refused[0]!r}: it is outside the allowed folders")
    return tuple(dict.fromkeys(w for w in warnings if not w.startswith(_ENVIRONMENT_NOTICE)))
