"""`python -m finetune check FILE`: the cookbook's data-preparation checks, for the tools format.

- format errors by type (the cookbook's kinds, plus tool-call and plan kinds), each with its line
  number and, for calls and plans, what is wrong. A plan (several `tool_calls` in one assistant
  message) needs `"parallel_tool_calls": true` on its line and must pass `copilot.plan_error`
  (1 to 4 calls, `reject_request` alone);
- token counts (min, max, mean, p10, p90) with the real tokenizer of the target model (Gemma 3
  270M), for the text the local trainer trains on, and for the whole OpenAI example;
- examples over the limit (the local trainer's `max_tokens`, and OpenAI's per-example limit);
- the epochs and billed-token estimate an OpenAI job would use (the cookbook's rule).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from copilot import FUNCTIONS, ToolCall, plan_error, validate_call
from finetune.dataset import read_jsonl

HELP = "check a fine-tuning JSONL file: format errors, token counts, limits, OpenAI epochs and billed tokens"
EXAMPLES = """examples:
  python -m finetune check data/train.jsonl
  python -m finetune check data/train.jsonl --max-tokens 128 --json
"""

# The cookbook's constants for OpenAI jobs.
MAX_TOKENS_PER_EXAMPLE = 16385
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25
LOCAL_MAX_TOKENS = 256  # the local trainer's default limit (finetune.training.local)
ROLES = {"system", "user", "assistant", "tool"}
MESSAGE_KEYS = {"role", "content", "name", "tool_calls", "tool_call_id", "weight", "function_call"}


def format_problems(example: Any) -> list[tuple[str, str]]:
    """(kind, what is wrong) for every problem of one example; empty when it is fine.

    The detail is empty where the kind says it all; plans and invalid calls name the call.
    """
    if not isinstance(example, dict):
        return [("data_type", "")]
    errors: list[tuple[str, str]] = []
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        return [("missing_messages_list", "")]
    for m in messages:
        if not isinstance(m, dict) or "role" not in m:
            errors.append(("message_missing_key", ""))
            continue
        if set(m) - MESSAGE_KEYS:
            errors.append(("message_unrecognized_key", ""))
        if m["role"] not in ROLES:
            errors.append(("unrecognized_role", ""))
        if m["role"] in ("system", "user") and not isinstance(m.get("content"), str):
            errors.append(("missing_content", ""))
        if m["role"] == "assistant" and m.get("content") is None and m.get("tool_calls") is None:
            errors.append(("missing_content", ""))
    assistants = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]
    if not assistants:
        errors.append(("missing_assistant_message", ""))
    tools = example.get("tools")
    valid_tools = isinstance(tools, list) and all(
        isinstance(t, dict) and isinstance(t.get("function"), dict) for t in tools
    )
    if tools is not None and not valid_tools:
        errors.append(("invalid_tools", ""))
    if "parallel_tool_calls" in example and not isinstance(example["parallel_tool_calls"], bool):
        errors.append(("invalid_parallel_tool_calls", ""))
    for m in assistants:
        if m.get("tool_calls") is not None:
            errors += _tool_call_problems(m["tool_calls"], example.get("parallel_tool_calls"))
    return errors


def _tool_call_problems(calls: Any, parallel: Any) -> list[tuple[str, str]]:
    """The problems of one assistant message's `tool_calls`: each call, then the plan."""
    if not isinstance(calls, list):
        return [("invalid_tool_call", "tool_calls is not a list")]
    errors: list[tuple[str, str]] = []
    names = []
    for step, call in enumerate(calls, start=1):
        where = f"call {step} of {len(calls)}: " if len(calls) > 1 else ""
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            errors.append(("invalid_tool_call", where.removesuffix(": ")))
            continue
        names.append(fn["name"])
        if not isinstance(fn.get("arguments"), str):
            errors.append(("arguments_not_a_string", where.removesuffix(": ")))
            continue
        try:
            json.loads(fn["arguments"])
        except json.JSONDecodeError:
            errors.append(("invalid_arguments_json", where.removesuffix(": ")))
            continue
        if fn["name"] not in FUNCTIONS:
            errors.append(("unknown_function", f"{where}{fn['name']}"))
            continue
        checked = validate_call(fn["name"], fn["arguments"])
        if not isinstance(checked, ToolCall):
            errors.append(("invalid_call", f"{where}{checked.reason}"))
    problem = plan_error(names) if len(names) == len(calls) else None
    if problem:
        errors.append(("invalid_plan", problem))
    elif len(calls) > 1 and parallel is not True:
        errors.append(
            (
                "plan_without_parallel_tool_calls",
                f'{len(calls)} calls in one assistant message need "parallel_tool_calls": true '
                "on the line (OpenAI rejects several calls without it)",
            )
        )
    return errors


