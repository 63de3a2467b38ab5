"""Prompt suites: JSONL files in the DESIGN.md format, one case a line.

```json
{"id": "s01", "category": "straightforward", "prompt": "Take off the drone to 50 meters",
 "expected": [{"name": "takeoff_drone", "arguments": {"altitude": 50}}]}
```

`expected` lists acceptable calls (any one matches; each is a plan of one call). Instead of it, a
case may give `expected_plans`: a list of acceptable plans, each an ordered list of 1 to 4 calls
(`reject_request` only alone), the order the user said them in:

```json
{"id": "c01", "category": "compound", "prompt": "take off to 30 metres and snap a photo",
 "expected_plans": [[{"name": "takeoff_drone", "arguments": {"altitude": 30}},
                     {"name": "control_camera", "arguments": {"mode": "photo"}}]]}
```

Optional keys: `setup` (calls applied to a fresh simulator before the case) and `history`
(earlier chat messages). A malformed line (an invalid call, a malformed plan, both `expected` and
`expected_plans`) is reported as `file:line: reason` and skipped; the valid lines still run.

A fine-tuning file reads as a suite too: a line in the OpenAI chat format (`{"messages": [...]}`,
as `python -m finetune generate` writes them) is the case whose prompt is the last user message,
whose expected plan is the assistant's answer (one call, or several `tool_calls` in order), and
whose history is what came before. So `--suite data/val.jsonl` decodes a validation file the way
the suites are decoded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot import REJECT, ToolCall, plan_error, validate_call

SUITES_DIR = Path(__file__).parent / "suites"
DEFAULT_SUITES = ("straightforward", "challenging")
_ROLES = {"system", "user", "assistant", "tool"}


Plan = tuple[ToolCall, ...]  # the ordered calls answering one message (1 to 4)


class SuiteNotFound(ValueError):
    """A `--suite` name or path that names no file."""


@dataclass(frozen=True)
class Case:
    """One prompt and the plans that would answer it correctly.

    Give `expected` (acceptable calls, each a plan of one call) or `plans` (acceptable plans);
    the other is derived: `plans` from `expected` one call a plan, `expected` from `plans` as the
    first call of each plan (what name match and the confusion matrix compare against).
    """

    suite: str
    id: str
    prompt: str
    expected: tuple[ToolCall, ...] = ()
    category: str = ""
    setup: tuple[ToolCall, ...] = ()
    history: tuple[dict[str, Any], ...] = ()
    plans: tuple[Plan, ...] = ()

    def __post_init__(self) -> None:
        if not self.plans:
            object.__setattr__(self, "plans", tuple((call,) for call in self.expected))
        elif not self.expected:
            firsts = {str(plan[0]): plan[0] for plan in self.plans}  # one per text, in order
            object.__setattr__(self, "expected", tuple(firsts.values()))
        if not self.plans:
            raise ValueError("a case needs at least one expected call or plan")

    @property
    def is_plan(self) -> bool:
        """True when some acceptable answer has more than one call."""
        return any(len(plan) > 1 for plan in self.plans)

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


def _plans(value: Any) -> tuple[Plan, ...]:
    """`expected_plans`: a non-empty list of plans, each valid call by call and well formed."""
    if not isinstance(value, list) or not value:
        raise _BadLine("'expected_plans' must be a non-empty list of plans (lists of calls)")
    plans = []
    for i, plan in enumerate(value):
        calls = _calls(plan, f"expected_plans[{i}]", allow_empty=False)
        problem = plan_error([call.name for call in calls])
        if problem:
            raise _BadLine(f"expected_plans[{i}] is not a valid plan: {problem}")
        plans.append(calls)
    return tuple(plans)


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
    # several tool_calls are one plan, in order; one call keeps the one-call form
    answer = {"expected_plans": [expected]} if len(expected) > 1 else {"expected": expected}
    return {"prompt": prompt, **answer, "history": history, "category": category}


def parse_case(suite: str, record: Any, line: int) -> Case:
    """One decoded line as a `Case`; raises ValueError with a one-line reason."""
    if not isinstance(record, dict):
        raise _BadLine("a case must be a JSON object")
    if "messages" in record:
        record = _from_chat(record["messages"])
    prompt = record.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _BadLine("'prompt' must be a non-empty string")
    if "expected" in record and "expected_plans" in record:
        raise _BadLine("a case has 'expected' or 'expected_plans', not both")
    if "expected" in record:
        expected, plans = _calls(record["expected"], "expected", allow_empty=False), ()
    elif "expected_plans" in record:
        expected, plans = (), _plans(record["expected_plans"])
    else:
        raise _BadLine("missing 'expected' (or 'expected_plans')")
    return Case(
        suite=suite,
        id=str(record.get("id") or f"{suite}-{line}"),
        prompt=prompt,
        expected=expected,
        category=str(record.get("category") or suite),
        setup=_calls(record.get("setup", []), "setup", allow_empty=True),
        history=_history(record.get("history", [])),
        plans=plans,
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
