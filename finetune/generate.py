"""`python -m finetune generate`: make verified, deduplicated, held-out-clean training data.

The loop asks a teacher for samples of whichever kind is furthest below its quota, verifies each
(format, schema, execution, semantic), drops exact and near duplicates and anything that overlaps
an evaluation suite, and stops when every quota is met. Then a stratified train/val split is
written as JSONL in the OpenAI chat fine-tuning format, with `stats.json` beside it. Ctrl-C stops
the loop and still writes what was verified so far.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from finetune.dataset import Sample, near_key, normalize, stratified_split, to_example, write_jsonl
from finetune.quality.overlap import OverlapIndex, SuitesError, check_prompts
from finetune.quality.verify import Verifier
from finetune.teachers.invocations import all_combos, combo_key
from finetune.teachers.mix import COMPOUND_SHARE, CONTEXT_SHARE, quotas

# The command's default recipe for the templates teacher (what `python -m finetune train`'s
# defaults are measured on, docs/experiments.md); `generate()` itself keeps the mix's own shares.
RECIPE_SHARES = {"context_share": 0.22, "compound_share": 0.28}
HELP = "generate verified fine-tuning data (templates offline, or any OpenAI-compatible model)"
EXAMPLES = """examples:
  # the default recipe: 7,000 examples into data/, what `python -m finetune train` reads
  python -m finetune generate
  # the 45-minute recipe's size, with more multi-turn (it takes the place of positives)
  python -m finetune generate --n 30000 --context-share 0.3 --out data-30k/
  # every out-of-range and enum-miss reject as weighted, for a model without our decoder
  python -m finetune generate --value-rejects 1 --out data-api/
  python -m finetune generate --teacher gpt-4o --n 600 --per-call 2 --out data-gpt4o/
  python -m finetune generate --teacher local-ft --base-url http://127.0.0.1:8000/v1 --n 200 --out data-x/