def format_errors(example: Any) -> list[str]:
    """The error kinds of one example (empty when it is fine)."""
    return [kind for kind, _ in format_problems(example)]


def describe(problems: list[tuple[str, str]]) -> str:
    """`kind (detail), kind` for one line of the report, each problem once."""
    return ", ".join(sorted({f"{k} ({d})" if d else k for k, d in problems}))


def openai_text(example: dict[str, Any]) -> str:
    """What an OpenAI job reads of an example, as one string to count tokens on."""
    parts = [json.dumps(example.get("tools") or [], separators=(",", ":"))]
    for m in example["messages"]:
        parts.append(f"{m.get('role')}: {m.get('content') or ''}")
        for call in m.get("tool_calls") or []:
            parts.append(json.dumps(call.get("function", {}), separators=(",", ":")))
    return "\n".join(parts)


def load_tokenizer() -> Any:
    """The Gemma 3 270M tokenizer from the embedded base model's folder."""
    from transformers import AutoTokenizer

    from copilot import base_model_dir

    return AutoTokenizer.from_pretrained(base_model_dir())


def _counts(tokenizer: Any, texts: list[str], special: bool) -> list[int]:
    if not texts:
        return []
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=special)["input_ids"]]


def distribution(values: list[int]) -> dict[str, float]:
    if not values:
        return {"min": 0, "max": 0, "mean": 0.0, "p10": 0.0, "p90": 0.0}
    q = (
        statistics.quantiles(values, n=10, method="inclusive")
        if len(values) > 1
        else [values[0]] * 9
    )
    return {
        "min": min(values),
        "max": max(values),
        "mean": round(statistics.fmean(values), 1),
        "p10": q[0],
        "p90": q[-1],
    }


def openai_epochs(n_examples: int, n_epochs: int | None = None) -> int:
    """The cookbook's default-epochs rule: 3, raised for tiny files and lowered for huge ones."""
    if n_epochs:
        return n_epochs
    epochs = TARGET_EPOCHS
    if n_examples and n_examples * epochs < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    elif n_examples * epochs > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return epochs


def check_file(
    path: str | Path,
    tokenizer: Any = None,
    max_tokens: int = LOCAL_MAX_TOKENS,
    n_epochs: int | None = None,
) -> dict[str, Any]:
    """Every check on one file, as a JSON-able dict (`errors` lists one line per bad line)."""
    from finetune.targets import example_to_text

    rows, line_errors = read_jsonl(path)
    kinds: Counter[str] = Counter({f"invalid_{e.kind}": 0 for e in line_errors})
    errors = [str(e) for e in line_errors]
    for e in line_errors:
        kinds[f"invalid_{e.kind}"] += 1
    good: list[tuple[int, dict[str, Any]]] = []
    for line, example in rows:
        found = format_problems(example)
        kinds.update(kind for kind, _ in found)
        if found:
            errors.append(f"line {line}: {describe(found)}")
        else:
            good.append((line, example))
    tokenizer = tokenizer if tokenizer is not None else load_tokenizer()
    local_texts, openai_texts = [], []
    for _, example in good:
        prompt, target = example_to_text(example)
        local_texts.append(prompt + target)
        openai_texts.append(openai_text(example))
    local = _counts(tokenizer, local_texts, special=True)
    whole = _counts(tokenizer, openai_texts, special=False)
    over_local = [good[i][0] for i, n in enumerate(local) if n > max_tokens]
    over_openai = [good[i][0] for i, n in enumerate(whole) if n > MAX_TOKENS_PER_EXAMPLE]
    epochs = openai_epochs(len(good), n_epochs)
    billed = sum(min(MAX_TOKENS_PER_EXAMPLE, n) for n in whole)
    return {
        "file": str(path),
        "n_examples": len(good),
        "n_lines_bad": len(errors),
        "format_errors": dict(sorted((k, v) for k, v in kinds.items() if v)),
        "errors": errors,
        "tokenizer": getattr(tokenizer, "name_or_path", type(tokenizer).__name__),
        "local_tokens": distribution(local),
        "openai_tokens": distribution(whole),
        "max_tokens": max_tokens,
        "over_local_limit": over_local,
        "over_openai_limit": over_openai,
        "epochs": epochs,
        "billed_tokens_per_epoch": billed,
        "billed_tokens": billed * epochs,
    }


