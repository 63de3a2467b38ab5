"""Training examples: one sample, its line in the OpenAI chat fine-tuning format, and the file.

A `Sample` is what a teacher produces (prompt, the call it asks for, its kind). `to_example`
turns it into the line an OpenAI job and the local trainer both read:
`{"messages": [system, user, assistant-with-tool_calls], "tools": [...], "parallel_tool_calls": false}`.
A plan (several calls for one message, in the order said) is one assistant message with several
`tool_calls`, and `"parallel_tool_calls": true` on its line.
Also here: reading JSONL with line-numbered errors, dedupe keys, the stratified split, and
writing files atomically.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot import REJECT, SEED_SYSTEM_PROMPT, ToolCall, tools
from evaluation.suites import LineError


@dataclass(frozen=True)
class Sample:
    """A generated prompt and the call that answers it.

    `kind` is the function name for positives and `reject:<category>` for rejects. `intended` is
    the (invalid) call an out-of-range or enum-miss reject asks for; `history` holds earlier
    messages for multi-turn samples. `then` holds a plan's later steps, in the order said:
    the answer is `call` followed by them (`calls`).
    """

    prompt: str
    call: ToolCall
    kind: str
    intended: tuple[str, dict[str, Any]] | None = None
    history: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    then: tuple[ToolCall, ...] = ()

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        """The whole answer: one call, or a plan's steps in order."""
        return (self.call, *self.then)

    @property
    def is_reject(self) -> bool:
        return self.call.name == REJECT


def reject_call() -> ToolCall:
    return ToolCall(REJECT, {})


def assistant_message(
    calls: ToolCall | Sequence[ToolCall], call_id: str = "call_0"
) -> dict[str, Any]:
    """One assistant message holding a call, or a plan's calls in order.

    A plan's ids count on from `call_id`: `call_0`, `call_1`, ... (or `call_h0`, `call_h1`, ...).
    """
    calls = [calls] if isinstance(calls, ToolCall) else list(calls)
    stem = call_id.rstrip("0123456789")
    first = int(call_id[len(stem) :] or 0)
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            call.to_openai(call_id if i == 0 else f"{stem}{first + i}")
            for i, call in enumerate(calls)
        ],
    }


def has_plan(messages: list[Any]) -> bool:
    """Whether an assistant message holds several tool calls: a line with a plan, in its answer
    or its history, says `"parallel_tool_calls": true` (OpenAI takes several calls in one
    message only with it)."""
    return any(
        isinstance(m, dict)
        and m.get("role") == "assistant"
        and isinstance(m.get("tool_calls"), list)
        and len(m["tool_calls"]) > 1
        for m in messages
    )


def to_example(sample: Sample, system_prompt: str = SEED_SYSTEM_PROMPT) -> dict[str, Any]:
    """The sample as one line of the OpenAI chat fine-tuning format with tools."""
    messages = [{"role": "system", "content": system_prompt}, *sample.history]
    messages.append({"role": "user", "content": sample.prompt})
    messages.append(assistant_message(sample.calls))
    return {
        "messages": messages,
        "tools": tools(descriptions=False),
        "parallel_tool_calls": has_plan(messages),
    }


def last_user_prompt(example: dict[str, Any]) -> str:
    users = [m for m in example.get("messages", []) if m.get("role") == "user"]
    return str(users[-1].get("content") or "") if users else ""


# --------------------------------------------------------------------------- reading and writing


def read_jsonl(path: str | os.PathLike[str]) -> tuple[list[tuple[int, Any]], list[LineError]]:
    """(line number, decoded value) for every readable line, and an error for every other one.

    Blank lines are skipped. A half-written last line is reported like any other bad line.
    """
    rows: list[tuple[int, Any]] = []
    errors: list[LineError] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.append(LineError(number, f"not UTF-8 ({exc.reason})", kind="encoding"))
                continue
            if not text.strip():
                continue
            try:
                rows.append((number, json.loads(text)))
            except json.JSONDecodeError as exc:
                errors.append(LineError(number, f"{exc.msg} at column {exc.colno}", kind="json"))
    return rows, errors


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows atomically (a temp file renamed into place); returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


# --------------------------------------------------------------------------- dedupe keys

_PUNCT = re.compile(r"[^\w\s.-]+|(?<!\d)[.-]|[.-](?!\d)")
_FILLER = frozenset(
    [
        "please",
        "pls",
        "kindly",
        "the",
        "a",
        "an",
        "now",
        "hey",
        "ok",
        "okay",
        "so",
        "um",
        "yo",
        "drone",
        "copilot",
        "thanks",
        "thank",
        "you",
        "ty",
        "just",
        "alright",
        "right",
        "can",
        "could",
        "would",
        "will",
        "for",
        "me",
        "real",
        "quick",
        "quickly",
        "asap",
    ]
)


def normalize(text: str) -> str:
    """Lower case, punctuation dropped (decimal points and minus signs kept), spaces collapsed."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def near_key(text: str) -> str:
    """A key shared by prompts that differ only by filler, politeness, casing or word order."""
    words = [w for w in normalize(text).split() if w not in _FILLER]
    return " ".join(sorted(words))


# --------------------------------------------------------------------------- split


def stratified_split(
    samples: list[Sample], val_fraction: float, rng: random.Random
) -> tuple[list[Sample], list[Sample]]:
    """Train and validation sets with the same share of every kind (at least one val sample for
    a kind with 5 or more)."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    train: list[Sample] = []
    val: list[Sample] = []
    for kind in sorted(by_kind):
        group = by_kind[kind][:]
        rng.shuffle(group)
        k = round(len(group) * val_fraction)
        if k == 0 and len(group) >= 5 and val_fraction > 0:
            k = 1
        val.extend(group[:k])
        train.extend(group[k:])
    rng.shuffle(train)
    rng.shuffle(val)
    return train, val
