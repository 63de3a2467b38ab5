"""Real files for the evaluation tests: suites, replay recordings and a private answer cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from evaluation.suites import SUITES_DIR, load_suite

SEED = ("straightforward", "challenging")


def seed_cases():
    return [case for name in SEED for case in load_suite(SUITES_DIR / f"{name}.jsonl").cases]


def write_replay(path: Path, answers: dict[str, object], latency_ms: float = 5.0) -> Path:
    """A recording for the replay backend: one {"prompt", "output"} line per answer."""
    with path.open("w", encoding="utf-8") as handle:
        for prompt, output in answers.items():
            record = {"prompt": prompt, "output": output, "latency_ms": latency_ms,
                      "prompt_tokens": 40, "completion_tokens": 8}  # fmt: skip
            handle.write(json.dumps(record) + "\n")
    return path


def perfect_answers(cases=None) -> dict[str, object]:
    """Every case answered with its first expected call, in the compact syntax."""
    return {case.prompt: str(case.expected[0]) for case in (cases or seed_cases())}


@pytest.fixture
def perfect() -> dict[str, object]:
    """The seed suites answered right."""
    return perfect_answers()


@pytest.fixture
def replay(tmp_path: Path) -> Callable[..., str]:
    """`replay(answers, name=...)` writes a recording and returns its `--model` value."""

    def make(answers: dict[str, object], name: str = "answers", latency_ms: float = 5.0) -> str:
        path = write_replay(tmp_path / f"{name}.jsonl", answers, latency_ms)
        return f"replay:{path}"

    return make


def flawed() -> dict[str, object]:
    """The seed suites answered with three kinds of mistake, the rest right."""
    answers = perfect_answers()
    answers["Take off the drone to 50 meters"] = "takeoff_drone(altitude=60)"  # wrong argument
    answers["Can you dance for me?"] = "I am sorry, I cannot dance."  # malformed reject
    answers["Detect a person"] = "set_follow_me_mode(status='on')"  # wrong function
    return answers


@pytest.fixture
def flawed_answers() -> dict[str, object]:
    return flawed()


@pytest.fixture(scope="session")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two models on the seed suites, with every report and plot: base refuses everything,
    tuned makes the three mistakes of `flawed()`. Built once per test session."""
    from evaluation.cli import main

    root = tmp_path_factory.mktemp("report")
    answers = flawed()
    base = write_replay(root / "base.jsonl", dict.fromkeys(answers, "reject_request()"), 800)
    tuned = write_replay(root / "tuned.jsonl", answers, 40)
    argv = ["--model", f"replay:{base}", "--model", f"replay:{tuned}", "--cache-dir",
            str(root / "cache"), "--output", str(root / "run"), "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    return root / "run"


@pytest.fixture
def cli_args(tmp_path: Path) -> Callable[..., list[str]]:
    """Common flags: a private cache and an output directory inside tmp_path."""

    def make(*extra: str, output: str = "run", plots: bool = False) -> list[str]:
        args = ["--cache-dir", str(tmp_path / "cache"), "--output", str(tmp_path / output)]
        return [*args, *([] if plots else ["--no-plots"]), *extra]

    return make
