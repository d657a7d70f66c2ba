"""One build: study spec → registry → analyses → documents, written atomically.

The stages run in the data flow's order (load, validate, derive, analyse, format,
document, write); each takes the previous stage's result and nothing else. Outputs
are written to a scratch folder beside the output folder and moved into place only
when everything succeeded, so a failed build leaves the previous outputs intact.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

from reportgen.analysis.results import ReadLog, StudyResults
from reportgen.document.front import key_points, reference_list, title_page
from reportgen.document.markdown import parse_markdown, placed_keys
from reportgen.document.model import Document, Figure, Table
from reportgen.document.passes import number_blocks, resolve_references, text_places
from reportgen.analysis.comparison import smd_breaches
from reportgen.assemble import (Drawing, JournalFigure, draw, export_journal_figure, journal_figure, study_figures,
                                study_tables)
from reportgen.cache import CACHE_FOLDER, Cache
from reportgen.errors import RenderError, SpecError
from reportgen.format.numbers import fmt_small_cell
from reportgen.format.provenance import provenance_tables, shown_digest
from reportgen.format.style import TEMPLATES, HouseStyle
from reportgen.format.text import TextFormatter
from reportgen.lock import (DRAFT_STAMP, Lock, LockedFile, Provenance, build_moment, export_inputs, provenance,
                            read_lock, sha256_of, verify_lock)
from reportgen.render.docx import write_docx
from reportgen.render.pdf import write_pdf
from reportgen.render.templates import render_template
from reportgen.spec import StudySpec, load_spec
from reportgen.validation import Validation, checked_registry, validate_data, warning_counts
from reportgen.workers import DEFAULT_WORKERS, Workers

if TYPE_CHECKING:
    from reportgen.data.derive import Derived
    from reportgen.data.load import Registry

Progress = Callable[[str], None]
#: The output folder of the figures exported for journal submission (``journal_figures``).
JOURNAL_FOLDER = "journal"
#: A writer job: the writer, its positional arguments (the document and the file), its options.
Job = tuple[Callable, tuple, dict]


@dataclass(frozen=True)
class BuildOutputs:
    """Where a build wrote its files."""

    folder: Path
    files: tuple[Path, ...]


@dataclass(frozen=True)
class Composed:
    """A study's documents, and where each result is shown in them (key → places)."""

    documents: dict[str, Document]
    shown_in: dict[str, tuple[str, ...]]


def compose_documents(spec: StudySpec, tables: dict[str, Table],
                      figures: Callable[[set[str]], Mapping[str, Figure]], text: TextFormatter, stamp: str = "",
                      own_tables: Callable[[tuple[str, ...]], dict[str, Table]] = lambda templates: {}
                      ) -> tuple[dict[str, Document], dict[str, str], list[tuple[str, str]]]:
    """Render every document's template, number its tables and figures, then resolve references.

    The templates are rendered first, so ``figures`` is asked for the figures they place
    (by key) and only those are drawn. ``own_tables`` gives a document's own tables (its
    provenance page) from the study templates it was rendered from (names in the study's
    templates folder), so editing one document's template leaves the others' bytes as
    they were. References resolve across documents, so the manuscript can cite
    "Supplemental Table 2". Returns the documents, the labels of their tables and figures
    by key, and where in the text each printed number landed (key, place).
    """
    folders = (spec.folder / "templates", TEMPLATES)
    context = {"study": spec.study, "cohort": spec.cohort, "conventions": spec.conventions, "sets": spec.analysis_sets,
               "endpoints": spec.endpoints, "comparisons": spec.comparisons, "variables": spec.variables,
               "regimen_classes": spec.regimen_classes, "references": spec.references}
    rendered: dict[str, tuple[str, list[tuple[str, str]], tuple[str, ...]]] = {}
    for name, document in spec.documents.items():
        shown: list[tuple[str, str]] = []
        loaded: list[Path] = []
        markdown = render_template(document.template, folders, text, context, citations=tuple(spec.references),
                                   shown=shown, loaded=loaded)
        templates = tuple(sorted({path.relative_to(folders[0]).as_posix() for path in loaded
                                  if path.is_relative_to(folders[0])}))
        rendered[name] = markdown, shown, templates
    placed = figures({key for markdown, _, _ in rendered.values() for key in placed_keys(markdown, "figure")})
    front = {"title_page": title_page(spec), "key_points": key_points(spec), "references": reference_list(spec)}
    numbered: dict[str, tuple] = {}
    labels: dict[str, str] = {}
    text_shown: list[tuple[str, str]] = []
    for name, (markdown, shown, templates) in rendered.items():
        blocks = parse_markdown(markdown, {**tables, **own_tables(templates)}, placed, front)
        numbered[name], document_labels = number_blocks(blocks, spec.documents[name].numbering_prefix)
        text_shown += text_places(numbered[name], shown, name.capitalize())
        for key in document_labels.keys() & labels.keys():
            raise RenderError(f"{key!r} is placed in two documents")
        labels.update(document_labels)
    documents = {name: Document(spec.study.title, resolve_references(blocks, labels), stamp=stamp,
                                running_title=spec.study.running_title)
                 for name, blocks in numbered.items()}
    return documents, labels, text_shown


