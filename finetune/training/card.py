"""The model card (README.md) written beside every adapter the local trainer produces.

It records what a reader needs to trust or reproduce the adapter: the data hashes, every
hyperparameter, the wall time and device, the validation curve, the benchmark figures (added
after training by `add_evaluation`), and the Gemma terms the weights are under.
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finetune.training.config import TrainConfig, TrainResult

EVAL_START, EVAL_END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"

GEMMA_TERMS = (
    "The base model, Gemma 3 270M, is provided by Google under the "
    "[Gemma Terms of Use](https://ai.google.dev/gemma/terms) and its "
    "[Prohibited Use Policy](https://ai.google.dev/gemma/prohibited_use_policy). This adapter is "
    "a Model Derivative of Gemma: using or redistributing it, alone or merged into the base "
    "weights, is subject to the same terms, which must be passed on to its recipients."
)


def _commit() -> str:
    """The repository commit the adapter was trained at (data generator and trainer code)."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _data_command(data: str) -> list[str]:
    """The generator command that made the data, from the stats.json written beside it."""
    stats = Path(data).parent / "stats.json"
    try:
        command = json.loads(stats.read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        return []
    return [command] if isinstance(command, str) else []


def _size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6


def card_figures(cfg: TrainConfig, result: TrainResult) -> dict:
    """The card's key figures, also embedded as JSON so scripts (the benchmark) can read them."""
    state = result.state
    return {
        "n_train": result.n_train,
        "n_val": result.n_val,
        "examples_seen": state.examples,
        "steps": state.step,
        "epochs": cfg.epochs,
        "training_seconds": round(state.seconds, 1),
        "wall_seconds": round(result.wall_seconds, 1),
        "seconds_per_100_examples": round(state.seconds / max(1, state.examples) * 100, 1),
        "best_val_accuracy": state.best_accuracy,
        "device": result.device,
        "data_sha256": result.data_sha256,
    }


def read_card_figures(folder: str | Path) -> dict:
    """The figures `card_figures` embedded in an adapter's README.md."""
    path = Path(folder) / "README.md"
    if not path.exists():
        raise FileNotFoundError(f"no model card: {path} is missing")
    match = re.search(r"<!-- figures: (\{.*?\}) -->", path.read_text(encoding="utf-8"))
    if not match:
        raise ValueError(f"{path} has no figures block (written by an older trainer?)")
    return json.loads(match[1])


def _budget_note(cfg: TrainConfig, result: TrainResult) -> list[str]:
    """How to replay a run its time budget cut short, on a machine of any speed."""
    if result.stopped != "time budget":
        return []
    step, span = result.state.step, result.schedule_steps
    return [
        "",
        f"The time budget stopped this run at step {step} of the {span} its learning-rate "
        "schedule spans, so a faster or slower machine would stop elsewhere. To train this "
        f"adapter anywhere, replace `--max-minutes {cfg.max_minutes:g}` with "
        f"`--max-steps {step} --schedule-steps {span}`, and keep `--precision "
        f"{'bf16' if result.bf16 else 'fp32'}` and `--compile {'on' if result.compiled else 'off'}`.",
    ]


def render_card(folder: Path, cfg: TrainConfig, result: TrainResult) -> str:
    """The card's Markdown text."""
    state = result.state
    evals = [h for h in state.history if "val_accuracy" in h]
    minutes = state.seconds / 60
    per_100 = state.seconds / max(1, state.examples) * 100
    hyper = {k: v for k, v in asdict(cfg).items() if k not in ("quiet", "resume", "command")}
    lines = [
        "---",
        f"base_model: {cfg.base or 'google/gemma-3-270m'}",
        "library_name: peft",
        "license: gemma",
        "tags: [lora, function-calling, tool-use, drone-copilot]",
        "---",
        "",
        f"# {Path(cfg.export or folder).name}: a LoRA adapter that turns drone commands into tool calls",
        "",
        "Trained by `finetune/training/local.py` on the drone copilot's verified synthetic data. It "
        "reads the compact prompt of `copilot/formats.py` (no system prompt, no tool list) and "
        "writes calls such as `takeoff_drone(altitude=50)`, or `reject_request()`. A value it "
        "works out from what the user said is written as one operation, which the decoder's "
        'grammar and the parser evaluate: `control_camera(mode="video", duration=10*60)` for '
        "a ten-minute video (`finetune/targets.py`). The `local-ft` backend loads it by default.",
        "",
        "## Training",
        "",
        "| what | value |",
        "|---|---|",
        f"| training data | `{cfg.data}`: {result.n_train} examples, sha256 `{result.data_sha256}` |",
        f"| validation data | `{cfg.val}`: {result.n_val} examples"
        + (f" (a seeded sample, val_limit={cfg.val_limit})" if cfg.val_limit else "")
        + f", sha256 `{result.val_sha256}` |",
        f"| steps | {state.step} ({state.epoch} full epochs), stopped by: {result.stopped} |",
        f"| training time | {state.seconds:.0f} s ({minutes:.1f} min), {per_100:.1f} s per 100 examples |",
        f"| wall time of the command | {result.wall_seconds:.0f} s, loading and validation included |",
        f"| code | commit `{_commit()}` |",
        f"| device | {result.device}, {platform.processor() or platform.machine()} |",
        f"| best validation call accuracy | {state.best_accuracy:.1%} at step {state.best_step} |",
        f"| first / last training loss | {result.first_loss:.3f} / {result.last_loss:.3f} |",
        f"| adapter size | {_size_mb(folder):.1f} MB |",
        f"| written | {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC |",
        "",
        f"<!-- figures: {json.dumps(card_figures(cfg, result))} -->",
        "",
        "Validation call accuracy is teacher-forced exact match: the example counts when the "
        "model's most likely token is the target token at every position of the answer, which is "
        "what greedy decoding writes.",
        "",
        "## Reproduce",
        "",
        "```bash",
        *_data_command(cfg.data),
        cfg.command
        or f"python -m finetune train --backend local --data {cfg.data} --val {cfg.val}",
        "```",
        *_budget_note(cfg, result),
        "",
        "## Hyperparameters",
        "",
        "| name | value |",
        "|---|---|",
        *[f"| {k} | `{v}` |" for k, v in hyper.items()],
        "",
        "## Validation during training",
        "",
        "| step | epoch | val loss | val call accuracy |",
        "|---|---|---|---|",
        *[
            f"| {h['step']} | {h['epoch']} | {h['val_loss']:.4f} | {h['val_accuracy']:.1%} |"
            for h in evals
        ],
        "",
        "## Evaluation",
        "",
        EVAL_START,
        "Not measured yet: run `python -m evaluation` and add the figures with "
        "`python -m finetune card ADAPTER --evaluation FILE`.",
        EVAL_END,
        "",
        "## Terms",
        "",
        GEMMA_TERMS,
        "",
    ]
    return "\n".join(lines)


def write_card(folder: Path, cfg: TrainConfig, result: TrainResult) -> Path:
    path = Path(folder) / "README.md"
    path.write_text(render_card(Path(folder), cfg, result), encoding="utf-8")
    return path


def add_evaluation(folder: str | Path, markdown: str) -> Path:
    """Put benchmark figures (Markdown) into the card's Evaluation section, replacing old ones."""
    path = Path(folder) / "README.md"
    if not path.exists():
        raise FileNotFoundError(f"no model card: {path} is missing")
    text = path.read_text(encoding="utf-8")
    block = f"{EVAL_START}\n{markdown.strip()}\n{EVAL_END}"
    pattern = re.escape(EVAL_START) + r".*?" + re.escape(EVAL_END)
    if re.search(pattern, text, flags=re.S):
        text = re.sub(pattern, lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + f"\n\n## Evaluation\n\n{block}\n"
    tmp = path.with_name(f".{path.name}.partial")  # renamed into place: never half a card
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- `python -m finetune card`

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class RunFigures(BaseModel):
    """One (model, suite) row of an evaluation's summary.json, as the card shows it."""

    model_config = ConfigDict(extra="ignore")

    model: str
    suite: str
    n: Annotated[int, Field(ge=0)]
    name_match: Share | None = None
    call_match: Share | None = None
    valid: Share | None = None
    executed_match: Share | None = None
    reject_recall: Share | None = None
    latency_ms_p50: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    tokens_avg: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0


class EvaluationSummary(BaseModel):
    """What the card reads from `python -m evaluation`'s summary.json: its runs, and its date."""

    model_config = ConfigDict(extra="ignore")

    runs: Annotated[list[RunFigures], Field(min_length=1)]
    date: str = ""


class SummaryError(ValueError):
    """A file that is not an evaluation summary (one line, naming the first problem)."""


def read_summary(path: Path) -> EvaluationSummary:
    """The summary at `path`, validated; `SummaryError` says why not."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SummaryError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SummaryError(f"{path} cannot be read ({exc})") from None
    except ValueError as exc:
        raise SummaryError(f"{path} is not JSON ({exc})") from None
    try:
        return EvaluationSummary.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise SummaryError(
            f"{path} is not an evaluation summary (python -m evaluation's summary.json): "
            f"{where}: {first['msg']}"
        ) from None


HELP = "put evaluation figures (python -m evaluation's summary.json) into an adapter's model card"
EXAMPLES = """examples:
  python -m evaluation --suite all --model local-base --model local-ft --output runs/eval-ft
  python -m finetune card assets/adapters/drone-lora --evaluation runs/eval-ft/summary.json
"""


def evaluation_markdown(summary: EvaluationSummary | dict, source: str = "") -> str:
    """A Markdown table of every (model, suite) run in an evaluation summary."""
    if isinstance(summary, dict):
        summary = EvaluationSummary.model_validate(summary)

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    lines = [
        "| model | suite | cases | name match | call match | valid | executed | reject recall "
        "| p50 latency | tokens |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in summary.runs:
        lines.append(
            f"| {run.model} | {run.suite} | {run.n} | {pct(run.name_match)} "
            f"| {pct(run.call_match)} | {pct(run.valid)} "
            f"| {pct(run.executed_match)} | {pct(run.reject_recall)} "
            f"| {run.latency_ms_p50:.0f} ms | {run.tokens_avg:.0f} |"
        )
    note = f"Measured {summary.date}" + (f" (`{source}`)" if source else "") + "."
    return "\n".join([note, "", *lines])


def add_arguments(parser: Any) -> None:
    parser.add_argument("adapter", help="the adapter folder (holds README.md)")
    parser.add_argument(
        "--evaluation", required=True, help="summary.json of a python -m evaluation run"
    )


def run(args: Any) -> int:
    import sys

    path = Path(args.evaluation)
    card = Path(args.adapter) / "README.md"
    try:
        if not card.is_file():
            raise SummaryError(f"no model card: {card} is missing")
        summary = read_summary(path)  # checked whole before the card is touched
        add_evaluation(args.adapter, evaluation_markdown(summary, str(path)))
    except SummaryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"updated {card}")
    return 0
