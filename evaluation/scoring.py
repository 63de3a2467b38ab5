"""Per-case scores, as pure functions of a case's expected calls and a model's `Completion`.

- name match: the seed's metric, the first call's name equals an expected name (the name as the
  model wrote it, so a call with bad arguments still counts here, as in the cookbook);
- call match: valid, exactly one call, and name and arguments equal one expected call. Numbers
  compare as numbers (50 == 50.0), enum strings case-insensitively, and an argument the expected
  call does not list must be absent (BFCL's AST check, stricter);
- valid: every call passes catalogue validation;
- executed match: see `evaluation.executed`.

A malformed output has no calls, so it never matches anything, `reject_request` included: BFCL
credits a parse failure as a refusal, we do not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from copilot import Completion, ToolCall

NO_CALL = "(no call)"


@dataclass(frozen=True)
class Scores:
    """The four per-case scores."""

    name_match: bool
    call_match: bool
    valid: bool
    executed_match: bool


def predicted_names(completion: Completion) -> list[str]:
    """The function names the model wrote, valid or not, in order."""
    if completion.raw_calls:
        return [str(call.name) for call in completion.raw_calls]
    return [call.name for call in completion.calls]


def first_name(completion: Completion) -> str:
    """The name of the model's first call, or `NO_CALL` when it made none (or was malformed)."""
    names = predicted_names(completion)
    return names[0] if names else NO_CALL


def is_valid(completion: Completion) -> bool:
    """At least one call, and every call the model wrote passed catalogue validation."""
    if completion.error is not None or not completion.calls:
        return False
    return not completion.raw_calls or len(completion.raw_calls) == len(completion.calls)


def name_match(expected: Sequence[ToolCall], completion: Completion) -> bool:
    """The seed's metric: the first call's name is one of the expected names."""
    return first_name(completion) in {call.name for call in expected}


def same_value(expected: Any, actual: Any) -> bool:
    """Equal as the scorer sees it: numbers by value, strings case-insensitively, dicts by key."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip().casefold() == actual.strip().casefold()
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return set(expected) == set(actual) and all(
            same_value(expected[k], actual[k]) for k in expected
        )
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        return len(expected) == len(actual) and all(map(same_value, expected, actual))
    return bool(expected == actual)


def same_call(expected: ToolCall, actual: ToolCall) -> bool:
    """Same function, same argument names (none missing, none extra), same values."""
    return expected.name == actual.name and same_value(expected.arguments, actual.arguments)


def call_match(expected: Sequence[ToolCall], completion: Completion) -> bool:
    """Valid, exactly one call, equal to one of the acceptable calls."""
    if not is_valid(completion) or len(completion.calls) != 1:
        return False
    return any(same_call(e, completion.calls[0]) for e in expected)


def score(
    expected: Sequence[ToolCall],
    completion: Completion,
    executed: bool | None = None,
) -> Scores:
    """All four scores. `executed` comes from the simulator; None means "use call match"."""
    matched = call_match(expected, completion)
    return Scores(
        name_match=name_match(expected, completion),
        call_match=matched,
        valid=is_valid(completion),
        executed_match=matched if executed is None else executed,
    )


def rate(flags: Iterable[bool]) -> float:
    """The share of True values, 0.0 for none."""
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default method); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
