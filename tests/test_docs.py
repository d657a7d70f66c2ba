"""The user guide's samples run: its commands in order in an empty folder, its Python as doctests.

A ``console`` block's lines starting with ``$ `` are commands (run by bash, with this
environment's ``reportgen`` first on the PATH); the lines under a command are what it must
print: each must appear in its output. A command whose shown output starts with
``reportgen:`` (an error message) must fail; every other must succeed.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide.md"


@dataclass(frozen=True)
class Command:
    line: str
    shown: tuple[str, ...]

    @property
    def fails(self) -> bool:
        return bool(self.shown) and self.shown[0].startswith("reportgen:")


def console_commands(markdown: str) -> list[Command]:
    """Every command of the ``console`` blocks, in order, with the lines shown under it."""
    commands: list[Command] = []
    for block in re.findall(r"^ *```console\n(.*?)^ *```", markdown, flags=re.M | re.S):
        for line in (line.strip() for line in block.splitlines()):
            if line.startswith("$ "):
                commands.append(Command(line[2:], ()))
            elif line and commands:
                commands[-1] = Command(commands[-1].line, (*commands[-1].shown, line))
    return commands


def test_the_guide_has_commands_to_run():
    commands = console_commands(GUIDE.read_text(encoding="utf-8"))
    assert len(commands) >= 10 and commands[0].line.startswith("reportgen init")
    assert any(command.fails for command in commands)


def test_the_guide_commands_run_and_print_what_it_shows(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in console_commands(GUIDE.read_text(encoding="utf-8")):
        run = subprocess.run(["bash", "-c", command.line], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=600)
        output = run.stdout + run.stderr
        assert (run.returncode != 0) == command.fails, f"$ {command.line}\n{output}"
        for line in command.shown:
            assert line in output, f"$ {command.line}\nexpected: {line}\ngot:\n{output}"


def test_the_guide_python_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    failures, tried = doctest.testfile(str(GUIDE), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("link", re.findall(r"\]\(([^)#]+)\)", GUIDE.read_text(encoding="utf-8")))
def test_the_guide_links_point_at_files(link):
    assert (GUIDE.parent / link).is_file()
