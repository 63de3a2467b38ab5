"""What a run leaves behind: `runs/<id>/` files, and the machine-readable stdout formats."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot import redact
from evaluation.metrics import CSV_KEYS, RUN_KEYS, SUMMARY_KEYS, per_function, summaries
from evaluation.results import CaseResult
from evaluation.stats import paired

CASE_KEYS = [
    "model",
    "suite",
    "id",
    "prompt",
    "expected",
    "actual",
    "name_match",
    "call_match",
    "valid",
    "executed_match",
    "latency_ms",
    "tokens",
    "error",
    "cached",
]


def _round(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def run_rows(results: Sequence[CaseResult], keys: Sequence[str] = RUN_KEYS) -> list[dict[str, Any]]:
    """One dict per model and suite: the `keys` of its summary, floats rounded."""
    return [{k: _round(v) for k, v in s.public(keys).items()} for s in summaries(results)]


def json_payload(
    results: Sequence[CaseResult], load_ms: dict[str, float] | None = None
) -> dict[str, Any]:
    """`{"runs": [...], "cases": [...]}` exactly as issue 5's schema (cases also say `cached`).

    The plan fields (`step_accuracy`, plan lengths, `expected_plans`) are in the run directory's
    files, `results.jsonl` and `summary.json`, not in this schema."""
    runs = run_rows(results)
    cases = []
    for r in results:
        data = r.to_dict()
        cases.append({k: data[k] for k in CASE_KEYS})
    payload = {"runs": runs, "cases": cases, "paired": [p.public() for p in paired(results)]}
    return {**payload, "load_ms": load_ms or {}}


def runs_csv(results: Sequence[CaseResult], keys: Sequence[str] = CSV_KEYS) -> str:
    """One CSV row per model and suite: the JSON `runs` columns, each interval as two columns
    (`call_match_ci95_low`, `call_match_ci95_high`), or `keys`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(keys), lineterminator="\n")
    writer.writeheader()
    writer.writerows(run_rows(results, keys))
    return buffer.getvalue()


@dataclass
class RunInfo:
    """What a run knows besides its results: settings, and the problems it met."""

    meta: dict[str, Any] = field(default_factory=dict)
    model_errors: dict[str, str] = field(default_factory=dict)
    suite_errors: list[str] = field(default_factory=list)


def write_summary(directory: Path, results: Sequence[CaseResult], info: RunInfo) -> Path:
    """`summary.json` (runs with step accuracy, per-function scores, problems, run settings) and
    `summary.csv` (its runs)."""
    functions = {}
    for model in dict.fromkeys(r.model for r in results):
        functions[model] = [vars(f) for f in per_function([r for r in results if r.model == model])]
    summary = {
        **info.meta,
        "runs": run_rows(results, SUMMARY_KEYS),
        "paired": [p.public() for p in paired(results)],
        "per_function": functions,
        "model_errors": info.model_errors,
        "suite_errors": info.suite_errors,
    }
    path = directory / "summary.json"
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    path.write_text(redact(text), encoding="utf-8")
    (directory / "summary.csv").write_text(redact(runs_csv(results, CSV_KEYS)), encoding="utf-8")
    return path


def write_reports(
    directory: Path,
    results: Sequence[CaseResult],
    info: RunInfo,
    plots: bool = True,
    plot_cache: Path | None = None,
) -> list[Path]:
    """Every file of a run directory except `results.jsonl` (written as cases finish)."""
    from evaluation.report_html import write_html

    directory.mkdir(parents=True, exist_ok=True)
    written = [write_summary(directory, results, info)]
    images: list[Path] = []
    if plots:
        from evaluation.plots import write_plots

        images = write_plots(results, directory, cache=plot_cache)
    written += images
    written.append(
        write_html(
            directory / "report.html",
            results,
            title=f"Drone copilot evaluation · {info.meta.get('run_id', directory.name)}",
            plots=images,
            model_errors=info.model_errors,
            suite_errors=info.suite_errors,
        )
    )
    return written
