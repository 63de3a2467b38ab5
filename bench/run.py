"""One command that measures what this project exists for.

    python -m bench              # the full run (under 30 minutes on 2 CPU cores)
    python -m bench --quick      # a few minutes
    python -m bench --readme     # rewrite the README's performance section from results.json

Each section lives in its own module (`bench/bench_*.py`) with `run(quick) -> dict` returning
`{"rows": [...]}`; a row is `{"figure", "value", "unit", "anchor", "target", "ok"}`. This file
runs the sections, records the machine, prints one table and writes `bench/results.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
README = ROOT / "README.md"
FULL_TABLE = ROOT / "docs" / "results.md"  # every row; the README keeps the headline rows
HEADLINE_SECTIONS = ("accuracy",)  # in the README whole (local-base beside local-ft)
FULL_ONLY_SECTIONS = ("finetune", "reliability")  # only in docs/results.md
SECTIONS = [
    "accuracy", "checks", "backends", "runtimes", "finetune", "data", "evaluation", "simulator",
    "reliability", "clients",
]  # fmt: skip
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

console = Console()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = None
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu,
        "gpu": gpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run_section(name: str, quick: bool, models: list[str]) -> dict[str, Any]:
    module = importlib.import_module(f"bench.bench_{name}")
    started = time.perf_counter()
    kwargs: dict[str, Any] = {"quick": quick}
    if name in ("accuracy", "backends"):
        kwargs["models"] = models
    result = module.run(**kwargs)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def table(results: dict[str, Any]) -> Table:
    out = Table(title=f"drone copilot benchmark — {results['machine']['date']}")
    for column in ("section", "figure", "value", "anchor (cookbook / published)", "target", ""):
        out.add_column(column)
    for section, result in results["sections"].items():
        if "error" in result:
            out.add_row(section, "[red]failed[/red]", result["error"], "", "", "✗")
            continue
        for row in result.get("rows", []):
            ok = row.get("ok")
            mark = "" if ok is None else ("[green]✓[/green]" if ok else "[red]✗[/red]")
            value = f"{row['value']} {row.get('unit', '')}".strip()
            out.add_row(
                section, row["figure"], value, row.get("anchor", ""), row.get("target", ""), mark
            )
    return out


def _headline(section: str, row: dict[str, Any]) -> bool:
    """A row for the README: the accuracy section whole, and every other row with a target
    (the training and reliability figures stay in docs/results.md)."""
    if section in FULL_ONLY_SECTIONS:
        return False
    return section in HEADLINE_SECTIONS or bool(row.get("target"))


def _by_day(remeasured: dict[str, list[str]]) -> dict[str, list[str]]:
    """{"2026-12-06": [sections]} from {"2026-12-06 03:54 UTC": [sections], ...}."""
    days: dict[str, list[str]] = {}
    for date, names in sorted(remeasured.items()):
        days.setdefault(date.split()[0], []).extend(names)
    return days


def markdown(results: dict[str, Any], headline: bool = False) -> str:
    """The Results table, generated from results.json: every row, or only the headline rows."""
    m = results["machine"]
    lines = [
        f"Last full run: {m['date']}, {m['cores']} cores, {m['cpu']}"
        + (f", GPU {m['gpu']}" if m.get("gpu") else ", no GPU")
        + (" (quick run)" if results.get("quick") else "")
        + "".join(
            f"; {', '.join(names)} measured again {day}"
            for day, names in _by_day(results.get("remeasured", {})).items()
        )
        + ". Regenerate with `python -m bench && python -m bench --readme`."
        + " Accuracies carry their 95% Wilson interval in brackets.",
        "",
        "| figure | measured | cookbook / anchor | target | |",
        "|---|---|---|---|---|",
    ]
    for section, result in results["sections"].items():
        if "error" in result:
            lines.append(f"| {section} | failed: {result['error']} | | | ✗ |")
            continue
        for row in result.get("rows", []):
            if headline and not _headline(section, row):
                continue
            ok = row.get("ok")
            mark = "" if ok is None else ("✓" if ok else "✗")
            value = f"{row['value']} {row.get('unit', '')}".strip()
            lines.append(
                f"| {row['figure']} | {value} | {row.get('anchor', '')} | {row.get('target', '')} | {mark} |"
            )
    return "\n".join(lines)


def update_readme(results: dict[str, Any]) -> None:
    """The README's headline rows, and every row in docs/results.md."""
    text = README.read_text()
    if BEGIN not in text:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block to fill")
    block = f"{BEGIN}\n{markdown(results, headline=True)}\n{END}"
    README.write_text(
        re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    )
    FULL_TABLE.write_text(
        "# Results: every figure `python -m bench` measures\n\n"
        "Generated by `python -m bench --readme` from `bench/results.json`; the README shows the\n"
        "accuracy rows and every row with a target. How each figure is measured:\n"
        "[evaluation.md](evaluation.md), [decoding.md](decoding.md),\n"
        "[finetuning.md](finetuning.md), [architecture.md](architecture.md).\n\n"
        + markdown(results)
        + "\n"
    )
    console.print(
        f"README.md and {FULL_TABLE.relative_to(ROOT)} updated from {RESULTS.relative_to(ROOT)}"
    )


def merged(earlier: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """The earlier results with the sections of a partial run (`--only`) put in their place, and
    the date of the part noted under "remeasured", so that the table says which rows are newer."""
    if not earlier.get("sections"):
        return part
    sections = {**earlier["sections"], **part["sections"]}
    remeasured = {
        date: kept
        for date, names in earlier.get("remeasured", {}).items()
        if (kept := [name for name in names if name not in part["sections"]])
    }
    remeasured[part["machine"]["date"]] = list(part["sections"])
    return {
        **earlier,
        "sections": {name: sections[name] for name in SECTIONS if name in sections},
        "remeasured": remeasured,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure accuracy, latency, tokens, memory, training and simulator speed.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  python -m bench --quick                 # a few minutes\n"
        "  python -m bench                         # the full run (< 30 min on 2 cores)\n"
        "  python -m bench --only simulator data   # some sections\n"
        "  python -m bench --only reliability --output /tmp/r.json   # parser, server, kills, faults\n"
        "  python -m bench --only clients          # client frameworks against the server\n"
        "  python -m bench --model gpt-4o-mini     # add a model to the accuracy rows\n"
        "  python -m bench --readme                # README table from bench/results.json\n",
    )
    parser.add_argument("--quick", action="store_true", help="a run of a few minutes")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument(
        "--model", action="append", default=[], help="another model to measure (repeatable)"
    )
    parser.add_argument(
        "--readme", action="store_true", help="only rewrite the README table and docs/results.md"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="where to write results (with --only, merged into it)",
    )
    args = parser.parse_args(argv)

    if args.readme:
        if not args.output.exists():
            console.print(f"[red]no results yet at {args.output}: run python -m bench first[/red]")
            return 1
        update_readme(json.loads(args.output.read_text()))
        return 0

    models = ["local-base", "local-ft", *args.model]
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick, "sections": {}}
    for name in args.only or SECTIONS:
        console.rule(f"[bold]{name}")
        try:
            results["sections"][name] = run_section(name, args.quick, models)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted: writing what was measured so far[/yellow]")
            break
        except Exception as exc:  # one failing section must not lose the others
            traceback.print_exc()
            results["sections"][name] = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    if args.only and args.output.exists():
        results = merged(json.loads(args.output.read_text()), results)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    console.print(table(results))
    console.print(f"wrote {args.output}")
    return 1 if any("error" in r for r in results["sections"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