"""


class Teacher(Protocol):
    name: str

    def batch(self, kind: str, rng: random.Random) -> list[Sample]: ...

    def stats(self) -> dict[str, int]: ...


class OverlapError(RuntimeError):
    """The data to be written still overlaps an evaluation suite."""


@dataclass
class Result:
    train: list[Sample]
    val: list[Sample]
    verifier: Verifier
    quotas: dict[str, int]
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> count
    attempts: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    teacher_stats: dict[str, int] = field(default_factory=dict)

    @property
    def samples(self) -> list[Sample]:
        return self.train + self.val

    def makeup(self) -> dict[str, Any]:
        kinds = Counter(s.kind for s in self.samples)
        n = len(self.samples)
        by_function = Counter(s.call.name for s in self.samples)
        rejects = by_function.get("reject_request", 0)
        every = all_combos()
        combos = {combo_key(s.call) for s in self.samples if not s.is_reject}
        land = Counter(
            s.call.arguments.get("location") for s in self.samples if s.call.name == "land_drone"
        )
        return {
            "examples": n,
            "train": len(self.train),
            "val": len(self.val),
            "positives": n - rejects,
            "rejects": rejects,
            "positive_to_reject": f"{(n - rejects) / rejects:.2f}:1" if rejects else "n/a",
            "by_kind": dict(sorted(kinds.items())),
            "by_function": dict(sorted(by_function.items())),
            "land_locations": dict(sorted(land.items())),
            "multi_turn": sum(bool(s.history) for s in self.samples),
            "invocations_covered": f"{len(combos & every)}/{len(every)}",
        }

    def stats(self) -> dict[str, Any]:
        return {
            "makeup": self.makeup(),
            "stages": self.verifier.stage_rates(),
            "by_kind_pass": self.verifier.kind_rates(),
            "dropped": dict(self.dropped),
            "attempts": self.attempts,
            "seconds": round(self.seconds, 2),
            "verified_per_minute": round(len(self.samples) / self.seconds * 60, 1)
            if self.seconds
            else None,
            "interrupted": self.interrupted,
            "teacher": self.teacher_stats,
        }


def _next_kind(
    quota: dict[str, int], have: Counter[str], tried: Counter[str], limit: int
) -> str | None:
    """The kind furthest below its quota that has not used up its attempts."""
    best, best_gap = None, 0.0
    for kind, target in quota.items():
        if have[kind] >= target or tried[kind] >= limit * max(target, 1):
            continue
        gap = (target - have[kind]) / target
        if gap > best_gap:
            best, best_gap = kind, gap
    return best


def generate(
    teacher: Teacher,
    n: int,
    seed: int,
    *,
    val_fraction: float = 0.1,
    index: OverlapIndex | None = None,
    execute: bool = True,
    max_attempts_per_sample: int = 6,
    progress: Any = None,
    value_rejects: float = 1.0,
    context_share: float | None = None,
    compound_share: float | None = None,
) -> Result:
    """Verified, deduplicated, suite-clean samples, split into train and val.

    `context_share` is the multi-turn share of `n`, `compound_share` the share of compound
    requests (plans and their refusals); None = the teacher's own default."""
    rng = random.Random(seed)
    index = index if index is not None else OverlapIndex.from_suites()
    if context_share is None:
        context_share = getattr(teacher, "context_share", CONTEXT_SHARE)
    if compound_share is None:
        compound_share = getattr(teacher, "compound_share", COMPOUND_SHARE)
    quota = quotas(
        n,
        context_share=context_share,
        value_rejects=value_rejects,
        compound_share=compound_share,
    )
    verifier = Verifier(execute=execute)
    kept: list[Sample] = []
    have: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    exact_seen: dict[str, str] = {}
    near_seen: set[str] = set()
    start = time.perf_counter()
    interrupted = False
    try:
        while (kind := _next_kind(quota, have, tried, max_attempts_per_sample)) is not None:
            tried[kind] += 1
            batch = teacher.batch(kind, rng)
            if not batch:
                dropped["teacher_garbage"] += 1
            for sample in batch:  # a batch may hold other kinds too (a reject's valid twin)
                if have[sample.kind] >= quota.get(sample.kind, 0):
                    dropped["quota_full"] += sample.kind != kind
                    continue
                if not verifier.verify(sample, to_example(sample)):
                    dropped["verification"] += 1
                    continue
                earlier = [m["content"] for m in sample.history if m.get("role") == "user"]
                context = " || ".join(normalize(t) for t in earlier)
                norm = (
                    f"{context} || {normalize(sample.prompt)}"
                    if context
                    else normalize(sample.prompt)
                )
                key = (
                    f"{context} || {near_key(sample.prompt)}"
                    if context
                    else near_key(sample.prompt)
                )
                if norm in exact_seen:
                    dropped[
                        "exact_duplicate"
                        if exact_seen[norm] == " ; ".join(map(str, sample.calls))
                        else "conflicting_duplicate"
                    ] += 1
                    continue
                if key in near_seen:
                    dropped["near_duplicate"] += 1
                    continue
                if any(index.match(t) is not None for t in [sample.prompt, *earlier]):
                    dropped["suite_overlap"] += 1
                    continue
                exact_seen[norm] = " ; ".join(map(str, sample.calls))
                near_seen.add(key)
                kept.append(sample)
                have[sample.kind] += 1
                if progress is not None:
                    progress(len(kept), n)
    except KeyboardInterrupt:
        interrupted = True
    train, val = stratified_split(kept, val_fraction, random.Random(seed + 1))
    return Result(
        train=train,
        val=val,
        verifier=verifier,
        quotas=quota,
        dropped=dropped,
        attempts=sum(tried.values()),
        seconds=time.perf_counter() - start,
        interrupted=interrupted,
        teacher_stats=teacher.stats(),
    )


