"""A real, throwaway PostgreSQL server for the tests: the ``postgres_url`` fixture.

Tests that read a registry from PostgreSQL need a real server (SQLite accepts SQL that
PostgreSQL rejects, and the other way round), so this module starts one on loopback
for the test session and throws it away afterwards. Import the fixture into a test
module to use it (there is deliberately no conftest.py)::

    from postgres import postgres_url  # noqa: F401  (a pytest fixture)

    def test_something(postgres_url): ...

The server binaries (``initdb``, ``pg_ctl``) come from Debian's layout,
``/usr/lib/postgresql/<version>/bin`` (highest version first), or from PATH. When they
are missing and we are root with apt-get, Debian's ``postgresql`` package is installed;
when that is impossible the tests are skipped with the reason. A server that is
installed but does not start is a failure, not a skip.

Set ``REPORTGEN_PG_BIN`` to a folder to look for the binaries only there (a self-built
PostgreSQL, or an empty folder to see what happens without a server); nothing is
installed then.

PostgreSQL refuses to run as root, so as root the server runs as Debian's ``postgres``
system user (through runuser) in a directory under /tmp that user owns.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_BIN_VARIABLE = "REPORTGEN_PG_BIN"
HOW_TO_RUN = "To run these tests, install Debian's PostgreSQL server (as root: apt-get install postgresql)."
SERVER_USER = "postgres"  # the system user Debian's package creates
ROLE, DATABASE = "reportgen", "registry"


def _has_server(folder: Path) -> bool:
    return all((folder / name).is_file() and os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)


def find_server_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None.

    ``$REPORTGEN_PG_BIN`` alone when set; otherwise Debian's newest
    ``/usr/lib/postgresql/*/bin``, then the folder of ``initdb`` on PATH.
    """
    if os.environ.get(PG_BIN_VARIABLE):
        folder = Path(os.environ[PG_BIN_VARIABLE])
        return folder if _has_server(folder) else None
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    on_path = [Path(found).resolve().parent for found in [shutil.which("initdb")] if found]
    return next((folder for folder in debian + on_path if _has_server(folder)), None)


def _apt_get(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = ["apt-get", "-o", "DPkg::Lock::Timeout=300", *arguments]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or b"").decode(errors="replace") + (error.stderr or b"").decode(errors="replace")
        return subprocess.CompletedProcess(command, 124, output, f"timed out after 600 s: {' '.join(command)}")


def install_server() -> str | None:
    """Install Debian's ``postgresql`` package; None on success, else why it was not possible.

    A failed install is retried once after ``apt-get update``, in case the package lists
    are stale (a fresh container has none at all).
    """
    if os.geteuid() != 0:
        return "not running as root, so Debian's postgresql package cannot be installed"
    if shutil.which("apt-get") is None:
        return "apt-get is not available to install Debian's postgresql package"
    install = ("install", "-y", "--no-install-recommends", "postgresql")
    result = _apt_get(*install)
    if result.returncode != 0:
        _apt_get("update")
        result = _apt_get(*install)
    if result.returncode == 0:
        return None
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
    return f"apt-get install postgresql failed (exit {result.returncode}); its last lines:\n{tail}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    """``command`` run as the ``postgres`` system user when we are root, else unchanged."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return ["su", SERVER_USER, "-s", "/bin/sh", "-c", shlex.join(command)]


def _run(command: list[str], cwd: Path, what: str, log: Path | None = None) -> None:
    """Run a server command as the server user; fail the test with its output (and log) if it fails."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    result = subprocess.run(_as_server_user(command), cwd=cwd, env=environment, capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace").splitlines()[-30:] if log and log.exists() else []
        pytest.fail(f"PostgreSQL {what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
                    + ("\nserver log (tail):\n" + "\n".join(server_log) if server_log else ""), pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL to a fresh, empty database ``registry`` owned by role ``reportgen``.

    The server is a new cluster in a temporary folder, listening on 127.0.0.1 only with
    trust authentication, fsync off; it is stopped and deleted at the end of the session.
    """
    folder = find_server_bin()
    if folder is None and not os.environ.get(PG_BIN_VARIABLE):
        problem = install_server()
        folder = find_server_bin()
        if folder is None:
            problem = problem or "apt-get install postgresql succeeded, yet initdb/pg_ctl are still not found"
            pytest.skip(f"No PostgreSQL server (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or on PATH: "
                        f"{problem}\n{HOW_TO_RUN}")
    if folder is None:
        pytest.skip(f"No PostgreSQL server (initdb, pg_ctl) in {PG_BIN_VARIABLE}={os.environ[PG_BIN_VARIABLE]}; "
                    f"unset it to use Debian's layout.\n{HOW_TO_RUN}")

    root = Path(tempfile.mkdtemp(prefix="reportgen-pg-", dir="/tmp"))
    data, log, port = root / "data", root / "server.log", _free_port()
    if os.geteuid() == 0:
        try:
            shutil.chown(root, SERVER_USER, SERVER_USER)
        except LookupError:
            shutil.rmtree(root)
            pytest.fail(f"PostgreSQL refuses to run as root and there is no '{SERVER_USER}' system user "
                        f"to run it as (Debian's postgresql package creates it).", pytrace=False)
    pg_ctl = str(folder / "pg_ctl")
    try:
        _run([str(folder / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres",
              "--encoding=UTF8", "--locale=C"], root, "initdb")
        _run([pg_ctl, "start", "-w", "-t", "60", "-D", str(data), "-l", str(log),
              "-o", f"-k {root} -c listen_addresses=127.0.0.1 -p {port} -F"], root, "start", log)
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f"CREATE ROLE {ROLE} LOGIN")
            connection.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        yield f"postgresql+psycopg://{ROLE}@127.0.0.1:{port}/{DATABASE}"
    finally:
        try:
            if (data / "postmaster.pid").exists():
                _run([pg_ctl, "stop", "-w", "-m", "fast", "-D", str(data)], root, "stop", log)
        finally:
            shutil.rmtree(root, ignore_errors=True)
