"""Scientific committee review copies of a locked build: ``reportgen review BUILD --reviewers FILE``.

For each reviewer and each document of the build, a stamped, line-numbered PDF and
Word copy (``reportgen.render.review``), with a cover page giving the review's
instructions and deadline from the study spec (recorded in the build's
provenance.json). Copies are made only of a locked build whose files are still the
ones it wrote (their SHA-256 is checked against provenance.json). One folder per
lock, one sub-folder per reviewer, and a manifest of who got which copy, with its hash.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

from reportgen.errors import ReportgenError
from reportgen.lock import sha256_of
from reportgen.render.review import Cover, review_docx, review_pdf


class ReviewError(ReportgenError):
    """The build cannot be sent for review (unlocked, altered) or the reviewers file is unusable."""


def slug(text: str) -> str:
    """A name as a folder name: 'Dr Ana Müller' → 'dr-ana-müller'."""
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "reviewer"


def read_reviewers(path: Path) -> tuple[str, ...]:
    """One reviewer per line; blank lines and lines starting with '#' are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ReviewError(f"{path}: the reviewers file does not exist") from None
    except UnicodeDecodeError:
        raise ReviewError(f"{path}: the reviewers file is not UTF-8 text") from None
    names = tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
    if not names:
        raise ReviewError(f"{path}: the reviewers file names no reviewer (one name per line)")
    seen: dict[str, str] = {}
    for name in names:
        if slug(name) in seen:
            raise ReviewError(f"{path}: reviewer {name!r} is listed twice (as {seen[slug(name)]!r})")
        seen[slug(name)] = name
    return names


def _locked_build(build: Path) -> dict:
    """The build's provenance, once it is shown to be locked and its documents unaltered."""
    try:
        record = json.loads((build / "provenance.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReviewError(f"{build}: no provenance.json; is it a reportgen build folder?") from None
    if not record.get("lock_name"):
        raise ReviewError(f"{build}: built on unlocked data (a draft); review copies are made of a locked build "
                          "(lock the export with `reportgen lock`, point the spec at it, and rebuild)")
    for name, digest in sorted(record.get("outputs", {}).items()):
        if name.endswith((".pdf", ".docx")) and sha256_of(build / name) != digest:
            raise ReviewError(f"{build / name} is not the file the build wrote (its SHA-256 differs from "
                              "provenance.json); rebuild before sending it for review")
    return record


def review_copies(build: str | Path, reviewers: str | Path, review_date: str | None = None,
                  out: str | Path | None = None) -> Path:
    """Write every reviewer's copies into ``out/<lock>/``; return the manifest's path.

    The lock's folder is replaced as a whole, and only once every copy is written.
    """
    build = Path(build)
    record = _locked_build(build)
    names = read_reviewers(Path(reviewers))
    try:
        day = date.fromisoformat(review_date).isoformat() if review_date else date.today().isoformat()
    except ValueError:
        raise ReviewError(f"review date {review_date!r} is not a date in YYYY-MM-DD form") from None
    if not record.get("review_deadline"):
        raise ReviewError("the study spec gives no review deadline (review: deadline: YYYY-MM-DD); "
                          "add it and rebuild")
    documents = sorted(name[:-len(".pdf")] for name in record["outputs"] if name.endswith(".pdf"))
    folder = Path(out or build / "review") / slug(record["lock_name"])
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        copies = []
        for name in names:
            (scratch / slug(name)).mkdir()
            for document in documents:
                cover = Cover(record["study_title"], document.capitalize(), name, day, record["review_deadline"],
                              tuple(record.get("review_instructions", ())),
                              f"Data lock {record['lock_name']} ({record['lock_date']})")
                for suffix, write in ((".pdf", review_pdf), (".docx", review_docx)):
                    copy = scratch / slug(name) / f"{document}{suffix}"
                    write(build / f"{document}{suffix}", copy, cover)
                    copies.append({"reviewer": name, "document": document, "file": copy.relative_to(scratch).as_posix(),
                                   "sha256": sha256_of(copy), "source_sha256": record["outputs"][f"{document}{suffix}"]})
        manifest = {"lock_name": record["lock_name"], "lock_date": record["lock_date"], "review_date": day,
                    "deadline": record["review_deadline"], "study_title": record["study_title"], "copies": copies}
        (scratch / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        scratch.replace(folder)
        return folder / "manifest.json"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
