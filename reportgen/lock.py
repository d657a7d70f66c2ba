"""Data locks and build provenance.

A data lock freezes a registry export: its manifest records the SHA-256, size and
row count of every file of the export folder, with the lock's name and date. The
study spec points to the manifest (``data.lock``); a build verifies the export
against it first and refuses, naming the file, if anything differs. A build on
unlocked data is a draft, and says so on every page.

Provenance is what a build was made from: the lock, the input hashes, the spec's
hash, reportgen's version and commit, the versions of the main packages and the
build date. The build date is the only moment a build writes into its outputs:
``SOURCE_DATE_EPOCH`` when set (reproducible-builds convention), else the lock's
date, else today's date for a draft, so that two builds of the same inputs give
the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

from reportgen import __version__
from reportgen.errors import ReportgenError
from reportgen.files import write_atomically

#: Version of the manifest's layout, so a later reportgen can read an older lock.
LOCK_FORMAT = 1
#: The manifest's default file name inside the export folder; never hashed itself.
LOCK_FILE = "lock.json"
#: Packages whose versions can change a number or a page, recorded in the provenance.
PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "lifelines", "matplotlib", "weasyprint", "python-docx",
            "jinja2", "pyyaml", "markdown-it-py")
DRAFT_STAMP = "DRAFT — UNLOCKED DATA"


class LockError(ReportgenError):
    """The registry export differs from its lock, or the lock manifest cannot be read."""


@dataclass(frozen=True)
class LockedFile:
    """One input file as locked: its name in the export folder, SHA-256, size and data rows."""

    name: str
    sha256: str
    bytes: int
    rows: int | None


@dataclass(frozen=True)
class Lock:
    """A lock manifest: name, date (ISO), and every file of the export."""

    name: str
    date: str
    files: tuple[LockedFile, ...]
    format: int = LOCK_FORMAT

    def to_json(self) -> str:
        record = asdict(self)
        record["files"] = [asdict(file) for file in self.files]
        return json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (exports can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _csv_records(path: Path) -> int:
    """Records of a CSV file, the header included, as ``csv.reader`` counts them (quoted newlines understood)."""
    with open(path, newline="", encoding="utf-8", errors="replace") as stream:
        return sum(1 for _ in csv.reader(stream))


def _hashed(path: Path) -> tuple[str, int | None]:
    """The SHA-256 of a file and, for a CSV, its data rows (records after the header), in one read.

    A CSV with no quote, carriage return or NUL byte has one record per line, so its lines are
    counted as the bytes go by (0.02 s for 70 MB); any other is parsed by ``csv.reader`` (a second
    read: 1 s for 70 MB), which understands quoted newlines."""
    digest = hashlib.sha256()
    lines, plain, last = 0, True, b""
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
            plain = plain and not any(byte in block for byte in (b'"', b"\r", b"\0"))
            last = block[-1:]
    if path.suffix.lower() != ".csv":
        return digest.hexdigest(), None
    records = lines + (last not in (b"", b"\n")) if plain else _csv_records(path)
    return digest.hexdigest(), max(records - 1, 0)


def _export_files(folder: Path) -> list[Path]:
    """Every file of the export folder (sub-folders included), lock manifests, READMEs (what a folder
    holds, said for people: not data) and hidden files excluded."""
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and path.name != LOCK_FILE and not path.name.endswith(".lock.json")
                  and not path.name.upper().startswith("README")
                  and not any(part.startswith(".") for part in path.relative_to(folder).parts))


def _locked_file(folder: Path, path: Path) -> LockedFile:
    digest, rows = _hashed(path)
    return LockedFile(path.relative_to(folder).as_posix(), digest, path.stat().st_size, rows)


def make_lock(folder: str | Path, name: str, lock_date: str | None = None) -> Lock:
    """The lock of the export in ``folder`` as it is now (``lock_date`` ISO, default today)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LockError(f"{folder}: the registry export folder does not exist")
    if not name.strip():
        raise LockError("a data lock needs a name (--name)")
    try:
        day = date.fromisoformat(lock_date) if lock_date else date.today()
    except ValueError:
        raise LockError(f"lock date {lock_date!r} is not a date in YYYY-MM-DD form") from None
    files = tuple(_locked_file(folder, path) for path in _export_files(folder))
    if not files:
        raise LockError(f"{folder}: the registry export folder has no files to lock")
    return Lock(name.strip(), day.isoformat(), files)


def write_lock(lock: Lock, path: Path) -> Path:
    """Write the manifest atomically (a temporary file beside it, then a rename)."""
    return write_atomically(path, lock.to_json())


