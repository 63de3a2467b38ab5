"""Evaluation harness speed: overhead per case, and a cached re-run of every suite.

    python -m bench.bench_evaluation [--quick]

Both figures use every shipped suite and two replay "models" (one answers every case right, one
refuses everything), so they measure the harness, not a model:
- overhead per case: suite case -> messages -> backend -> scoring (with the headless simulator
  for executed match) -> result appended to results.jsonl, with the cache off, in process;
- cached re-run: `python -m evaluation --suite all` exactly as a user types it (interpreter start,
  imports, terminal report, report.html and plots included) after a first run filled the cache.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
OVERHEAD_TARGET_MS = 5.0
CACHED_TARGET_S = 2.0


def _replays(directory: Path) -> tuple[list[str], int]:
    """Two recordings answering every shipped suite's prompts; returns --model values and n."""
    from evaluation.suites import load_suite, resolve_suites

    cases = [c for p in resolve_suites(["all"]) for c in load_suite(p).cases]
    right, refuse = directory / "right.jsonl", directory / "refuse.jsonl"
    with right.open("w") as r, refuse.open("w") as f:
        for case in cases:
            right_plan = "\n".join(map(str, case.plans[0]))  # a plan: one call a line
            r.write(json.dumps({"prompt": case.prompt, "output": right_plan}) + "\n")
            f.write(json.dumps({"prompt": case.prompt, "output": "reject_request()"}) + "\n")
    return [f"replay:{right}", f"replay:{refuse}"], len(cases)


def overhead_per_case_ms(models: list[str], directory: Path, repeats: int) -> tuple[float, int]:
    """Median wall time per case of the in-process harness, cache off, results written."""
    from copilot import get_backend
    from evaluation.cache import AnswerCache
    from evaluation.results import ResultsWriter
    from evaluation.runner import Evaluation, open_model
    from evaluation.suites import load_suite, resolve_suites

    suites = [load_suite(p) for p in resolve_suites(["all"])]
    handles = [open_model(m, get_backend) for m in models]
    evaluation = Evaluation(cache=AnswerCache(directory / "unused", enabled=False))
    samples, n = [], 0
    for i in range(repeats):
        with ResultsWriter(directory / f"overhead-{i}" / "results.jsonl") as writer:
            started = time.perf_counter()
            results = evaluation.run(handles, suites, writer)
            elapsed = time.perf_counter() - started
        n = len(results)
        samples.append(elapsed * 1000 / n)
    return statistics.median(samples), n


def cli_seconds(models: list[str], directory: Path, name: str) -> float:
    """Wall time of `python -m evaluation --suite all` for the given models."""
    argv = [sys.executable, "-m", "evaluation", "--suite", "all", "--cache-dir",
            str(directory / "cache"), "--output", str(directory / name)]  # fmt: skip
    for model in models:
        argv += ["--model", model]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "140"}
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"evaluation CLI failed: {done.stderr.strip()[-300:]}")
    return elapsed


def run(quick: bool = False) -> dict[str, Any]:
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp:
        directory = Path(tmp)
        models, n_cases = _replays(directory)
        per_case, n = overhead_per_case_ms(models, directory, repeats)
        cold = cli_seconds(models, directory, "cold")
        cached = statistics.median(
            cli_seconds(models, directory, f"cached-{i}") for i in range(repeats)
        )
    rows = [
        {
            "figure": f"evaluation harness overhead per case ({n} cases, cache off)",
            "value": round(per_case, 3),
            "unit": "ms",
            "anchor": "—",
            "target": f"< {OVERHEAD_TARGET_MS:g} ms",
            "ok": per_case < OVERHEAD_TARGET_MS,
        },
        {
            "figure": f"first run of every suite, 2 replay models ({n} cases, CLI)",
            "value": round(cold, 2),
            "unit": "s",
            "anchor": "—",
            "target": "",
            "ok": None,
        },
        {
            "figure": f"cached re-run of every suite, 2 models ({n} cases, CLI)",
            "value": round(cached, 2),
            "unit": "s",
            "anchor": "—",
            "target": f"< {CACHED_TARGET_S:g} s",
            "ok": cached < CACHED_TARGET_S,
        },
    ]
    _print(rows, repeats, n_cases)
    return {"rows": rows, "repeats": repeats, "suite_cases": n_cases}


def _print(rows: list[dict[str, Any]], repeats: int, n_cases: int) -> None:
    table = Table(title=f"evaluation harness ({n_cases} suite cases, median of {repeats})")
    for column in ("figure", "value", "target", ""):
        table.add_column(column)
    for row in rows:
        mark = "" if row["ok"] is None else ("[green]✓[/]" if row["ok"] else "[red]✗[/]")
        table.add_row(row["figure"], f"{row['value']} {row['unit']}", row["target"], mark)
    Console().print(table)


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    sys.exit(0 if all(r["ok"] is not False for r in result["rows"]) else 1)
