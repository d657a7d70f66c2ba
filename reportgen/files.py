"""Writing a file so that it is either the old one or the whole new one, never half of either.

Every output reportgen writes outside a build's scratch folder (a lock manifest, a
review copy, a diff report) goes through here: it is written to a temporary file in
the same folder, then renamed over the target in one step.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replacing(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; it replaces ``target`` when the block succeeds."""
    target = Path(target)
    try:
        handle, scratch = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:  # name the file the user asked for, not the temporary one
        raise OSError(error.errno, error.strerror, str(target)) from None
    os.close(handle)
    try:
        yield Path(scratch)
        os.chmod(scratch, 0o644)  # as an ordinary new file, not the temporary file's 0600
        os.replace(scratch, target)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)


def write_atomically(target: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``target`` atomically; return the target."""
    with replacing(target) as scratch:
        scratch.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(target)
