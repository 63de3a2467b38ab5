"""The one protocol every model backend speaks: messages and tools in, a `Completion` out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from copilot.catalog import CallError, ToolCall, plan_error
from copilot.parsing import ParsedOutput, RawCall, parse_output


class ModelUnavailable(RuntimeError):
    """A model cannot be used here: a missing extra, file, adapter or API key. One readable line."""


@dataclass
class Completion:
    """One model answer. `calls` holds only validated calls; anything wrong is in `error`.

    An invalid call is never in `calls`, so it can never be executed. `raw_calls` keeps what the
    model wrote (for name-match scoring and for reports).
    """

    calls: list[ToolCall] = field(default_factory=list)
    raw: str = ""
    raw_calls: list[RawCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0  # the request's own time: never the model's load
    error: str | None = None
    load_ms: float = 0.0  # the time this request spent loading the model first (0 once loaded)
    # why the output ended, when a backend knows: "length" (the token budget ran out),
    # "unoffered" (the model would call a function the request did not offer), else None
    finish_reason: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.calls)

    @classmethod
    def from_output(cls, output: Any, raw: str | None = None, **fields: Any) -> Completion:
        """Parse and validate a model's output as a plan: every call must be valid, and the plan
        well formed (1 to 4 calls, `reject_request` alone), or none is kept."""
        parsed: ParsedOutput = parse_output(output)
        text = raw if raw is not None else (output if isinstance(output, str) else str(output))
        if parsed.error:
            return cls(raw=text, error=parsed.error, **fields)
        checked = parsed.validated()
        errors = [c for c in checked if isinstance(c, CallError)]
        if errors:
            where = f"step {checked.index(errors[0]) + 1}: " if len(checked) > 1 else ""
            return cls(raw=text, raw_calls=parsed.calls, error=where + errors[0].reason, **fields)
        problem = plan_error([c.name for c in parsed.calls])
        if problem:
            return cls(raw=text, raw_calls=parsed.calls, error=problem, **fields)
        calls = [c for c in checked if isinstance(c, ToolCall)]
        return cls(calls=calls, raw=text, raw_calls=parsed.calls, **fields)


@runtime_checkable
class Backend(Protocol):
    """A model that turns chat messages into tool calls.

    `identity` names the model exactly (weights, adapter hash, prompt style) so caches can key on
    it. `complete` never raises for a bad model output or an unreachable server: it returns a
    `Completion` with `error` set. The answer is a plan of 1 to `MAX_PLAN` calls; `max_calls=1`
    asks for one call at most (the OpenAI `parallel_tool_calls: false`).
    """

    name: str

    @property
    def identity(self) -> str: ...

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        max_calls: int | None = None,
    ) -> Completion: ...
