"""The command line: ``reportgen build | validate | lock | diff | review``.

Errors reportgen raises on purpose print as a short message and exit with status 1
(2 for bad usage); ``--traceback`` shows the full trace for a bug report.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from reportgen import __version__
from reportgen.errors import DataValidationError, ReportgenError
from reportgen.scaffold import STARTING_POINTS  # names only: no heavy imports

# One BLAS thread (set before numpy loads): OpenBLAS otherwise starts a spinning thread per core,
# which on a shared 2-core machine made the analysis 4-7x slower at 150,000 patients (measured), and
# the last bits of some results at that scale depend on the thread count.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reportgen", description="Registry export in, draft manuscript out.")
    parser.add_argument("--version", action="version", version=f"reportgen {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback on error")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build a study's documents (PDF and Word)")
    build.add_argument("study", type=Path, help="the study folder or its study.yaml")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: STUDY/output)")
    build.add_argument("--quiet", action="store_true", help="no progress display")
    build.add_argument("--only", action="append", default=[], metavar="DOCUMENT",
                       help="build only this document (e.g. supplement), leaving the others as they were; repeatable")
    build.add_argument("--jobs", type=int, default=None, metavar="N",
                       help="processes drawing the figures and writing the PDF and Word files (default: the "
                            "machine's cores, at most 4)")
    build.add_argument("--no-cache", action="store_true",
                       help="recompute everything, neither reusing nor keeping results, figures or documents in "
                            "the study's cache (.reportgen-cache)")
    build.add_argument("--journal-figures", action="store_true",
                       help="also export every figure for journal submission into OUT/journal/: TIFF (600 dpi, "
                            "LZW), PDF and SVG, redrawn at a journal column's width")
    init = commands.add_parser("init", help="start a new study folder that builds at once (on the synthetic "
                                             "registry, or on public analysis-ready data)")
    init.add_argument("folder", type=Path, help="the new study's folder (new, or empty)")
    init.add_argument("--from", dest="source", default="starter", choices=tuple(STARTING_POINTS),
                      help="starter: a short study (default); example: the whole example manuscript and supplement; "
                           "gbsg2: analysis-ready data, one row per patient")
    validate = commands.add_parser("validate", help="check a study's data: every problem, grouped and counted "
                                                    "(terminal, HTML and CSV)")
    validate.add_argument("study", type=Path, help="the study folder or its study.yaml")
    validate.add_argument("--out", type=Path, default=None,
                          help="where validation.html and validation.csv go (default: STUDY/output)")
    lock = commands.add_parser("lock", help="lock a registry export: a manifest of its files' SHA-256 and rows")
    lock.add_argument("data", type=Path, help="the registry export folder")
    lock.add_argument("--name", required=True, help="the lock's name, e.g. 2026-Q4")
    lock.add_argument("--date", default=None, help="the lock's date, YYYY-MM-DD (default: today)")
    lock.add_argument("--out", type=Path, default=None, help="the manifest file (default: DATA/lock.json)")
    diff = commands.add_parser("diff", help="what moved between two builds (or two lock manifests)")
    diff.add_argument("old", type=Path, help="the older build folder (or lock manifest)")
    diff.add_argument("new", type=Path, help="the newer build folder (or lock manifest)")
    diff.add_argument("--out", type=Path, default=None, help="also write diff.html and diff.pdf into this folder")
    review = commands.add_parser("review", help="stamped, line-numbered copies of a locked build, one per reviewer")
    review.add_argument("build", type=Path, help="the build folder (made from locked data)")
    review.add_argument("--reviewers", type=Path, required=True, help="a text file: one reviewer's name per line")
    review.add_argument("--date", default=None, help="the review date printed on each copy (default: today)")
    review.add_argument("--out", type=Path, default=None, help="where the lock's folder of copies goes "
                                                               "(default: BUILD/review)")
    spec = commands.add_parser("spec", help="the study spec's reference: every key of study.yaml")
    spec.add_argument("--help-keys", action="store_true",
                      help="print every key: its type, default, allowed values, description and an example")
    spec.add_argument("section", nargs="?", default=None, help="only this top-level section, e.g. endpoints")
    spec.add_argument("--markdown", action="store_true", help="as Markdown (docs/spec-reference.md)")
    return parser


class _ProgressDisplay:
    """Prints each stage with the time it started, on stderr so stdout stays for results."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.start:5.1f}s] {message}", file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    from reportgen.workers import DEFAULT_WORKERS, Workers

    study = args.study
    folder = study if study.is_dir() else study.parent
    out = args.out or folder / "output"
    # the worker processes start before the heavy imports below, and warm up while the data are analysed
    with Workers(args.jobs or DEFAULT_WORKERS) as workers:
        from reportgen.build import build

        outputs = build(study, out, progress=_ProgressDisplay(args.quiet), only=tuple(args.only), workers=workers,
                        cache=not args.no_cache, journal_figures=args.journal_figures)
    print(f"Built {len(outputs.files)} files in {outputs.folder}:")
    for file in outputs.files:
        if file.parent == outputs.folder:
            print(f"  {file.name}")
    print("  figures/")
    if args.journal_figures:
        print("  journal/")
    return 0


