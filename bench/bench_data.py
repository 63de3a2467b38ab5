"""Benchmark: synthetic data generation with the templates teacher (finetune.generate).

Times the whole pipeline as `python -m finetune generate` runs it (sample, verify all four stages
with the simulator, dedupe, suite-overlap filter, stratified split, write JSONL) and reports
verified examples per minute, the median of several runs. Target: >= 1,000 a minute.

    python bench/bench_data.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from finetune.generate import generate, write_dataset  # noqa: E402
from finetune.quality.overlap import OverlapIndex  # noqa: E402
from finetune.teachers.templates import TemplateTeacher  # noqa: E402

TARGET_PER_MIN = 1000


def _one_run(n: int, seed: int, index: OverlapIndex) -> tuple[float, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        start = time.perf_counter()
        result = generate(TemplateTeacher(), n, seed, index=index)
        write_dataset(result, Path(tmp), index)
        seconds = time.perf_counter() - start
    return len(result.samples) / seconds * 60, result


def run(quick: bool = False) -> dict[str, Any]:
    n, repeats = (1000, 1) if quick else (2500, 3)
    index = OverlapIndex.from_suites()
    runs = [_one_run(n, seed, index) for seed in range(7, 7 + repeats)]
    rate = statistics.median(r for r, _ in runs)
    result = runs[0][1]
    stages = result.verifier.stage_rates()
    verified = result.verifier.passed["semantic"] / max(result.verifier.seen["format"], 1)
    makeup = result.makeup()
    rows = [
        {
            "figure": f"templates teacher: verified examples per minute ({n} examples, all 4 stages, write)",
            "value": round(rate),
            "unit": "/min",
            "anchor": "cookbook: 86 positives + 17 rejects from gpt-4o, never verified",
            "target": f">= {TARGET_PER_MIN:,}/min",
            "ok": rate >= TARGET_PER_MIN,
        },
        {
            "figure": "templates teacher: share passing all verification stages",
            "value": round(100 * verified, 1),
            "unit": "%",
            "anchor": "—",
            "target": "",
            "ok": None,
        },
        {
            "figure": f"dataset makeup (seed 7, n={n}): positive:reject, multi-turn",
            "value": f"{makeup['positive_to_reject']}, {makeup['multi_turn']} multi-turn",
            "unit": "",
            "anchor": "cookbook 86:17",
            "target": "",
            "ok": None,
        },
    ]
    _print(rows, stages, repeats)
    return {
        "rows": rows,
        "repeats": repeats,
        "n": n,
        "stages": stages,
        "dropped": dict(result.dropped),
    }


def _print(rows: list[dict[str, Any]], stages: dict[str, Any], repeats: int) -> None:
    table = Table(title=f"synthetic data generation (median of {repeats})")
    for column in ("figure", "value", "target", ""):
        table.add_column(column)
    for row in rows:
        mark = "" if row["ok"] is None else ("[green]✓[/]" if row["ok"] else "[red]✗[/]")
        table.add_row(row["figure"], f"{row['value']} {row['unit']}".strip(), row["target"], mark)
    table.add_row(
        "pass rate by stage",
        ", ".join(f"{s} {v['rate']:.1%}" for s, v in stages.items()),
        "",
        "",
    )
    Console().print(table)


if __name__ == "__main__":
    out = run(quick="--quick" in sys.argv)
    sys.exit(0 if all(r["ok"] is not False for r in out["rows"]) else 1)
