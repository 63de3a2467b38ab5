"""Per-case results and `results.jsonl`, appended one line as each case finishes.

Each line is written through to the kernel (flushed, one `write` per line) before the next case
starts, so a run killed with SIGKILL loses no finished case. Secrets are redacted from every line
(`copilot.redact`). (No fsync: that guards against power
loss, not a killed process, and would cost more than the rest of the harness per case.) A torn last line (killed mid-write) is ignored on reading, and that case is
simply run again on resume.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from copilot import Completion, ToolCall, redact, redact_optional
from evaluation.scoring import Scores, first_name
from evaluation.suites import Case

RESULTS_FILE = "results.jsonl"


def call_dict(call: ToolCall) -> dict[str, Any]:
    return {"name": call.name, "arguments": call.arguments}


def _raw_dict(name: Any, arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):
        with contextlib.suppress(ValueError):
            arguments = json.loads(arguments)
    return {"name": str(name), "arguments": arguments}


def actual_calls(completion: Completion) -> list[dict[str, Any]]:
    """The calls as the model wrote them: validated and normalised when valid, raw otherwise."""
    if completion.calls and len(completion.calls) >= len(completion.raw_calls):
        return [call_dict(c) for c in completion.calls]
    return [_raw_dict(c.name, c.arguments) for c in completion.raw_calls]


def calls_text(calls: list[dict[str, Any]]) -> str:
    """Calls in the compact syntax for tables: `takeoff_drone(altitude=50)`."""
    out = []
    for call in calls:
        args = call.get("arguments")
        if isinstance(args, dict):
            inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in args.items())
        else:
            inner = json.dumps(args) if args not in (None, "") else ""
        out.append(f"{call.get('name')}({inner})")
    return "; ".join(out)


def plan_text(calls: list[dict[str, Any]], separator: str = "  ") -> str:
    """One plan for tables: a single call as `calls_text` writes it; several as numbered steps,
    `1. takeoff_drone(altitude=30)  2. control_camera(mode="photo")`."""
    if len(calls) <= 1:
        return calls_text(calls)
    steps = (f"{i}. {calls_text([call])}" for i, call in enumerate(calls, start=1))
    return separator.join(steps)


def plans_text(plans: list[list[dict[str, Any]]], separator: str = "  or  ") -> str:
    """Acceptable plans for tables: one-call plans as today's `a; b`, else each plan's steps."""
    if all(len(plan) <= 1 for plan in plans):
        return calls_text([call for plan in plans for call in plan])
    return separator.join(plan_text(plan) for plan in plans)


RESULTS_VERSION = 1  # the format of a results.jsonl line


@dataclass
class CaseResult:
    """One case answered by one model, scored. This is one line of `results.jsonl`.

    `expected` is the first call of each acceptable plan (for a one-call case, its acceptable
    calls); `expected_plans` every acceptable plan in full. `plan_len_expected` is the length of
    the plan step accuracy was measured against (the best-matching, or the first),
    `plan_len_actual` the number of calls the model wrote.

    `version` is the line format's: it goes up when a field changes meaning or goes away (fields
    only added, as the plan fields were, keep it; `from_dict` fills them in for older lines).
    """

    model: str
    suite: str
    id: str
    category: str
    prompt: str
    expected: list[dict[str, Any]]
    expected_plans: list[list[dict[str, Any]]]
    actual: list[dict[str, Any]]
    name_match: bool
    call_match: bool
    valid: bool
    executed_match: bool
    step_accuracy: float
    plan_len_expected: int
    plan_len_actual: int
    latency_ms: float
    tokens: int
    expected_name: str
    actual_name: str
    expects_reject: bool
    raw: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    cached: bool = False
    identity: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = RESULTS_VERSION
    repeat: int = 0  # which of `--repeats K` runs of the case this is, from 0

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What a resumed run uses to skip finished work."""
        return (self.model, self.suite, self.id, self.repeat)

    @classmethod
    def build(
        cls,
        model: str,
        case: Case,
        completion: Completion,
        scores: Scores,
        cached: bool = False,
        identity: str = "",
        repeat: int = 0,
    ) -> CaseResult:
        actual = actual_calls(completion)
        return cls(
            model=model,
            suite=case.suite,
            id=case.id,
            category=case.category,
            prompt=case.prompt,
            expected=[call_dict(c) for c in case.expected],
            expected_plans=[[call_dict(c) for c in plan] for plan in case.plans],
            actual=actual,
            name_match=scores.name_match,
            call_match=scores.call_match,
            valid=scores.valid,
            executed_match=scores.executed_match,
            step_accuracy=scores.step_accuracy,
            plan_len_expected=len(case.plans[scores.plan]),
            plan_len_actual=len(actual),
            latency_ms=round(float(completion.latency_ms), 3),
            tokens=int(completion.total_tokens),
            expected_name=case.expected_name,
            actual_name=first_name(completion),
            expects_reject=case.expects_reject,
            raw=redact(completion.raw or ""),
            prompt_tokens=int(completion.prompt_tokens),
            completion_tokens=int(completion.completion_tokens),
            error=redact_optional(completion.error),
            cached=cached,
            identity=identity,
            repeat=repeat,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        names = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in names}
        if "expected_plans" not in data:  # a line written before plans: every case had one call
            data["expected_plans"] = [[call] for call in data.get("expected", [])]
            data.setdefault("step_accuracy", 1.0 if data.get("call_match") else 0.0)
            data.setdefault("plan_len_expected", 1)
            data.setdefault("plan_len_actual", len(data.get("actual", [])))
        return cls(**data)


class ResultsWriter:
    """Appends results to a JSONL file, one durable line per case; safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    def append(self, result: CaseResult) -> None:
        line = redact(json.dumps(result.to_dict(), ensure_ascii=False)) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_results(path: Path) -> list[CaseResult]:
    """Every complete line of a results file (a torn or foreign line is skipped)."""
    if not path.exists():
        return []
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(CaseResult.from_dict(json.loads(raw)))
        except (ValueError, TypeError):
            continue
    return out


def repair_tail(path: Path) -> None:
    """Cut a torn last line (a run killed mid-write) so appending starts on a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])