def page_stamp(spec: StudySpec, locked: bool) -> str:
    """The stamp on every page: synthetic data, and a draft when the data are not locked."""
    parts = (["SYNTHETIC DATA"] if spec.study.synthetic else []) + ([] if locked else [DRAFT_STAMP])
    return " · ".join(parts)


def verified_lock(spec: StudySpec, progress: Progress = lambda message: None) -> Lock | None:
    """The spec's data lock, verified against the export (None for unlocked data, a draft)."""
    if not spec.data.lock:
        progress("warning: the data are not locked; every page is stamped " + DRAFT_STAMP)
        return None
    if spec.data.source == "sql":
        raise SpecError("data.lock: a database cannot be locked file by file; export its tables (for example "
                        "to Parquet with source: parquet), lock that export, and build from it")
    progress(f"verifying the data lock ({spec.data.lock})")
    lock = read_lock(spec.lock_path)
    verify_lock(lock, spec.data_path, spec.data.lock)
    return lock


def _inputs(spec: StudySpec, validation: Validation | None) -> tuple[LockedFile, ...]:
    """What the build read, hashed now: the export's files, or a database's tables as read."""
    if spec.data.source != "sql":
        return export_inputs(spec.data_path)
    tables = validation.raw.tables.values() if validation else ()
    return tuple(LockedFile(table.where, table.sha256(), 0, len(table.frame)) for table in tables)


def study_provenance(spec: StudySpec, lock: Lock | None, moment: datetime,
                     validation: Validation | None = None, inputs: tuple[LockedFile, ...] | None = None) -> Provenance:
    """What a build is made from; ``inputs`` are the export's files when already hashed (unlocked data)."""
    if not lock and inputs is None:
        inputs = _inputs(spec, validation)
    return provenance(spec.path, spec.folder / "templates", () if lock else inputs, lock, moment,
                      spec.study.title, spec.study.synthetic, (spec.review.deadline, spec.review.instructions),
                      validation.origin if validation else spec.data.path,
                      warning_counts(validation) if validation else ())


def study_style(style: HouseStyle, spec: StudySpec) -> HouseStyle:
    """``style`` as the study has it: its own house.css and reference.docx, where its templates folder has
    them, in place of the packaged ones (file by file; a style given other files keeps them), and the
    spec's small-cell suppression."""
    own = spec.folder / "templates"
    overrides = {name: own / getattr(style, name).name for name in ("css", "reference_docx")
                 if getattr(style, name) == getattr(HouseStyle, name) and (own / getattr(style, name).name).is_file()}
    return disclosed_style(replace(style, **overrides) if overrides else style, spec)


def disclosed_style(style: HouseStyle, spec: StudySpec) -> HouseStyle:
    """``style`` with the spec's small-cell suppression (the stricter of the two thresholds)."""
    threshold = max(style.suppress_below, spec.disclosure.suppress_below)
    return style if threshold == style.suppress_below else replace(style, suppress_below=threshold)