def write_dataset(
    result: Result, out: Path, index: OverlapIndex | None = None, meta: dict[str, Any] | None = None
) -> dict[str, Path]:
    """Write train.jsonl, val.jsonl and stats.json; refuse (OverlapError) if any prompt overlaps."""
    index = index if index is not None else OverlapIndex.from_suites()
    prompts = [s.prompt for s in result.samples]
    prompts += [m["content"] for s in result.samples for m in s.history if m.get("role") == "user"]
    report = check_prompts(prompts, index)
    if report.overlaps:
        raise OverlapError(
            "refusing to write data that overlaps the evaluation suites:\n" + report.summary()
        )
    out.mkdir(parents=True, exist_ok=True)
    paths = {"train": out / "train.jsonl", "val": out / "val.jsonl", "stats": out / "stats.json"}
    # each file is written under a temporary name; all three are renamed once all are written,
    # so a failure (or a kill) leaves the previous dataset whole
    staged = {key: path.with_name(f".{path.name}.partial") for key, path in paths.items()}
    try:
        write_jsonl(staged["train"], (to_example(s) for s in result.train))
        write_jsonl(staged["val"], (to_example(s) for s in result.val))
        stats = {**(meta or {}), **result.stats(), "suite_prompts_checked": report.suite_prompts}
        staged["stats"].write_text(json.dumps(stats, indent=2) + "\n")
        for key, path in paths.items():
            os.replace(staged[key], path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return paths


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--teacher",
        default="templates",
        help="'templates' (offline, default) or a model name for an OpenAI-compatible server",
    )
    parser.add_argument(
        "--n", type=int, default=7000, help="examples to keep, train + val (default 7000)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=7,
        help="random seed; the same seed gives the same data (default 7)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("data"), help="output folder (default data/)"
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share held out for validation (default 0.1)",
    )
    parser.add_argument(
        "--base-url",
        help="OpenAI-compatible server for a model teacher (e.g. http://127.0.0.1:8000/v1)",
    )
    parser.add_argument(
        "--per-call",
        type=int,
        default=2,
        help="prompts a model teacher writes per invocation (default 2)",
    )
    parser.add_argument(
        "--suites",
        type=Path,
        action="append",
        help="suite file or folder to keep out of the data (default: evaluation/suites/)",
    )
    parser.add_argument(
        "--value-rejects",
        type=float,
        default=0.33,
        help="scale the out-of-range and enum-miss rejects: 1 = as weighted, 0 = none, for a "
        "model whose decoder refuses impossible values itself (default 0.33)",
    )
    parser.add_argument(
        "--context-share",
        type=float,
        help="share of multi-turn examples, templates teacher only (default "
        f"{RECIPE_SHARES['context_share']})",
    )
    parser.add_argument(
        "--compound-share",
        type=float,
        help="share of compound requests (plans of 2-4 calls and their refusals), templates "
        f"teacher only (default {RECIPE_SHARES['compound_share']})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the stats as JSON instead of tables"
    )


def make_teacher(args: argparse.Namespace) -> Teacher:
    if args.teacher == "templates":
        from finetune.teachers.templates import TemplateTeacher

        return TemplateTeacher()
    from finetune.teachers.model import ModelTeacher

    return ModelTeacher(args.teacher, base_url=args.base_url, per_call=args.per_call)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from finetune.report import print_report

    console = Console(stderr=True)
    if args.n < 1 or not 0 <= args.val_fraction < 1 or args.value_rejects < 0:
        console.print(
            "[red]error:[/] --n must be >= 1, --val-fraction in [0, 1) and --value-rejects >= 0"
        )
        return 2
    recipe = RECIPE_SHARES if args.teacher == "templates" else {}  # a model teacher: its own
    share = recipe.get("context_share") if args.context_share is None else args.context_share
    compound = recipe.get("compound_share") if args.compound_share is None else args.compound_share
    if compound is not None and not (
        0 <= compound < 1 and (compound == 0 or args.teacher == "templates")
    ):
        console.print(
            "[red]error:[/] --compound-share must be in [0, 1), and only the templates teacher "
            "writes compound requests"
        )
        return 2
    if share is not None and not (0 <= share < 1 and (share == 0 or args.teacher == "templates")):
        console.print(
            "[red]error:[/] --context-share must be in [0, 1), and only the templates teacher "
            "writes multi-turn examples"
        )
        return 2
    try:
        teacher = make_teacher(args)
    except Exception as exc:  # a missing key or client: one line
        console.print(f"[red]error:[/] {exc}")
        return 2
    try:
        index = OverlapIndex.from_suites(args.suites)
    except (FileNotFoundError, SuitesError) as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{teacher.name}: verified", total=args.n)
        result = generate(
            teacher, args.n, args.seed, val_fraction=args.val_fraction, index=index,
            progress=lambda done, total: bar.update(task, completed=done),
            value_rejects=args.value_rejects, context_share=share, compound_share=compound,
        )  # fmt: skip
    if not result.samples:
        console.print("[red]error:[/] no example passed verification; nothing written")
        return 1
    meta = {
        "teacher": teacher.name,
        "n": args.n,
        "seed": args.seed,
        "command": " ".join(["python -m finetune generate", *sys.argv[2:]]),
        # the data depends on the suites too: prompts near a suite prompt are left out
        "suites_sha256": index.fingerprint(),
    }
    try:
        paths = write_dataset(result, args.out, index, meta)
    except OverlapError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    except OSError as exc:  # the previous dataset, if any, is left whole
        console.print(f"[red]error:[/] cannot write {args.out}: {exc}", highlight=False)
        return 1
    if args.json:
        print(json.dumps(result.stats(), indent=2))
    else:
        print_report(result, paths)
    if result.interrupted:
        console.print(
            f"[yellow]interrupted:[/] wrote the {len(result.samples)} examples verified so far"
        )
        return 130
    short = args.n - len(result.samples)
    if short > 0:
        console.print(
            f"[yellow]warning:[/] {short} short of --n {args.n} (teacher output ran out or failed checks)"
        )
    return 0
