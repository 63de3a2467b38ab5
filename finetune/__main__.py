"""`python -m finetune SUBCOMMAND ...`: the fine-tuning command line.

Each subcommand lives in its own module, listed once in `SUBCOMMANDS`. A module provides
`HELP` (one line), `EXAMPLES` (text shown under `--help`), `add_arguments(parser)` and
`run(args) -> int` (the exit code). Modules keep heavy imports (torch, transformers) inside `run`,
so `--help` stays fast. To add a subcommand, add one line here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType

# name -> module; one line per subcommand (data helper: generate, check; trainer: train, jobs).
SUBCOMMANDS: dict[str, str] = {
    "generate": "finetune.generate",
    "check": "finetune.quality.check",
    "train": "finetune.training.cli",
    "jobs": "finetune.training.jobs",
    "card": "finetune.training.card",
    "export": "finetune.training.export",
}


def _load(module_name: str) -> ModuleType | None:
    """The subcommand's module, or None while it is not written yet."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m finetune",
        description="Synthetic data, dataset checks and fine-tuning for the drone copilot.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  python -m finetune generate --teacher templates --n 2500 --seed 7 --out data/\n"
        "  python -m finetune check data/train.jsonl\n"
        "  python -m finetune train --backend local --data data/train.jsonl --val data/val.jsonl\n"
        "  python -m finetune jobs\n"
        "  python -m finetune export --gguf drone-copilot.gguf\n"
        "run `python -m finetune SUBCOMMAND --help` for each subcommand's options",
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for name, module_name in SUBCOMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        child = sub.add_parser(
            name,
            help=module.HELP,
            description=module.HELP,
            epilog=getattr(module, "EXAMPLES", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(child)
        child.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