def _provenance_rows(record: Provenance, style: HouseStyle = HouseStyle(), templates: tuple[str, ...] | None = None
                     ) -> tuple[list[tuple[str, str]], list[tuple[str, int | None, str]]]:
    """The provenance page's rows: what, and the input files; of the study's templates, those named in
    ``templates`` (the document's own; None: all)."""
    lock = (f"{record.lock_name} ({record.lock_date})" if record.locked
            else f"none: {DRAFT_STAMP.lower()}, hashed at build time")
    commit = f", commit {record.reportgen_commit}" if record.reportgen_commit else ""
    items = [("Study", record.study_title)]
    if record.synthetic:
        items.append(("Data", "synthetic registry (no real patient data)"))
    items += [("Data source", record.data_source)] if record.data_source else []
    items += [("Data lock", lock), ("Study spec", f"{record.spec_file}, SHA-256 {shown_digest(record.spec_sha256)}")]
    items += [("Data warning", f"{count} × {message}") for message, count in record.data_warnings]
    items += [("Study template", f"{name}, SHA-256 {shown_digest(digest)}") for name, digest in record.templates
              if templates is None or name in templates]
    items += [("reportgen", f"{record.reportgen_version}{commit}"), ("Python", record.python),
              ("Packages", ", ".join(f"{name} {version}" for name, version in record.packages)),
              ("Build date", record.build_date)]
    if style.suppress_below:
        items.append(("Small-cell suppression", f"counts of patients from 1 to {style.suppress_below - 1} shown as "
                                                f"{fmt_small_cell(style)}, without their percentages"))
    inputs = [(file.name, file.rows, file.sha256) for file in record.inputs]
    return items, inputs


def validated(spec: StudySpec, as_of: date, progress: Progress = lambda message: None) -> Validation:
    """Read and validate the data: errors raise DataValidationError; warnings go to the log, one line each."""
    where = "a database" if spec.data.source == "sql" else spec.data.path
    what = "registry export" if spec.data.form == "registry" else "analysis-ready data"
    progress(f"reading and validating the {what} ({spec.data.source}: {where})")
    validation = validate_data(spec, as_of)
    checked_registry(validation)
    for problem in validation.warnings:
        progress(f"warning: {problem}")
    return validation


def analyse_study(spec: StudySpec, progress: Progress = lambda message: None,
                  registry: Registry | None = None) -> StudyResults:
    """Derive and analyse ``registry`` (by default the spec's data, read and validated now): the study's
    results store and curves."""
    # the pipeline (pandas) is imported here, not at load: a cached build reuses its results without it
    from reportgen.analysis.study import analyse
    from reportgen.data.derive import derive
    from reportgen.data.ready import derive_ready

    if registry is None:
        registry = checked_registry(validated(spec, build_moment(None).date(), progress))
    progress("deriving analysis sets and endpoints")
    derived: Derived = derive_ready(registry, spec) if spec.data.form == "patients" else derive(registry, spec)
    progress("computing statistics")
    study = analyse(derived, spec)
    _balance_warnings(spec, study, progress)
    return study


def _balance_warnings(spec: StudySpec, study: StudyResults, progress: Progress) -> None:
    """Warn of each weighting variable left unbalanced by a comparison's weights."""
    for key, comparison in spec.comparisons.items():
        for message in smd_breaches(key, comparison, study.comparisons[key]):
            progress(f"warning: {message}")


def _draw_here(drawings: list[Drawing]) -> None:
    for drawing in drawings:
        draw(drawing)


