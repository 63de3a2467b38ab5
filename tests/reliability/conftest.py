"""Real pieces for the reliability tests: a recording for the replay backend, our server over it
on a loopback port, and a helper to run the project's commands as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot import ReplayBackend
from copilot.serve import create_app, running_server

ROOT = Path(__file__).resolve().parents[2]
RECORDED = {
    "Take off the drone to 50 meters": "takeoff_drone(altitude=50)",
    "Can you dance for me?": "reject_request()",
    "fly forward 50 m then snap a photo": 'control_drone_movement(direction="forward", '
    'distance=50)\ncontrol_camera(mode="photo")',
}
KEY = "drone-test-key-0123456789"


def write_recording(path: Path, answers: dict[str, str] = RECORDED) -> Path:
    path.write_text(
        "".join(json.dumps({"prompt": p, "output": o}) + "\n" for p, o in answers.items())
    )
    return path


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_recording(tmp_path_factory.mktemp("recording") / "answers.jsonl")


@pytest.fixture(scope="module")
def served(recording: Path) -> Iterator[str]:
    """Our server over the replay backend, no key (loopback only): its `/v1` URL."""
    with running_server(create_app(ReplayBackend(recording), "drone-test")) as url:
        yield url


@pytest.fixture(scope="module")
def served_with_key(recording: Path) -> Iterator[str]:
    with running_server(create_app(ReplayBackend(recording), "drone-test", api_key=KEY)) as url:
        yield url


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 60, **kwargs):
    """`python -m ARGS` from the repository root, captured as text."""
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=kwargs.pop("cwd", ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        **kwargs,
    )


def _one_line(text: str) -> bool:
    lines = text.strip().splitlines()
    return len(lines) == 1 and "Traceback" not in text


@pytest.fixture(scope="session")
def python_m():
    """Run `python -m ARGS` from the repository root: `python_m("evaluation", "--help")`."""
    return _run


@pytest.fixture(scope="session")
def one_line():
    """Whether a stderr is one line, and no traceback."""
    return _one_line


@pytest.fixture(scope="session")
def api_key() -> str:
    return KEY
