"""The README's promises: its cheap commands run, its links resolve, and it stays short.

Commands are taken from the fenced ```bash blocks that directly follow a `<!-- runnable -->` line
in README.md. Only cheap commands are marked so: no model load, no network. Each block runs in
order in one temporary folder, with a leading `python` replaced by this interpreter and every
argument that starts with `runs/` moved under that folder, so nothing is written to the checkout.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKER = "<!-- runnable -->"
MAX_README_BYTES = 15_000
TIMEOUT_S = 120
# `finetune check` counts tokens with the Gemma tokenizer, which a fresh machine must first build
# from the packaged model (about a minute): run it only where the model cache already exists.
NEEDS_MODEL_CACHE = ("python -m finetune check",)
WORK_LOG = re.compile(r"\bstop [0-9]+\b", re.IGNORECASE)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def runnable_blocks(text: str) -> list[list[str]]:
    """The commands of each ```bash block right after a runnable marker, one string per command.

    A line ending in a backslash continues on the next line; `#` comments are kept here and
    dropped when the command is split into arguments.
    """
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        assert i + 1 < len(lines) and lines[i + 1].strip() == "```bash", (
            f"README.md:{i + 1}: {MARKER} must be directly followed by a ```bash fence"
        )
        commands, pending = [], ""
        for body in lines[i + 2 :]:
            if body.strip() == "```":
                break
            pending += body.strip()
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            if pending:
                commands.append(pending)
            pending = ""
        blocks.append(commands)
    return blocks


BLOCKS = runnable_blocks(README.read_text(encoding="utf-8"))


def argv_for(command: str, workdir: Path) -> list[str]:
    """The command as arguments: `python` is this interpreter, `runs/...` lives in `workdir`."""
    argv = shlex.split(command, comments=True)
    assert argv and argv[0] == "python", f"a runnable command must start with python: {command}"
    assert not any(a in ("|", "&&", ";", ">") for a in argv), f"no shell syntax here: {command}"
    argv[0] = sys.executable
    return [str(workdir / a) if a.startswith("runs/") else a for a in argv]


def model_cache_ready() -> bool:
    from copilot.backends.local_model import BASE_DIR

    return (BASE_DIR / "config.json").exists()


def test_readme_marks_the_cheap_commands() -> None:
    commands = [c for block in BLOCKS for c in block]
    assert len(commands) >= 10, commands
    for expected in ("python -m copilot --help", "python -m evaluation --list"):
        assert any(c.startswith(expected) for c in commands), expected


@pytest.mark.parametrize("commands", BLOCKS, ids=[block[0].split("#")[0] for block in BLOCKS])
def test_runnable_block(commands: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    for command in commands:
        if command.startswith(NEEDS_MODEL_CACHE) and not model_cache_ready():
            pytest.skip(f"needs the cached Gemma tokenizer: {command}")
        done = subprocess.run(
            argv_for(command, tmp_path),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def test_readme_fits_its_budget() -> None:
    assert len(README.read_bytes()) <= MAX_README_BYTES


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_relative_links_point_to_files(path: Path) -> None:
    missing = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address, or a heading in the same file
        if not (path.parent / target.split("#")[0]).exists():
            missing.append(target)
    assert not missing, f"{path.name} links to missing files: {missing}"


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_docs_speak_of_the_software_not_the_work_log(path: Path) -> None:
    hits = [m.group() for m in WORK_LOG.finditer(path.read_text(encoding="utf-8"))]
    assert not hits, f"{path.name}: {hits}"
