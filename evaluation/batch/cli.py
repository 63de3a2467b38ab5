"""`python -m evaluation batch export|submit|import`: the evaluation as Batch API files.

export writes the requests a live run would send; any engine answers them (`python -m copilot
batch` here, OpenAI Batch via `submit`, vLLM's `run_batch`, any `/v1/chat/completions` server);
import scores the answers with the live run's scorer and writes the same run directory.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console

from copilot import redact
from evaluation.batch.requests import (
    MAX_REQUESTS,
    BatchInputError,
    request_shards,
    shard_paths,
    validate_line,
)
from evaluation.finish import add_report_options, finish
from evaluation.output import RunInfo
from evaluation.results import RESULTS_FILE, ResultsWriter
from evaluation.suites import DEFAULT_SUITES, SuiteNotFound, load_suite, resolve_suites

EXAMPLES = """
examples, the scale-out path in three commands:
  python -m evaluation batch export --suite all --model local-ft --out requests.jsonl
  python -m copilot batch requests.jsonl --out results.jsonl     # or OpenAI Batch, or vLLM
  python -m evaluation batch import results.jsonl --output runs/batch

more examples:
  python -m evaluation batch export --model gpt-4o-mini --shards 3 --out req.jsonl   # req-1-of-3.jsonl ...
  python -m evaluation batch export --suite my_cases.jsonl --model local-ft --repeats 5 --out r.jsonl
  python -m evaluation batch submit requests.jsonl --out results.jsonl   # needs OPENAI_API_KEY
  python -m evaluation batch submit --batch-id batch_abc --out results.jsonl   # wait for one started
  python -m evaluation batch import out-1.jsonl out-2.jsonl out-3.jsonl --output runs/sharded
  python -m evaluation batch import results.jsonl --suite my_cases.jsonl --format junit

exit codes: 0 done; 1 below --fail-under, or a failed batch; 2 bad input (one line, no traceback).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation batch",
        description="Run the evaluation past one machine with OpenAI Batch API files: export "
        "the requests, answer them anywhere, import and score the answers.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter

    export = commands.add_parser(
        "export", help="write the requests a live run would send", epilog=EXAMPLES,
        formatter_class=raw, description="Write one Batch API request line per case, model "
        "and repeat: the body a live run sends (messages, tools, tool_choice, "
        "parallel_tool_calls, temperature, seed).",
    )  # fmt: skip
    export.add_argument("--suite", action="append", metavar="NAME|PATH",
                        help=f"as for a live run (default: {' '.join(DEFAULT_SUITES)})")  # fmt: skip
    export.add_argument("--model", action="append", required=True, metavar="NAME",
                        help="the model name the requests carry (body.model); repeatable")  # fmt: skip
    export.add_argument("--out", type=Path, required=True, help="the request file (JSONL)")
    export.add_argument("--shards", type=int, default=1, metavar="N",
                        help="write N files of whole cases: OUT-1-of-N.jsonl ...")  # fmt: skip
    export.add_argument("--limit", type=int, metavar="N", help="the first N cases of each suite")
    export.add_argument("--repeats", type=int, default=1, metavar="K",
                        help="K requests per case, for pass^K (default 1)")  # fmt: skip

    submit = commands.add_parser(
        "submit", help="run a request file on the OpenAI Batch API and download the output",
        epilog=EXAMPLES, formatter_class=raw,
        description="Upload a request file (files.create), start a batch (batches.create), poll "
        "it with progress (batches.retrieve), then download its output and error files "
        "(files.content) into one output file.",
    )  # fmt: skip
    submit.add_argument("requests", type=Path, nargs="?", help="the request file")
    submit.add_argument("--out", type=Path, required=True, help="the output file (JSONL)")
    submit.add_argument("--batch-id", help="wait for a batch already started instead")
    submit.add_argument("--base-url", help="another server with the same endpoints")
    submit.add_argument("--poll", type=float, default=10.0, metavar="S",
                        help="seconds between polls (default 10)")  # fmt: skip

    imp = commands.add_parser(
        "import", help="score Batch output files and write the run directory",
        epilog=EXAMPLES, formatter_class=raw,
        description="Score Batch API output files with the live run's scorer and write the "
        "same run directory and reports. A missing line is an error case; a duplicate or "
        "unknown custom_id is an error.",
    )  # fmt: skip
    imp.add_argument("outputs", type=Path, nargs="+", help="output files (shards together)")
    imp.add_argument("--output", type=Path, metavar="DIR",
                     help="run directory (default: runs/<timestamp>)")  # fmt: skip
    imp.add_argument("--suite", action="append", default=[], metavar="NAME|PATH",
                     help="a suite the requests were exported from, if not a shipped one")  # fmt: skip
    imp.add_argument("--limit", type=int, metavar="N",
                     help="the --limit the requests were exported with")  # fmt: skip
    add_report_options(imp)
    return parser