def _init(args: argparse.Namespace) -> int:
    from reportgen.scaffold import init_study

    files = init_study(args.folder, args.source)
    print(f"Wrote a new study ({args.source}) in {args.folder}, {len(files)} files:")
    for name in ("study.yaml", "templates", "data"):
        print(f"  {name}{'/' if name != 'study.yaml' else ''}")
    print(f"Build it with: reportgen build {args.folder}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from reportgen.lock import build_moment, read_lock
    from reportgen.spec import load_spec
    from reportgen.validation import terminal_text, validate_data, write_reports

    spec = load_spec(args.study)
    lock = read_lock(spec.lock_path) if spec.data.lock else None
    validation = validate_data(spec, build_moment(lock).date())
    print(terminal_text(validation))
    html, table = write_reports(validation, args.out or spec.folder / "output")
    print(f"Reports: {html} and {table}")
    return 1 if validation.errors or validation.registry is None else 0


def _lock(args: argparse.Namespace) -> int:
    from reportgen.lock import LOCK_FILE, make_lock, write_lock

    lock = make_lock(args.data, args.name, args.date)
    path = write_lock(lock, args.out or args.data / LOCK_FILE)
    print(f"Locked {len(lock.files)} files of {args.data} as {lock.name!r} ({lock.date}) in {path}:")
    for file in lock.files:
        rows = "" if file.rows is None else f"{file.rows} rows, "
        print(f"  {file.name}: {rows}SHA-256 {file.sha256[:16]}…")
    print("Point the study spec at it (data: lock: <path from the study folder>); builds then verify it.")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from reportgen.diff import difference, report_document, terminal_text

    found = difference(args.old, args.new)
    print(terminal_text(found))
    if args.out:
        from reportgen.render.reports import write_report

        for path in write_report(report_document(found), args.out, "diff"):
            print(f"Wrote {path}")
    return 0


def _review(args: argparse.Namespace) -> int:
    from reportgen.review import review_copies

    manifest = review_copies(args.build, args.reviewers, args.date, args.out)
    print(f"Review copies in {manifest.parent}; who got which copy: {manifest.name}")
    return 0


def _spec(args: argparse.Namespace) -> int:
    from reportgen.spec_reference import reference_markdown, reference_text

    if not args.help_keys:
        print("reportgen spec: give --help-keys to print every key of study.yaml", file=sys.stderr)
        return 2
    print((reference_markdown if args.markdown else reference_text)(args.section), end="")
    return 0


COMMANDS = {"build": _build, "init": _init, "validate": _validate, "lock": _lock, "diff": _diff, "review": _review,
            "spec": _spec}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except DataValidationError as error:
        if args.traceback:
            raise
        print(f"reportgen: the study's data did not validate.\n{error}\n"
              "`reportgen validate STUDY` writes every problem to an HTML and a CSV report.", file=sys.stderr)
        return 1
    except ReportgenError as error:
        if args.traceback:
            raise
        print(f"reportgen: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a file that cannot be read or written: disk full, no permission
        if args.traceback:
            raise
        print(f"reportgen: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1


def run() -> None:
    """The ``reportgen`` command: :func:`main`, then an immediate exit with its status.

    When ``main`` returns, every output is written and closed and the workers have exited; what
    is left is the interpreter freeing the build's objects one by one (0.2 s for the example,
    up to 0.5 s at 150,000 patients, measured), which ``os._exit`` skips. An exception that
    escapes ``main`` (``--traceback``, a bug) still ends the usual way, with its trace, and so does
    a run under a profiler or a tracer (pyinstrument, cProfile, coverage), which write their
    results at exit."""
    status = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(status)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
