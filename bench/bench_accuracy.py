"""Accuracy rows: every model on the seed suites and the project's held-out suites.

It runs `python -m evaluation --format json` in a child process per model, with the cache off so
latency and tokens are measured now, and turns the per-suite figures into table rows beside the
cookbook's published anchors and the project's targets.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

SEED = ["straightforward", "challenging"]
HELD_OUT = ["positive", "reject", "multiturn", "compound"]
# suite -> (metric, target): the per-suite figures the README reports for local-ft
SUITE_TARGETS = {
    "positive": ("call_match", 0.91),
    "multiturn": ("call_match", 0.90),
    "compound": ("call_match", 0.90),
}

console = Console()


def with_interval(share: float, n: int, digits: int = 1) -> str:
    """'93.8% (90.1-96.2)': a share and its 95% Wilson interval over n cases."""
    from evaluation.stats import wilson

    ci = wilson(round(share * n), n)
    text = f"{share:.{digits}%}"
    return text if ci is None else f"{text} ({ci[0]:.{digits}%}–{ci[1]:.{digits}%})"


def evaluate(model: str, suites: list[str]) -> dict[str, Any]:
    """The evaluation's JSON payload for one model (runs, cases)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "evaluation", "--model", model, "--format", "json"]
        cmd += ["--no-cache", "--no-plots", "--output", str(Path(tmp) / "run")]
        for suite in suites:
            cmd += ["--suite", suite]
        console.print(f"[dim]$ {' '.join(cmd[1:])}[/dim]")
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"evaluation of {model} failed: {tail[0]}") from exc


def pooled(runs: list[dict[str, Any]], suites: list[str], metric: str) -> tuple[float, int]:
    """A metric over several suites, weighted by their case counts: (fraction, cases)."""
    chosen = [r for r in runs if r["suite"] in suites and r["n"]]
    n = sum(r["n"] for r in chosen)
    return (sum(r[metric] * r["n"] for r in chosen) / n if n else 0.0), n


def reject_recall(cases: list[dict[str, Any]], suites: list[str]) -> tuple[int, int]:
    """(rejected, should be rejected) over the cases whose expected call is reject_request."""
    should = [
        c
        for c in cases
        if c["suite"] in suites and any(e["name"] == "reject_request" for e in c["expected"])
    ]
    got = sum(1 for c in should if c["actual"] and c["actual"][0]["name"] == "reject_request")
    return got, len(should)


def rows_for(model: str, payload: dict[str, Any], held_out: list[str]) -> list[dict[str, Any]]:
    runs, cases = payload["runs"], payload["cases"]
    ft = model == "local-ft"
    name, n_seed = pooled(runs, SEED, "name_match")
    hits = round(name * n_seed)
    rows = [
        {
            "figure": f"{model}: seed suites, name match",
            "value": f"{hits}/{n_seed}",
            "unit": "",
            "anchor": "gpt-3.5 base 16/20; ft challenging 10/10",
            "target": "20/20" if ft else "",
            "ok": (hits == n_seed) if ft else None,
        }
    ]
    for suite in SEED:
        run = next((r for r in runs if r["suite"] == suite), None)
        if run:
            rows.append(
                {
                    "figure": f"{model}: {suite}, call match",
                    "value": with_interval(run["call_match"], run["n"], 0),
                    "unit": "",
                    "anchor": "never scored (names only)",
                    "target": "no regression" if suite == "straightforward" else "",
                    "ok": None,
                }
            )
    if held_out:
        call, n = pooled(runs, held_out, "call_match")
        executed, _ = pooled(runs, held_out, "executed_match")
        got, should = reject_recall(cases, held_out)
        anchor = "FunctionGemma LoRA 53%→87%"
        rows += [
            {
                "figure": f"{model}: held-out suites ({n} cases), call match",
                "value": with_interval(call, n),
                "unit": "",
                "anchor": anchor,
                "target": "95% (the long goal)" if ft else "",
                "ok": None,
            },
            {
                "figure": f"{model}: held-out suites, executed match",
                "value": with_interval(executed, n),
                "unit": "",
                "anchor": "—",
                "target": "",
                "ok": None,
            },
            {
                "figure": f"{model}: held-out rejects recalled",
                "value": f"{got}/{should}, {with_interval(got / should, should)}"
                if should
                else "n/a",
                "unit": "",
                "anchor": "gpt-3.5 base 6/10, ft 10/10",
                "target": "≥ 93%" if ft else "",
                "ok": (should > 0 and got / should >= 0.93) if ft else None,
            },
        ]
    for suite_run in runs:
        if suite_run["suite"] in SUITE_TARGETS and suite_run["n"]:
            metric, target = SUITE_TARGETS[suite_run["suite"]]
            rows.append(
                {
                    "figure": f"{model}: {suite_run['suite']} ({suite_run['n']} cases), call match",
                    "value": with_interval(suite_run[metric], suite_run["n"]),
                    "unit": "",
                    "anchor": "BFCL: small models far below single calls"
                    if suite_run["suite"] != "positive"
                    else "narrow-task 270M: 91-97%",
                    "target": f"≥ {target:.0%}" if ft else "",
                    "ok": (suite_run[metric] >= target) if ft else None,
                }
            )
        if suite_run["suite"] == "compound" and suite_run["n"]:
            rows.append(
                {
                    "figure": f"{model}: compound, executed match / step accuracy",
                    "value": f"{with_interval(suite_run['executed_match'], suite_run['n'])} / "
                    f"{suite_run.get('step_accuracy', 0):.1%}",
                    "unit": "",
                    "anchor": "—",
                    "target": "≥ 92% executed" if ft else "",
                    "ok": (suite_run["executed_match"] >= 0.92) if ft else None,
                }
            )
        if suite_run["suite"] == "challenging":
            rows.append(
                {
                    "figure": f"{model}: eval latency p50 / p95 (challenging)",
                    "value": f"{suite_run['latency_ms_p50']:.0f} / {suite_run['latency_ms_p95']:.0f}",
                    "unit": "ms",
                    "anchor": "gpt-3.5 610 ms, ft 3519 ms",
                    "target": "≤ 300 ms p50" if ft else "",
                    "ok": (suite_run["latency_ms_p50"] <= 300) if ft else None,
                }
            )
    return rows


def run(quick: bool = False, models: list[str] | None = None) -> dict[str, Any]:
    models = models or ["local-base", "local-ft"]
    held_out = [] if quick else HELD_OUT
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {}
    for model in models:
        payload = evaluate(model, SEED + held_out)
        raw[model] = payload["runs"]
        rows += rows_for(model, payload, held_out)
    return {"rows": rows, "runs": raw}


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    for row in result["rows"]:
        console.print(row)
