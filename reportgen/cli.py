"""The command line: ``reportgen build STUDY [--out DIR]``.

Errors reportgen raises on purpose print as a short message and exit with status 1
(2 for bad usage); ``--traceback`` shows the full trace for a bug report.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from reportgen import __version__
from reportgen.errors import DataValidationError, ReportgenError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reportgen", description="Registry export in, draft manuscript out.")
    parser.add_argument("--version", action="version", version=f"reportgen {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback on error")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build a study's documents (PDF and Word)")
    build.add_argument("study", type=Path, help="the study folder or its study.yaml")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: STUDY/output)")
    build.add_argument("--quiet", action="store_true", help="no progress display")
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
    from reportgen.build import build

    study = args.study
    folder = study if study.is_dir() else study.parent
    out = args.out or folder / "output"
    outputs = build(study, out, progress=_ProgressDisplay(args.quiet))
    print(f"Built {len(outputs.files)} files in {outputs.folder}:")
    for file in outputs.files:
        if file.parent == outputs.folder:
            print(f"  {file.name}")
    print("  figures/")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _build(args)
    except DataValidationError as error:
        if args.traceback:
            raise
        print(f"reportgen: the registry export did not validate.\n{error}", file=sys.stderr)
        return 1
    except ReportgenError as error:
        if args.traceback:
            raise
        print(f"reportgen: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
