"""Rich tables for a generation run: makeup, verification pass rates, what was dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def print_report(
    result: Any, paths: dict[str, Path] | None = None, console: Console | None = None
) -> None:
    console = console or Console()
    stats = result.stats()
    makeup = stats["makeup"]

    stages = Table(title="verification by stage")
    for col in ("stage", "seen", "passed", "pass rate"):
        stages.add_column(col, justify="right" if col != "stage" else "left")
    for stage, row in stats["stages"].items():
        stages.add_row(stage, str(row["seen"]), str(row["passed"]), f"{row['rate']:.1%}")
    console.print(stages)

    kinds = Table(title="makeup and pass rate by kind")
    for col in ("kind", "kept", "quota", "generated", "verified", "pass rate"):
        kinds.add_column(col, justify="right" if col != "kind" else "left")
    passes = stats["by_kind_pass"]
    for kind, quota in result.quotas.items():
        p = passes.get(kind, {"total": 0, "verified": 0, "rate": 1.0})
        kinds.add_row(
            kind,
            str(makeup["by_kind"].get(kind, 0)),
            str(quota),
            str(p["total"]),
            str(p["verified"]),
            f"{p['rate']:.1%}",
        )
    console.print(kinds)

    dropped = ", ".join(f"{k} {v}" for k, v in sorted(stats["dropped"].items())) or "none"
    console.print(
        f"examples {makeup['examples']} (train {makeup['train']}, val {makeup['val']}); "
        f"positives {makeup['positives']}, rejects {makeup['rejects']} "
        f"(positive:reject {makeup['positive_to_reject']}); dropped: {dropped}"
    )
    console.print(
        f"{stats['verified_per_minute']} verified examples per minute ({stats['seconds']} s)"
    )
    if stats["teacher"]:
        console.print("teacher: " + ", ".join(f"{k} {v}" for k, v in stats["teacher"].items()))
    if paths:
        console.print("wrote " + ", ".join(str(p) for p in paths.values()))
