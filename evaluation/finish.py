"""The end of a run, live or imported: its reports, what it prints, and its exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from copilot import redact
from evaluation.junit import junit_xml
from evaluation.metrics import summaries
from evaluation.output import RunInfo, json_payload, runs_csv, write_reports
from evaluation.results import CaseResult

METRICS = {
    "name": "name_match",
    "call": "call_match",
    "valid": "valid",
    "executed": "executed_match",
    "steps": "step_accuracy",
}


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The options that decide what a finished run prints and how it exits."""
    add = parser.add_argument
    add("--format", choices=("table", "json", "csv", "junit"), default="table",
        help="stdout: the rich report (default), one JSON object, CSV rows per model+suite, "
        "or JUnit XML (one testcase per case and model)")  # fmt: skip
    add("--fail-under", type=float, metavar="PCT",
        help="exit 1 if any model+suite scores below PCT percent on --fail-metric")  # fmt: skip
    add("--fail-metric", choices=tuple(METRICS), default="call",
        help="the metric --fail-under checks, and a JUnit case fails on (default: call)")  # fmt: skip
    add("--no-plots", action="store_true", help="skip the PNG plots (faster)")


def finish(
    args: argparse.Namespace,
    directory: Path,
    results: list[CaseResult],
    info: RunInfo,
    plot_cache: Path | None,
    plots: bool,
) -> int:
    """Write the run directory's reports, print the `--format` asked for, and exit as
    `--fail-under` says: the end of a live run and of a batch import alike."""
    out = Console(soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(soft_wrap=False, width=140)  # a log file or pipe: room for the tables
    err = Console(stderr=True, soft_wrap=True)
    write_reports(directory, results, info, plots=plots, plot_cache=plot_cache)
    if args.format == "json":
        print(
            redact(json.dumps(json_payload(results, info.meta.get("load_ms")), ensure_ascii=False))
        )
    elif args.format == "csv":
        sys.stdout.write(redact(runs_csv(results)))
    elif args.format == "junit":
        sys.stdout.write(redact(junit_xml(results, METRICS[args.fail_metric])))
    else:
        from evaluation.report_terminal import print_report

        print_report(results, out, info.model_errors)
        out.print(f"Wrote {directory}/ (results.jsonl, summary.json, report.html, plots)")
    return _exit_code(args, results, info.model_errors, err)


def _exit_code(
    args: argparse.Namespace,
    results: list[CaseResult],
    model_errors: dict[str, str],
    err: Console,
) -> int:
    code = 0
    if args.fail_under is not None:
        key = METRICS[args.fail_metric]
        for s in summaries(results):
            value = getattr(s, key) * 100
            if value < args.fail_under:
                err.print(
                    f"[red]below --fail-under:[/] {s.model} · {s.suite}: {args.fail_metric} "
                    f"{value:.1f}% < {args.fail_under:g}%",
                    highlight=False,
                )
                code = 1
    for model, error in model_errors.items():
        err.print(f"[bold red]{model}[/] failed on every case: {error}", highlight=False)
        code = 1
    return code
