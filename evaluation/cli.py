"""`python -m evaluation`: replay suites against models, score them, report side by side."""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from copilot import redact
from evaluation.batch.cli import main as batch
from evaluation.cache import AnswerCache, default_cache_dir
from evaluation.finish import add_report_options, finish
from evaluation.manifest import MANIFEST_FILE, Manifest, ManifestError
from evaluation.output import RunInfo
from evaluation.results import RESULTS_FILE, CaseResult, ResultsWriter, read_results, repair_tail
from evaluation.runner import Evaluation, ModelHandle, open_model
from evaluation.suites import DEFAULT_SUITES, Suite, SuiteNotFound, known_suites, load_suite
from evaluation.suites import resolve_suites as resolve

DEFAULT_MODELS = ("local-base", "local-ft")
EXAMPLES = """
examples:
  python -m evaluation                                   # the cookbook study: seed suites, local-base vs local-ft
  python -m evaluation --suite all                       # add the project's larger suites
  python -m evaluation --model local-ft --suite reject --limit 20
  python -m evaluation --model gpt-4o-mini --concurrency 8   # needs OPENAI_API_KEY
  python -m evaluation --model my-model --base-url http://127.0.0.1:8000/v1
  python -m evaluation --suite my_cases.jsonl --model replay:answers.jsonl --format json
  python -m evaluation --suite evaluation/examples/plans.jsonl --model replay:evaluation/examples/plans_answers.jsonl
  python -m evaluation --suite data-13k/val.jsonl --model local-ft   # a fine-tuning file, decoded
  python -m evaluation --model local-ft --fail-under 95 --fail-metric call   # for CI
  python -m evaluation --resume runs/20261126-170000     # finish a run that was killed
  python -m evaluation --model gpt-4o-mini --repeats 5   # pass^5 beside the mean
  python -m evaluation --format junit --fail-under 90 > junit.xml   # CI: one testcase per case
  python -m evaluation batch --help                      # Batch API files: export, submit, import

exit codes: 0 done; 1 below --fail-under, or a model failed on every case; 2 bad usage
(unknown model or suite, a suite with no case to run, a --resume that disagrees with its run).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description="Replay prompt suites against models; score function name, call (or plan), "
        "validity, executed simulator state and step accuracy; write runs/<id>/ (results.jsonl, "
        "summary.json, report.html, plots).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--suite", action="append", metavar="NAME|PATH",
        help=f"a shipped suite ({', '.join(known_suites()) or 'none'}), 'all', or any JSONL file "
        f"in the suite format or the OpenAI fine-tuning format; repeatable "
        f"(default: {' '.join(DEFAULT_SUITES)})")  # fmt: skip
    add("--model", action="append", metavar="NAME",
        help=f"local-base, local-ft, an OpenAI model, replay:PATH ...; repeatable "
        f"(default: {' '.join(DEFAULT_MODELS)})")  # fmt: skip
    add("--base-url", help="OpenAI-compatible server for --model names (vLLM, Ollama, ours)")
    add("--limit", type=int, metavar="N", help="only the first N cases of each suite")
    add("--concurrency", type=int, default=4, metavar="N",
        help="requests in flight for API backends (local models run one at a time; default 4)")  # fmt: skip
    add("--output", type=Path, metavar="DIR", help="run directory (default: runs/<timestamp>)")
    add("--resume", type=Path, metavar="DIR",
        help="continue a run directory with the suites, models and limit it was started with "
        "(its manifest.json): cases already in its results.jsonl are not redone")  # fmt: skip
    add("--no-cache", action="store_true",
        help="ask the models again instead of reading the cache (fresh answers are stored)")  # fmt: skip
    add("--cache-dir", type=Path, help=f"answer cache (default: {default_cache_dir()})")
    add("--repeats", type=int, metavar="K",
        help="run each case K times and report pass^K (right in all K runs) beside the mean; "
        "deterministic models (local, replay) are asked once (default 1)")  # fmt: skip
    add_report_options(parser)
    add("--list", action="store_true", help="list the known models and suites, then exit")
    return parser


def _error(console: Console, message: str, code: int = 2) -> int:
    console.print(f"[bold red]error:[/] {redact(message)}", highlight=False)
    return code


def _list(console: Console) -> int:
    from copilot import list_models

    console.soft_wrap = True
    for info in list_models():
        state = "ready" if info.available else f"unavailable: {info.note}"
        console.print(f"{info.name:<16} {info.kind:<7} {info.description} ({state})")
    console.print("replay:PATH      replay  answers recorded in a JSONL file")
    console.print("suites: " + ", ".join(known_suites()) + ", all")
    return 0


def _open_models(names: list[str], base_url: str | None) -> list[ModelHandle]:
    from copilot import get_backend

    overrides = {"base_url": base_url} if base_url else {}
    return [open_model(n, lambda name: get_backend(name, **overrides)) for n in names]


def _plan(args: argparse.Namespace) -> tuple[Path, Manifest, bool]:
    """The run directory, its manifest, and whether the manifest is new; nothing is written.

    A resumed run takes its suites, models, base URL and limit from its manifest; one given again
    must agree with it.
    """
    models = list(dict.fromkeys(args.model)) if args.model else None
    if args.resume:
        path = args.resume / RESULTS_FILE
        if not path.exists():
            raise SuiteNotFound(f"nothing to resume: {path} does not exist")
        suites = resolve(args.suite) if args.suite else None
        manifest = Manifest.read(args.resume)
        if manifest is not None:
            manifest.check(suites, models, args.base_url, args.limit, args.repeats)
            return args.resume, manifest, False
        if suites is None or models is None:
            raise ManifestError(
                f"{args.resume} has no {MANIFEST_FILE} (a run from an older version): give the "
                "--suite and --model it was started with"
            )
        plots = not args.no_plots
        return args.resume, Manifest.start(suites, models, args.base_url, args.limit, plots), True
    directory = args.output or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    results = directory / RESULTS_FILE
    if results.exists() and results.stat().st_size > 0:  # an empty file holds no results
        raise SuiteNotFound(
            f"{directory} already holds results; use --resume {directory} to continue it, "
            "or another --output"
        )
    suites = resolve(args.suite)
    manifest = Manifest.start(
        suites, models or list(DEFAULT_MODELS), args.base_url, args.limit, not args.no_plots,
        args.repeats or 1,
    )  # fmt: skip
    return directory, manifest, True


def _load_suites(manifest: Manifest) -> list[Suite]:
    """The run's suites; one that holds no case to run is an error (`SuiteNotFound`)."""
    suites = [load_suite(p) for p in manifest.suites]
    for suite in suites:
        if not suite.cases:
            why = f": {suite.errors[0].reason}" if suite.errors else ""
            raise SuiteNotFound(f"{suite.path} holds no case to run{why}"[:300])
    return suites


