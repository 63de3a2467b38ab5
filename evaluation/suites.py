"""Prompt suites: JSONL files in the DESIGN.md format, one case a line.

```json
{"id": "s01", "category": "straightforward", "prompt": "Take off the drone to 50 meters",
 "expected": [{"name": "takeoff_drone", "arguments": {"altitude": 50}}]}
```

`expected` lists acceptable calls (any one matches). Optional keys: `setup` (calls applied to a
fresh simulator before the case) and `history` (earlier chat messages). A malformed line is
reported as `file:line: reason` and skipped; the valid lines still run.

A fine-tuning file reads as a suite too: a line in the OpenAI chat format (`{"messages": [...]}`,
as `python -m finetune generate` writes them) is the case whose prompt is the last user message,
whose expected calls are the assistant's answer, and whose history is what came before. So
`--suite data/val.jsonl` decodes a validation file the way the suites are decoded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot import REJECT, ToolCall, validate_call

SUITES_DIR = Path(__file__).parent / "suites"
DEFAULT_SUITES = ("straightforward", "challenging")
_ROLES = {"system", "user", "assistant", "tool"}


class SuiteNotFound(ValueError):
    """A `--suite` name or path that names no file."""


@dataclass(frozen=True)
class Case:
    """One prompt and the calls that would answer it correctly."""

    suite: str
    id: str
    prompt: str
    expected: tuple[ToolCall, ...]
    category: str = ""
    setup: tuple[ToolCall, ...] = ()
    history: tuple[dict[str, Any], ...] = ()

    @property
    def expects_reject(self) -> bool:
        """True when refusing is the only right answer."""
        return all(call.name == REJECT for call in self.expected)

    @property
    def expected_name(self) -> str:
        """The first acceptable function name (the confusion matrix's row)."""
        return self.expected[0].name

    def messages(self, system_prompt: str | None) -> list[dict[str, Any]]:
        """The chat the model sees: system prompt, earlier turns, then this prompt."""
        head = [{"role": "system", "content": system_prompt}] if system_prompt else []
        return [*head, *self.history, {"role": "user", "content": self.prompt}]


@dataclass(frozen=True)
class LineError:
    """A JSONL line that could not be read, with where and why: a suite's or a data file's."""

    line: int
    reason: str
    kind: str = ""  # a class of error where one is counted (json, encoding, ...)
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path else f"line {self.line}"
        return f"{where}: {self.kind + ': ' if self.kind else ''}{self.reason}"


@dataclass
class Suite:
    """The readable cases of one file, and the lines that were not."""

    name: str
    path: Path
    cases: list[Case] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


class _BadLine(ValueError):
    pass


def _calls(value: Any, key: str, allow_empty: bool) -> tuple[ToolCall, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise _BadLine(f"'{key}' must be a {'' if allow_empty else 'non-empty '}list of calls")
    calls = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise _BadLine(f"{key}[{i}] must be an object with a 'name'")
        checked = validate_call(item["name"], item.get("arguments") or {})
        if not isinstance(checked, ToolCall):
            raise _BadLine(f"{key}[{i}] is not a valid call: {checked.reason}")
        calls.append(checked)
    return tuple(calls)


def _history(value: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list):
        raise _BadLine("'history' must be a list of chat messages")
    for i, message in enumerate(value):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise _BadLine(f"history[{i}] must be a chat message with a role in {sorted(_ROLES)}")
    return tuple(value)


def _from_chat(messages: Any) -> dict[str, Any]:
    """A fine-tuning example's messages as a suite record (system messages dropped)."""
    if not isinstance(messages, list):
        raise _BadLine("'messages' must be a list of chat messages")
    turns = [m for m in messages if isinstance(m, dict) and m.get("role") != "system"]
    if len(turns) < 2 or turns[-2].get("role") != "user" or turns[-1].get("role") != "assistant":
        raise _BadLine("'messages' must end with a user message and the assistant's answer")
    expected = []
    for i, item in enumerate(turns[-1].get("tool_calls") or []):
        function = item.get("function") if isinstance(item, dict) else None
        function = function if isinstance(function, dict) else {}
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except (TypeError, json.JSONDecodeError):
            raise _BadLine(f"tool_calls[{i}] has no JSON arguments") from None
        expected.append({"name": function.get("name"), "arguments": arguments})
    if not expected:
        raise _BadLine("the assistant's answer has no tool calls")
    prompt, history, category = turns[-2].get("content"), turns[:-2], expected[0]["name"]
    return {"prompt": prompt, "expected": expected, "history": history, "category": category}


def parse_case(suite: str, record: Any, line: int) -> Case:
    """One decoded line as a `Case`; raises ValueError with a one-line reason."""
    if not isinstance(record, dict):
        raise _BadLine("a case must be a JSON object")
    if "messages" in record:
        record = _from_chat(record["messages"])
    prompt = record.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _BadLine("'prompt' must be a non-empty string")
    if "expected" not in record:
        raise _BadLine("missing 'expected'")
    return Case(
        suite=suite,
        id=str(record.get("id") or f"{suite}-{line}"),
        prompt=prompt,
        expected=_calls(record["expected"], "expected", allow_empty=False),
        category=str(record.get("category") or suite),
        setup=_calls(record.get("setup", []), "setup", allow_empty=True),
        history=_history(record.get("history", [])),
    )


def load_suite(path: str | Path, name: str | None = None) -> Suite:
    """Read a suite file. Malformed lines become `LineError`s; duplicate ids are errors too."""
    path = Path(path)
    suite = Suite(name or path.stem, path)
    seen: set[str] = set()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        suite.errors.append(LineError(0, path=str(path), reason=f"cannot read file: {exc}"))
        return suite
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            case = parse_case(suite.name, json.loads(raw), number)
        except json.JSONDecodeError as exc:
            suite.errors.append(
                LineError(number, path=str(path), reason=f"invalid JSON ({exc.msg})")
            )
            continue
        except _BadLine as exc:
            suite.errors.append(LineError(number, path=str(path), reason=str(exc)))
            continue
        if case.id in seen:
            suite.errors.append(
                LineError(number, path=str(path), reason=f"duplicate id {case.id!r}")
            )
            continue
        seen.add(case.id)
        suite.cases.append(case)
    if not suite.cases and not suite.errors:
        suite.errors.append(LineError(0, path=str(path), reason="the file holds no cases"))
    return suite


def known_suites(directory: Path = SUITES_DIR) -> list[str]:
    """Names of the suites shipped in `evaluation/suites/`."""
    return sorted(p.stem for p in directory.glob("*.jsonl"))


def resolve_suites(specs: list[str] | None, directory: Path = SUITES_DIR) -> list[Path]:
    """Turn `--suite` values (names, paths, or `all`) into files, in the order given.

    No specs means the seed's two suites; `all` means every shipped suite, the seed's first.
    """
    specs = list(specs or DEFAULT_SUITES)
    paths: list[Path] = []
    for spec in specs:
        if spec == "all":
            names = known_suites(directory)
            first = [n for n in DEFAULT_SUITES if n in names]
            found = [directory / f"{n}.jsonl" for n in first + [n for n in names if n not in first]]
        else:
            candidate = Path(spec)
            if candidate.is_file():
                found = [candidate]
            elif (directory / f"{spec}.jsonl").is_file():
                found = [directory / f"{spec}.jsonl"]
            else:
                known = ", ".join(known_suites(directory)) or "none"
                raise SuiteNotFound(
                    f"unknown suite {spec!r}: not a file and not a shipped suite "
                    f"(known: {known}, or 'all')"
                )
        paths.extend(p for p in found if p not in paths)
    return paths