def study_documents(spec: StudySpec, study: StudyResults, figure_folder: Path, style: HouseStyle = HouseStyle(),
                    progress: Progress = lambda message: None, record: Provenance | None = None,
                    draw_all: Callable[[list[Drawing]], None] = _draw_here) -> Composed:
    """Build the tables, compose every document, and draw the figures they place into
    ``figure_folder`` (with ``draw_all``: by default one after the other, here).

    ``record`` is the build's provenance (the supplement's last page); without it the
    data are taken as they are now, unlocked, built today.
    """
    if record is None:
        record = study_provenance(spec, None, build_moment(None))
    style = study_style(style, spec)
    log = ReadLog()

    def reader(place: str) -> TextFormatter:
        return TextFormatter(study.results.reading(log, place), style)

    def placed_figures(keys: set[str]) -> dict[str, Figure]:
        progress("drawing figures")
        return study_figures(spec, study, reader, figure_folder, draw_all, keys)

    tables = study_tables(spec, reader, style)
    progress("composing " + ", ".join(spec.documents))
    documents, labels, text_shown = compose_documents(
        spec, tables, placed_figures, TextFormatter(study.results, style), page_stamp(spec, record.locked),
        lambda templates: provenance_tables(*_provenance_rows(record, style, templates)))
    shown_in: dict[str, list[str]] = {}
    # a result is shown where a placed table or figure read it (one built but not placed shows nothing), and in the text
    places = [(key, labels[place]) for key, places in log.places.items() for place in places if place in labels]
    for key, place in places + text_shown:
        if place not in shown_in.setdefault(key, []):
            shown_in[key].append(place)
    return Composed(documents, {key: tuple(places) for key, places in sorted(shown_in.items())})


def _json(data: object) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _write(job: Job) -> None:
    writer, arguments, options = job
    writer(*arguments, **options)


def _cached_map(cache: Cache, workers: Workers, function: Callable, jobs: list[tuple[object, str, list[Path]]]) -> None:
    """Run ``function`` on the workers over the jobs (item, cache key, the files it writes) whose files the
    cache does not have, and keep the files they write."""
    missing = [(item, key, files) for item, key, files in jobs if not cache.restore(key, files)]
    workers.map(function, [item for item, _, _ in missing])
    for _, key, files in missing:
        cache.keep(key, files)


def _drawn_with_cache(cache: Cache, workers: Workers, journal: Path | None = None, style: HouseStyle = HouseStyle(),
                      progress: Progress = lambda message: None) -> Callable[[list[Drawing]], None]:
    """Draw figures on the workers, each only when the cache has no drawing of the same function and data;
    with a ``journal`` folder, then export each there for journal submission, cached the same way."""
    def draw_all(drawings: list[Drawing]) -> None:
        _cached_map(cache, workers, draw, [(drawing, _figure_key(cache, drawing), drawing.files)
                                           for drawing in drawings])
        if journal is not None:  # after the drawings: a figure's PNG picks its journal column
            progress("exporting the figures for journal submission (TIFF, PDF, SVG)")
            exports = [journal_figure(drawing, journal, style) for drawing in drawings]
            _cached_map(cache, workers, export_journal_figure, [(job, _journal_key(cache, job), job.files)
                                                                for job in exports])
    return draw_all


def _drawn_from(drawing: Drawing) -> tuple[str, str, tuple]:
    """What a drawing is made from: its function (module and name) and its data."""
    return drawing.draw.__module__, drawing.draw.__qualname__, drawing.arguments


def _figure_key(cache: Cache, drawing: Drawing) -> str:
    """A drawing's cache key: what it is made from and the name of its file."""
    return cache.key("figure", *_drawn_from(drawing), drawing.path.name)


def _journal_key(cache: Cache, job: JournalFigure) -> str:
    """A journal export's cache key: what the drawing is made from, its key (its files' names), the columns'
    widths (inches) and the resolution, so an export for another journal's sizes is made anew."""
    return cache.key("journal-figure", *_drawn_from(job.drawing), job.drawing.key, job.widths, job.dpi)