def export(args: argparse.Namespace, err: Console) -> int:
    if args.shards < 1 or args.repeats < 1 or (args.limit is not None and args.limit < 1):
        raise BatchInputError("--shards, --repeats and --limit must be at least 1")
    suites = [load_suite(p) for p in resolve_suites(args.suite)]
    for suite in suites:
        if not suite.cases:
            raise SuiteNotFound(f"{suite.path} holds no case to export")
    models = list(dict.fromkeys(args.model))
    shards = request_shards(models, suites, args.limit, args.repeats, args.shards)
    biggest = max(len(lines) for lines in shards)
    if biggest > MAX_REQUESTS:
        need = -(-sum(map(len, shards)) // MAX_REQUESTS)
        raise BatchInputError(
            f"{biggest} requests in one file is more than the Batch API's {MAX_REQUESTS:,}: "
            f"use --shards {need} or more"
        )
    try:
        validate_line(shards[0][0])  # the format as the openai package types it
    except ValueError as exc:
        raise BatchInputError(f"a request would not be a Batch API line: {exc}") from None
    for path, lines in zip(shard_paths(args.out, args.shards), shards, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        path.write_text(text, encoding="utf-8")
        err.print(f"{path}: {len(lines)} requests", highlight=False)
    return 0


def submit(args: argparse.Namespace, err: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from evaluation.batch.submit import download, make_client, start, wait

    if (args.requests is None) == (args.batch_id is None):
        raise BatchInputError("give a request file or --batch-id, not both")
    if args.requests is not None and not args.requests.is_file():
        raise BatchInputError(f"no request file {args.requests}")
    client = make_client(args.base_url)
    batch_id = args.batch_id or start(client, args.requests).id
    err.print(f"batch {batch_id} (continue later with --batch-id {batch_id})", highlight=False)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
    )
    with progress:
        task = progress.add_task("validating", total=None)

        def report(batch: object) -> None:
            counts = getattr(batch, "request_counts", None)
            done = (counts.completed + counts.failed) if counts else 0
            total = counts.total if counts and counts.total else None
            progress.update(task, description=str(batch.status), completed=done, total=total)

        batch = wait(client, batch_id, args.poll, report)
    lines = download(client, batch, args.out)
    err.print(f"{args.out}: {lines} lines", highlight=False)
    return 0


def import_(args: argparse.Namespace, err: Console) -> int:
    from evaluation.batch.importer import import_outputs

    if args.limit is not None and args.limit < 1:
        raise BatchInputError("--limit must be at least 1")
    imported = import_outputs(args.outputs, args.suite, args.limit)
    directory = args.output or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    path = directory / RESULTS_FILE
    if path.exists() and path.stat().st_size > 0:
        raise BatchInputError(f"{directory} already holds results; choose another --output")
    with ResultsWriter(path) as writer:
        for result in imported.results:
            writer.append(result)
    if imported.missing:
        err.print(f"[yellow]{imported.missing} requests had no output line[/]: scored as errors",
                  highlight=False)  # fmt: skip
    meta = {
        "run_id": directory.name,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "models": imported.identities,
        "suites": [str(s.path) for s in imported.suites],
        "limit": args.limit,
        "imported_from": [str(p) for p in args.outputs],
    }
    info = RunInfo(meta, suite_errors=[str(e) for s in imported.suites for e in s.errors])
    return finish(args, directory, imported.results, info, None, not args.no_plots)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    err = Console(stderr=True, soft_wrap=True)
    command = {"export": export, "submit": submit, "import": import_}[args.command]
    try:
        return command(args, err)
    except (BatchInputError, SuiteNotFound) as exc:
        err.print(f"[bold red]error:[/] {redact(str(exc))}", highlight=False)
        return 2
    except OSError as exc:
        err.print(f"[bold red]error:[/] {redact(str(exc))}", highlight=False)
        return 2
    except Exception as exc:  # the openai client's errors: one line, never a traceback
        if type(exc).__module__.startswith("openai"):
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            err.print(f"[bold red]error:[/] {redact(first)[:300]}", highlight=False)
            return 1
        raise
