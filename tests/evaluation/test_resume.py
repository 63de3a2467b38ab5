"""A run killed with SIGKILL resumes without losing or redoing a finished case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = 1500  # enough that the run is still going when it is killed


def write_big_suite(tmp_path: Path) -> tuple[Path, Path]:
    suite, answers = tmp_path / "big.jsonl", tmp_path / "answers.jsonl"
    calls = ['control_camera(mode="photo")', "set_drone_speed(speed=12)", "reject_request()"]
    expected = [
        {"name": "control_camera", "arguments": {"mode": "photo"}},
        {"name": "set_drone_speed", "arguments": {"speed": 12}},
        {"name": "reject_request", "arguments": {}},
    ]
    with suite.open("w") as s, answers.open("w") as a:
        for i in range(CASES):
            prompt = f"request number {i}"
            s.write(json.dumps({"id": f"b{i}", "prompt": prompt, "expected": [expected[i % 3]]}))
            a.write(json.dumps({"prompt": prompt, "output": calls[i % 3] if i % 7 else "junk"}))
            s.write("\n")
            a.write("\n")
    return suite, answers


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_sigkill_then_resume(tmp_path: Path) -> None:
    suite, answers = write_big_suite(tmp_path)
    run, cache = tmp_path / "run", tmp_path / "cache"
    common = ["--suite", str(suite), "--model", f"replay:{answers}", "--cache-dir", str(cache)]
    cmd = [sys.executable, "-m", "evaluation", *common, "--no-plots", "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*cmd, "--output", str(run)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results = run / "results.jsonl"
    deadline = time.monotonic() + 60
    while len(lines(results)) < 200 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL, "the run ended before it could be killed"

    before = results.read_text()
    complete = before[: before.rfind("\n") + 1].splitlines()
    assert 200 <= len(complete) < CASES
    done = subprocess.run(
        [*cmd, "--resume", str(run)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    after = lines(results)
    assert after[: len(complete)] == complete  # nothing finished was lost or rewritten
    ids = [json.loads(line)["id"] for line in after]
    assert len(ids) == len(set(ids)) == CASES  # nothing redone, nothing missing
    report = json.loads(done.stdout)
    assert report["runs"][0]["n"] == CASES
    # 1 case in 7 answers "junk" (never a refusal, never a match); the rest are right
    right = sum(1 for i in range(CASES) if i % 7) / CASES
    assert report["runs"][0]["call_match"] == pytest.approx(right, abs=1e-6)
    resumed = [json.loads(line) for line in after[len(complete) :]]
    assert not any(r["cached"] for r in resumed[1:])  # only the case in flight may be cached