def check_for_openai(
    data: str | Path, model: str | None = None, n_epochs: int | None = None, tokenizer: Any = None
) -> dict[str, Any]:
    """The check an OpenAI job runs before uploading (`errors` empty when the file is fine)."""
    report = check_file(data, tokenizer=tokenizer, n_epochs=n_epochs)
    if report["over_openai_limit"]:
        report["errors"].append(
            f"{len(report['over_openai_limit'])} examples over {MAX_TOKENS_PER_EXAMPLE} tokens"
        )
    if report["n_examples"] < 10:
        report["errors"].append(
            f"only {report['n_examples']} valid examples; OpenAI needs at least 10"
        )
    report["model"] = model
    return report


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="a JSONL file in the OpenAI chat fine-tuning format"
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=LOCAL_MAX_TOKENS,
        help=f"local trainer's per-example limit (default {LOCAL_MAX_TOKENS})",
    )
    parser.add_argument(
        "--epochs", type=int, help="epochs for the OpenAI estimate (default: the cookbook's rule)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{report['file']}[/]: {report['n_examples']} valid examples, {report['n_lines_bad']} bad lines"
    )
    if report["format_errors"]:
        table = Table(title="format errors by type")
        table.add_column("type")
        table.add_column("count", justify="right")
        for kind, n in report["format_errors"].items():
            table.add_row(kind, str(n))
        console.print(table)
        for line in report["errors"][:10]:
            console.print(f"  [red]{line}[/]")
    else:
        console.print("No format errors found")
    table = Table(title=f"tokens per example ({report['tokenizer']})")
    for col in ("text", "min", "max", "mean", "p10", "p90"):
        table.add_column(col, justify="right" if col != "text" else "left")
    for label, key in (
        ("local trainer (prompt + target)", "local_tokens"),
        ("OpenAI example (messages + tools)", "openai_tokens"),
    ):
        d = report[key]
        table.add_row(
            label, str(d["min"]), str(d["max"]), str(d["mean"]), f"{d['p10']:g}", f"{d['p90']:g}"
        )
    console.print(table)
    console.print(
        f"{len(report['over_local_limit'])} examples over the local limit of {report['max_tokens']} tokens; "
        f"{len(report['over_openai_limit'])} over OpenAI's {MAX_TOKENS_PER_EXAMPLE}"
    )
    console.print(
        f"OpenAI job: {report['epochs']} epochs, ~{report['billed_tokens_per_epoch']:,} tokens per epoch, "
        f"~{report['billed_tokens']:,} billed tokens (counted with the Gemma tokenizer: an estimate)"
    )


def run(args: argparse.Namespace) -> int:
    import sys

    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        tokenizer = load_tokenizer()
    except Exception as exc:
        print(f"error: cannot load the Gemma tokenizer: {exc}", file=sys.stderr)
        return 2
    report = check_file(
        args.file, tokenizer=tokenizer, max_tokens=args.max_tokens, n_epochs=args.epochs
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 1 if report["errors"] or report["over_local_limit"] else 0