def read_lock(path: str | Path) -> Lock:
    """A lock manifest from its JSON file, with a clear error if it is not one."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        files = tuple(LockedFile(**file) for file in record["files"])
        lock = Lock(record["name"], record["date"], files, record["format"])
    except FileNotFoundError:
        raise LockError(f"{path}: the lock manifest does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise LockError(f"{path}: not a reportgen lock manifest ({error})") from None
    if lock.format > LOCK_FORMAT:
        raise LockError(f"{path}: lock format {lock.format} is newer than this reportgen reads ({LOCK_FORMAT})")
    return lock


def verify_lock(lock: Lock, folder: str | Path, manifest: str | Path = LOCK_FILE) -> None:
    """Refuse, naming the file, if the export in ``folder`` differs from ``lock`` in any way:
    a file changed (its hash), missing, or added since the lock."""
    folder = Path(folder)
    locked = {file.name: file for file in lock.files}
    present = {path.relative_to(folder).as_posix(): path for path in _export_files(folder)}
    problems = []
    for name, file in locked.items():
        if name not in present:
            problems.append(f"{name} is missing (it was locked)")
        elif (digest := sha256_of(present[name])) != file.sha256:
            problems.append(f"{name} has changed since the lock (SHA-256 {digest[:12]}…, locked {file.sha256[:12]}…)")
    problems += [f"{name} was added after the lock" for name in sorted(present.keys() - locked.keys())]
    if problems:
        raise LockError(f"the registry export {folder} does not match the data lock {lock.name!r} "
                        f"({lock.date}, {manifest}):\n" + "\n".join(f"  - {problem}" for problem in problems)
                        + "\nRebuild from the locked export, or make a new lock with `reportgen lock`.")


def build_moment(lock: Lock | None, today: date | None = None) -> datetime:
    """The build date written into every output: SOURCE_DATE_EPOCH, else the lock date, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except ValueError:
            raise LockError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from None
    day = date.fromisoformat(lock.date) if lock else (today or datetime.now(timezone.utc).date())
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _git_commit() -> str:
    """reportgen's git commit when it runs from a checkout (with '-modified' for local changes), else ''."""
    source = Path(__file__).resolve().parent.parent
    if not (source / ".git").exists():
        return ""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "reportgen",
                                  "templates"], cwd=source, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("-modified" if changed.strip() else "")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True)
class Provenance:
    """What one build was made from (the supplement's last page and provenance.json)."""

    study_title: str
    spec_file: str
    spec_sha256: str
    templates: tuple[tuple[str, str], ...]
    lock_name: str
    lock_date: str
    inputs: tuple[LockedFile, ...]
    reportgen_version: str
    reportgen_commit: str
    python: str
    packages: tuple[tuple[str, str], ...]
    build_date: str
    synthetic: bool
    review_deadline: str = ""
    review_instructions: tuple[str, ...] = ()
    data_source: str = ""
    data_warnings: tuple[tuple[str, int], ...] = ()

    @property
    def locked(self) -> bool:
        return bool(self.lock_name)

    def record(self) -> dict:
        """The provenance as JSON-ready data (provenance.json)."""
        record = asdict(self)
        record["inputs"] = [asdict(file) for file in self.inputs]
        record["templates"] = dict(self.templates)
        record["packages"] = dict(self.packages)
        record["data_warnings"] = dict(self.data_warnings)
        return record


def export_inputs(folder: Path) -> tuple[LockedFile, ...]:
    """Every file of an export folder (or the one workbook), hashed now: the inputs of a build on unlocked data."""
    if folder.is_file():
        return (_locked_file(folder.parent, folder),)
    return tuple(_locked_file(folder, path) for path in _export_files(folder))


def provenance(spec_path: Path, templates_folder: Path, inputs: tuple[LockedFile, ...], lock: Lock | None,
               moment: datetime, study_title: str, synthetic: bool, review: tuple[str, tuple[str, ...]] = ("", ()),
               data_source: str = "", data_warnings: tuple[tuple[str, int], ...] = ()) -> Provenance:
    """The provenance of a build: ``inputs`` as locked (already verified) or hashed now;
    ``review`` is the spec's review deadline and instructions, for the review copies' cover;
    ``data_warnings`` the validation's warnings counted by file, column and message."""
    inputs = lock.files if lock else inputs
    templates = tuple((path.relative_to(templates_folder).as_posix(), sha256_of(path))
                      for path in _export_files(templates_folder)) if templates_folder.is_dir() else ()
    return Provenance(
        study_title=study_title, spec_file=spec_path.name, spec_sha256=sha256_of(spec_path), templates=templates,
        lock_name=lock.name if lock else "", lock_date=lock.date if lock else "", inputs=inputs,
        reportgen_version=__version__, reportgen_commit=_git_commit(),
        python=".".join(str(part) for part in sys.version_info[:3]),
        packages=tuple((package, _version(package)) for package in PACKAGES),
        build_date=moment.date().isoformat(), synthetic=synthetic,
        review_deadline=review[0], review_instructions=review[1], data_source=data_source,
        data_warnings=data_warnings,
    )