def _open_run(directory: Path, manifest: Manifest, new: bool) -> list[CaseResult]:
    """Create (or reopen) the run directory; the finished results of a resumed run."""
    directory.mkdir(parents=True, exist_ok=True)
    if new:
        manifest.write(directory)
    path = directory / RESULTS_FILE
    path.touch()
    repair_tail(path)
    return read_results(path)


def _quiet_libraries() -> None:
    """Our progress bar says "loading <model>"; the libraries' own bars and deprecation notes
    would only break it up."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore", category=FutureWarning)


def _run_with_progress(
    evaluation: Evaluation,
    models: list[ModelHandle],
    suites: list[Suite],
    directory: Path,
    done: set[tuple[str, str, str, int]],
    manifest: Manifest,
    err: Console,
) -> list[CaseResult]:
    """Run every case not yet done, appending to results.jsonl, under a rich progress bar."""
    limit, repeats = manifest.limit, manifest.repeats
    total = sum(
        1
        for m in models
        for s in suites
        for c in s.cases[:limit]
        for r in range(repeats)
        if (m.name, s.name, c.id, r) not in done
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    progress = Progress(*columns, TimeElapsedColumn(), console=err, transient=True)
    with progress, ResultsWriter(directory / RESULTS_FILE) as writer:
        task = progress.add_task("evaluating", total=total)

        def loading(name: str) -> None:
            progress.update(task, description=f"loading {name}…")

        def advance(result: CaseResult) -> None:
            progress.update(task, advance=1, description=f"{result.model} · {result.suite}")

        for model in models:
            model.on_load = loading
        return evaluation.run(
            models, suites, writer, done=done, limit=limit, on_result=advance, repeats=repeats
        )


def _model_errors(models: list[ModelHandle], results: list[CaseResult]) -> dict[str, str]:
    """Models that could not start, or never produced any output (no key, server down...)."""
    errors = {m.name: m.error for m in models if m.error}
    for model in models:
        mine = [r for r in results if r.model == model.name]
        if mine and all(r.error and not r.raw for r in mine) and model.name not in errors:
            errors[model.name] = mine[0].error or "failed on every case"
    return errors


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["batch"]:  # a command group of its own: export, submit, import
        return batch(argv[1:])
    args = build_parser().parse_args(argv)
    _quiet_libraries()
    out = Console(soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(soft_wrap=False, width=140)  # a log file or pipe: room for the tables
    err = Console(stderr=True, soft_wrap=True)  # one-line messages stay one line
    if args.list:
        return _list(out)
    if args.limit is not None and args.limit < 1:
        return _error(err, "--limit must be at least 1")
    if args.repeats is not None and not 1 <= args.repeats <= 100:
        return _error(err, "--repeats must be between 1 and 100")
    try:
        directory, manifest, new = _plan(args)
        suites = _load_suites(manifest)
        models = _open_models(manifest.models, manifest.base_url)
        # only once the run can start: no empty run folders, and a finished run stays untouched
        previous = _open_run(directory, manifest, new)
    except ValueError as exc:  # SuiteNotFound, ManifestError, or UnknownModel (lists the names)
        return _error(err, str(exc))
    except OSError as exc:
        return _error(err, f"cannot write the run directory: {exc}")
    suite_errors = [str(e) for s in suites for e in s.errors]
    for line in suite_errors:
        err.print(f"[yellow]skipped[/] {line}", highlight=False)
    for model in models:
        if model.error:
            err.print(f"[red]{model.name}[/]: {model.error} (its cases count as errors)",
                      highlight=False)  # fmt: skip

    cache = AnswerCache(args.cache_dir, refresh=args.no_cache)
    cache.clean_stale()  # temporary files a killed run left behind
    evaluation = Evaluation(cache=cache, concurrency=args.concurrency)
    done = {r.key for r in previous}
    limit = manifest.limit
    try:
        new = _run_with_progress(evaluation, models, suites, directory, done, manifest, err)
    except KeyboardInterrupt:
        return _error(
            err,
            f"interrupted: finished cases are in {directory / RESULTS_FILE}; "
            f"continue with --resume {directory}",
            130,
        )

    wanted = {(m.name, s.name) for m in models for s in suites}
    results = [r for r in [*previous, *new] if (r.model, r.suite) in wanted]
    model_errors = _model_errors(models, results)
    meta = {
        "run_id": directory.name,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "models": {m.name: m.identity for m in models},
        "suites": [str(s.path) for s in suites],
        "limit": limit,
    }
    if manifest.repeats > 1:
        meta["repeats"] = manifest.repeats
    loads = {m.name: round(m.load_ms, 1) for m in models if m.load_ms is not None}
    if loads:  # loading is the model's start-up, never part of a case's latency
        meta["load_ms"] = loads
    info = RunInfo(meta, model_errors, suite_errors)
    plots = manifest.plots and not args.no_plots
    return finish(args, directory, results, info, cache.directory / "plots", plots)