def _job_key(cache: Cache, job: Job, base: Path) -> str:
    """A writer job's key: the writer, the document (figure paths relative to ``base``, with their
    files' bytes hashed), and the options (style files by their bytes, dates as given)."""
    writer, (document, target), options = job
    def relative(path: str | None) -> str | None:
        return path and Path(path).relative_to(base).as_posix()

    def digest(path: str | None) -> str | None:
        return path and sha256_of(Path(path))

    figures = [block for block in document.blocks if isinstance(block, Figure)]
    moved = {block.key: replace(block, path=relative(block.path), vector_path=relative(block.vector_path))
             for block in figures}
    blocks = tuple(moved.get(block.key, block) if isinstance(block, Figure) else block for block in document.blocks)
    files = [(digest(block.path), digest(block.vector_path)) for block in figures]
    style = {name: sha256_of(Path(value)) if name in ("css_path", "reference_docx") else value
             for name, value in options.items() if name not in ("base_dir", "allowed_dirs", "font_subsets")}
    # the model by its repr, which is its whole value (plain text and numbers); its pickle is not, as it
    # also records which equal strings happened to be one object
    return cache.key("document", writer.__module__, writer.__qualname__, target.name,
                     repr(replace(document, blocks=blocks)), files, sorted(style.items()))


def _run_writers(jobs: list[Job], workers: Workers, cache: Cache, base: Path) -> list[Path]:
    """Run the PDF and Word writers on the workers, each only when the cache has no file for the same
    document and options; the files written (the PDFs, the longest, start first)."""
    ordered = sorted(jobs, key=lambda job: job[0] is not write_pdf)
    _cached_map(cache, workers, _write, [(job, _job_key(cache, job, base), [job[1][1]]) for job in ordered])
    return [arguments[1] for _, arguments, _ in jobs]


@contextmanager
def _started(workers: Workers | int) -> Iterator[Workers]:
    """``workers`` if already started (by the command line, before the heavy imports), else new ones."""
    if isinstance(workers, Workers):
        yield workers
    else:
        with Workers(workers) as started:
            yield started


def analysed(spec: StudySpec, lock: Lock | None, moment: datetime, cache: Cache,
             progress: Progress = lambda message: None, workers: Workers | None = None
             ) -> tuple[Validation, tuple[LockedFile, ...] | None, StudyResults]:
    """Validate and analyse the study's data, or reuse the analysis of the same spec, export files
    and reference date from the cache; also the export's files, hashed (None for a database).

    The cached validation keeps its origin and problems (warnings), not the data themselves.
    When the analysis is computed, ``workers`` load the drawing packages meanwhile.
    """
    inputs = None if spec.data.source == "sql" else lock.files if lock else export_inputs(spec.data_path)
    key = cache.key("analysis", spec.path.read_bytes(), inputs, moment.date()) if inputs is not None else ""
    cached = cache.load(key) if key else None
    if cached is not None:
        validation, study = cached
        progress(f"reusing the analysis of these data (cached): {validation.origin}")
        for problem in validation.warnings:
            progress(f"warning: {problem}")
        _balance_warnings(spec, study, progress)
        return validation, inputs, study
    if workers is not None:
        workers.prepare_drawing()  # the figures will be drawn anew: the workers load matplotlib meanwhile
    validation = validated(spec, moment.date(), progress)
    study = analyse_study(spec, progress, validation.registry)
    if key:
        cache.store(key, (replace(validation, registry=None, raw=None), study))
    return validation, inputs, study


