"""Per-case scores, as pure functions of a case's acceptable plans and a model's `Completion`.

A plan is the ordered list of 1 to 4 calls answering one message. `expected` is a sequence of
acceptable plans; a bare `ToolCall` in it stands for a plan of one call, so a one-call case's
list of acceptable calls is scored exactly as before plans existed.

- name match: the seed's metric, the first call's name equals the first call's name of some
  acceptable plan (the name as the model wrote it, so a call with bad arguments still counts
  here, as in the cookbook);
- call match: valid, and the same number of calls as one acceptable plan, each equal to its
  counterpart in order. Numbers compare as numbers (50 == 50.0), enum strings
  case-insensitively, and an argument the expected call does not list must be absent (BFCL's
  AST check, stricter);
- valid: every call passes catalogue validation and the plan is well formed;
- executed match: see `evaluation.executed`;
- step accuracy: partial credit, see `step_accuracy`.

A malformed output has no calls, so it never matches anything, `reject_request` included: BFCL
credits a parse failure as a refusal, we do not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from copilot import Completion, ToolCall, plan_error

NO_CALL = "(no call)"

Plans = tuple[tuple[ToolCall, ...], ...]


@dataclass(frozen=True)
class Scores:
    """The per-case scores: four booleans, then step accuracy (a share, 0.0 to 1.0) and the
    index of the acceptable plan it was measured against."""

    name_match: bool
    call_match: bool
    valid: bool
    executed_match: bool
    step_accuracy: float = 0.0
    plan: int = 0


def as_plans(expected: Sequence[ToolCall | Sequence[ToolCall]]) -> Plans:
    """Acceptable plans as tuples; a bare call is a plan of one call."""
    return tuple((e,) if isinstance(e, ToolCall) else tuple(e) for e in expected)


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
    """At least one call, every call the model wrote passed catalogue validation, and the calls
    form a well-formed plan (1 to 4 calls, `reject_request` only alone)."""
    if completion.error is not None or not completion.calls:
        return False
    if completion.raw_calls and len(completion.raw_calls) != len(completion.calls):
        return False
    return plan_error([call.name for call in completion.calls]) is None


def name_match(expected: Sequence[ToolCall | Sequence[ToolCall]], completion: Completion) -> bool:
    """The seed's metric: the first call's name is the first name of an acceptable plan."""
    return first_name(completion) in {plan[0].name for plan in as_plans(expected)}


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


def same_plan(expected: Sequence[ToolCall], actual: Sequence[ToolCall]) -> bool:
    """As many calls, each the same call as its counterpart, in order."""
    return len(expected) == len(actual) and all(map(same_call, expected, actual))


def call_match(expected: Sequence[ToolCall | Sequence[ToolCall]], completion: Completion) -> bool:
    """Valid, and the same plan as one of the acceptable plans (same calls, same order)."""
    if not is_valid(completion):
        return False
    return any(same_plan(plan, completion.calls) for plan in as_plans(expected))


def plan_steps(expected: Sequence[ToolCall], actual: Sequence[ToolCall]) -> float:
    """Step accuracy against one plan: the expected steps matched in order before the first
    difference, over the number of expected steps.

    The predicted plan's end is part of the comparison: the last expected step counts only if
    the predicted plan stops there too, so a plan that goes on past it ([a, b, c, d] for
    [a, b, c]) is 2/3, and for a one-call plan this is call match as 0 or 1.
    """
    matched = 0
    for want, got in zip(expected, actual, strict=False):
        if not same_call(want, got):
            break
        matched += 1
    if matched == len(expected) and len(actual) > len(expected):
        matched -= 1  # it did not stop after the last step
    return matched / len(expected)


def step_accuracy(
    expected: Sequence[ToolCall | Sequence[ToolCall]], completion: Completion
) -> tuple[float, int]:
    """(step accuracy, index of the plan giving it): the best over the acceptable plans, the
    first on a tie. An invalid answer scores 0.0 against the first plan."""
    plans = as_plans(expected)
    if not is_valid(completion):
        return 0.0, 0
    best, index = 0.0, 0
    for i, plan in enumerate(plans):
        value = plan_steps(plan, completion.calls)
        if value > best:
            best, index = value, i
    return best, index


def score(
    expected: Sequence[ToolCall | Sequence[ToolCall]],
    completion: Completion,
    executed: bool | None = None,
) -> Scores:
    """Every score. `executed` comes from the simulator; None means "use call match"."""
    plans = as_plans(expected)
    matched = call_match(plans, completion)
    steps, plan = step_accuracy(plans, completion)
    return Scores(
        name_match=name_match(plans, completion),
        call_match=matched,
        valid=is_valid(completion),
        executed_match=matched if executed is None else executed,
        step_accuracy=steps,
        plan=plan,
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
