"""Training data for the local trainer: read, check, tokenise and batch OpenAI-format JSONL.

Every example becomes `prompt + target` in exactly the text the `local-ft` backend feeds the model
(`finetune.targets.example_to_text`); only the target tokens (the calls and the closing
`<end_of_turn>`) carry loss. A plan's target is its calls one per line, as the decoder writes them
(`CallGrammar(separator="\n")`). Batches group sequences of similar length so that little compute
goes to padding, which matters on 2 CPU cores.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.targets import example_to_text


class DataError(ValueError):
    """A training or validation file cannot be used; the message says which line and why."""


@dataclass(frozen=True)
class Encoded:
    """One tokenised example: `input_ids` = prompt tokens + target tokens."""

    input_ids: tuple[int, ...]
    n_target: int  # the last n_target tokens are the answer the model learns to write

    def __len__(self) -> int:
        return len(self.input_ids)


def _check_example(example: Any, where: str) -> None:
    """Raise DataError unless the line is a chat example ending in valid assistant tool calls."""
    if not isinstance(example, dict) or not isinstance(example.get("messages"), list):
        raise DataError(f"{where}: expected an object with a 'messages' list")
    messages = example["messages"]
    assistants = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]
    if not assistants:
        raise DataError(f"{where}: no assistant message to learn from")
    from copilot import ToolCall, plan_error, validate_call

    calls = assistants[-1].get("tool_calls") or []
    if not calls:
        raise DataError(f"{where}: the last assistant message has no tool_calls")
    names = []
    for step, call in enumerate(calls, start=1):
        fn = call.get("function", {}) if isinstance(call, dict) else {}
        checked = validate_call(fn.get("name", ""), fn.get("arguments") or "{}")
        if not isinstance(checked, ToolCall):
            step_text = f" (call {step} of {len(calls)})" if len(calls) > 1 else ""
            raise DataError(f"{where}: invalid call{step_text}: {checked}")
        names.append(checked.name)
    problem = plan_error(names)
    if problem:
        raise DataError(f"{where}: {problem}")


def load_examples(path: str | Path, what: str = "training data") -> list[dict[str, Any]]:
    """All examples of a JSONL file, or DataError naming the first problem (nothing is trained)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                example = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{where}: not valid JSON ({exc.msg})") from None
            _check_example(example, where)
            examples.append(example)
    if not examples:
        raise DataError(f"{what} is empty: {path} has no examples")
    return examples


def file_sha256(path: str | Path) -> str:
    """The data hash written into the model card."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def encode(
    examples: list[dict[str, Any]], tokenizer: Any, max_tokens: int, state_line: bool = False
) -> list[Encoded]:
    """Tokenise each example as the backend does: the prompt with BOS, then the target.

    The prompt and target are tokenised separately, exactly as at inference, where the prompt is
    tokenised and the model writes the target token by token. Examples longer than `max_tokens`
    raise DataError: silently cutting them would train on answers without their question.
    """
    out = []
    for i, example in enumerate(examples):
        prompt, target = example_to_text(example, state_line)
        prompt_ids = tokenizer(prompt, add_special_tokens=True)["input_ids"]
        target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
        if len(prompt_ids) + len(target_ids) > max_tokens:
            raise DataError(
                f"example {i + 1} has {len(prompt_ids) + len(target_ids)} tokens, "
                f"over the limit of {max_tokens} (raise max_tokens or shorten it)"
            )
        out.append(Encoded(tuple(prompt_ids) + tuple(target_ids), len(target_ids)))
    return out


def make_batches(
    items: list[Encoded], batch_size: int, seed: int, epoch: int, shuffle: bool = True
) -> list[list[int]]:
    """Indices of `items` grouped into batches of similar prompt length, in a seeded order.

    Similar lengths together keep padding small; shuffling the batches keeps the order from
    running short-to-long. The sort is by *prompt* length, not total length: answers differ
    most in length between `reject_request()` and calls with arguments, so sorting by total
    length would fill whole batches with rejects and swing the model between rejecting and
    calling from one step to the next (measured on the project's data: the share of rejects
    per batch varies with sd 0.31 by total length, 0.21 by prompt length, 0.17 at random),
    for ~20% padding instead of ~1%. The same (seed, epoch) always gives the same batches,
    which is what lets a resumed run skip exactly the batches it had already trained on.
    """
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(items)))
    noise = [rng.random() for _ in order] if shuffle else [0.0] * len(order)
    order.sort(key=lambda i: (len(items[i]) - items[i].n_target, noise[i]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches


def collate(items: list[Encoded], pad_id: int, device: Any = "cpu") -> dict[str, Any]:
    """Right-padded tensors for one batch, plus where the loss is taken.

    input_ids, attention_mask: [B, L]. `source` holds (row, position) pairs for every target
    token: the hidden state at `position` predicts token `position + 1`, which is in `labels`.
    Only those N positions go through the 262k-word output layer, the costliest part of a step.
    """
    import torch

    width = max(len(item) for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    rows, cols, labels = [], [], []
    for row, item in enumerate(items):
        n = len(item)
        ids[row, :n] = torch.tensor(item.input_ids)
        mask[row, :n] = 1
        for pos in range(n - item.n_target, n):
            rows.append(row)
            cols.append(pos - 1)
            labels.append(item.input_ids[pos])
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "rows": torch.tensor(rows, device=device),  # [N] which example each target token is in
        "cols": torch.tensor(cols, device=device),  # [N]
        "labels": torch.tensor(labels, device=device),  # [N]
    }