def build(study_path: str | Path, out: str | Path, style: HouseStyle = HouseStyle(),
          progress: Progress = lambda message: None, only: tuple[str, ...] = (),
          workers: Workers | int = DEFAULT_WORKERS, cache: bool = True, journal_figures: bool = False) -> BuildOutputs:
    """Build every document of a study into ``out`` (or only the documents named in ``only``,
    leaving the others as they were); on any error ``out`` is left as it was.

    With ``journal_figures``, every figure drawn is also exported for journal submission into
    ``out/journal/`` (``<key>.tif``, ``.pdf`` and ``.svg``, redrawn at the journal column width
    of ``style``: see :mod:`reportgen.format.journal`); a build without it removes that folder,
    so it never holds the figures of an earlier build.

    Figures are drawn and the PDF and Word files written on ``workers`` processes (default:
    the machine's cores, at most 4). With ``cache``, the analysis, figures and document
    files are reused from the study's cache folder when nothing they are made from has
    changed (see :mod:`reportgen.cache`); the outputs are the same bytes either way.

    Besides the documents: results.json (the store), provenance.json (what the build
    was made from, and the SHA-256 of each output) and shown_in.json (where each
    result is shown, for ``reportgen diff``).
    """
    progress("reading the study spec")
    spec = load_spec(study_path)
    style = study_style(style, spec)
    for name in only:
        if name not in spec.documents:
            raise SpecError(f"--only {name}: the study has no document {name!r} (it has: {', '.join(spec.documents)})")
    store = Cache(spec.folder / CACHE_FOLDER if cache else None)
    with _started(workers) as started:
        lock = verified_lock(spec, progress)
        moment = build_moment(lock)
        validation, inputs, study = analysed(spec, lock, moment, store, progress, started)
        record = study_provenance(spec, lock, moment, validation, inputs)
        out = Path(out).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".reportgen-build-", dir=out.parent))
        try:
            journal = scratch / JOURNAL_FOLDER if journal_figures else None
            composed = study_documents(spec, study, scratch / "figures", style, progress, record,
                                       _drawn_with_cache(store, started, journal, style, progress))
            (scratch / "results.json").write_text(study.results.to_json(), encoding="utf-8")
            (scratch / "shown_in.json").write_text(_json({"shown_in": composed.shown_in}), encoding="utf-8")
            written = [scratch / "results.json", scratch / "shown_in.json"]
            jobs: list[Job] = []
            for name, document in composed.documents.items():
                if only and name not in only:
                    continue
                jobs.append((write_pdf, (document, scratch / f"{name}.pdf"),
                             {"css_path": style.css, "base_dir": scratch, "allowed_dirs": (scratch, spec.folder),
                              "created": moment, "font_subsets": store if store.folder else None}))
                jobs.append((write_docx, (document, scratch / f"{name}.docx"),
                             {"reference_docx": style.reference_docx, "base_dir": scratch, "created": moment}))
            names = [arguments[1].name for _, arguments, _ in jobs]
            progress(f"writing {', '.join(names)}" + (f" ({started.count} processes)" if started.count > 1 else ""))
            written += _run_writers(jobs, started, store, scratch)
            outputs = _output_hashes(out, written) if only else {}
            outputs.update({file.name: sha256_of(file) for file in written})
            disclosure = {"disclosure": {"suppress_below": style.suppress_below}} if style.suppress_below else {}
            (scratch / "provenance.json").write_text(_json({**record.record(), **disclosure, "outputs": outputs}),
                                                     encoding="utf-8")
            written.append(scratch / "provenance.json")
            placed = BuildOutputs(out, _move_into_place(scratch, out, written))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    store.trim()
    if store.folder:
        progress(f"cache: {store.hits} items reused, {store.misses} made")
    progress("done")
    return placed


def _output_hashes(out: Path, replaced: list[Path]) -> dict[str, str]:
    """The hashes the previous provenance.json gave the outputs this build leaves as they were."""
    try:
        previous = json.loads((out / "provenance.json").read_text(encoding="utf-8")).get("outputs", {})
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    names = {file.name for file in replaced}
    return {name: digest for name, digest in previous.items() if name not in names and (out / name).exists()}


def _move_into_place(scratch: Path, out: Path, files: list[Path]) -> tuple[Path, ...]:
    """Replace the outputs in ``out`` by the finished ones (each move atomic)."""
    out.mkdir(parents=True, exist_ok=True)
    placed = []
    if (scratch / "figures").exists():
        placed += _replaced_folder(scratch / "figures", out / "figures")
    placed += _replaced_folder(scratch / JOURNAL_FOLDER, out / JOURNAL_FOLDER)  # none made: an older one goes
    for file in files:
        target = out / file.name
        file.replace(target)
        placed.append(target)
    return tuple(placed)


def _replaced_folder(new: Path, old: Path) -> list[Path]:
    """Put the folder ``new`` (if made) in the place of ``old``, removed first; the files placed."""
    if old.exists():
        shutil.rmtree(old)
    if not new.exists():
        return []
    new.replace(old)
    return sorted(old.iterdir())
