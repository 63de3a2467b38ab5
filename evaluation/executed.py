"""Executed match: does the model's plan leave the simulator where an acceptable plan leaves it?

The simulator core runs headless (no pygame), and a plan runs as `simulator.core.run_plan` runs
it: checked whole, then step by step, each flown to completion, a denied or failed step stopping
the rest. The start state is the case's `setup` applied to a fresh, landed drone; without a setup
it is a state in which the expected plan's first call is accepted: landed for `takeoff_drone`
(and `calibrate_sensors`, which the simulator only allows on the ground), hovering at 30 m over
the pad for everything else (`simulator.core.start_state_for`, the rule the data verifier uses
too). Each acceptable plan is compared from its own start state.

Where comparing states cannot tell right from wrong, executed match falls back to call match
(the same calls in the same order) for that acceptable plan:
- some step of the expected plan is not accepted even from its start state (nothing to compare);
- the expected plan changes nothing observable there (`reject_request`, or turning on a mode that
  is already on), since any other no-op would then "match".
A predicted plan with a step that is denied, fails or is skipped never matches: two wrong calls
both denied on the ground leave equal states, and that must not count. So two independent
settings in either order match here, though only the order listed is a call match.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from copilot import ToolCall
from evaluation.scoring import as_plans, same_plan
from simulator.core import (
    World,
    execute,
    observation,
    run_plan,
    run_until_idle,
    start_state,
    start_state_for,
)

ACCEPTED = "accepted"
_WORLD = World()


def _status(ack: Any) -> str:
    status = getattr(ack, "status", ack)
    return str(getattr(status, "value", status)).lower()


def apply(state: Any, calls: Sequence[ToolCall], world: Any = _WORLD) -> tuple[Any, bool]:
    """Run calls one after another to completion, each on its own (a case's `setup`, which may
    be longer than a plan); also say whether every one was accepted."""
    all_accepted = True
    for call in calls:
        state, ack = execute(state, call, world)
        all_accepted = all_accepted and _status(ack) == ACCEPTED
        state = run_until_idle(state, world)
    return state, all_accepted


def run(state: Any, plan: Sequence[ToolCall], world: Any = _WORLD) -> tuple[Any, bool]:
    """Run a plan as the simulator runs one; also say whether every step was accepted."""
    state, acks = run_plan(state, plan, world)
    return state, len(acks) == len(plan) and all(_status(ack) == ACCEPTED for ack in acks)


def initial_state(expected: ToolCall, setup: Sequence[ToolCall], world: Any = _WORLD) -> Any:
    """The case's start state for an expected plan starting with `expected` (see the module
    docstring)."""
    if setup:
        state, _ = apply(start_state(world, airborne=False), setup, world)
        return state
    return start_state_for(expected, world)


def same_observation(a: Any, b: Any) -> bool:
    """Observations equal, floats within a millimetre (or a thousandth of a unit)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_observation(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(same_observation, a, b))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-3)
    return bool(a == b)


_OUTCOMES: dict[str, tuple[Any, dict[str, Any] | None]] = {}


def _expected_outcome(
    plan: tuple[ToolCall, ...], setup: tuple[ToolCall, ...]
) -> tuple[Any, dict[str, Any] | None]:
    """(start state, observation after the expected plan), or None when it cannot be compared.

    Memoised by the calls' text: suites repeat the same expected plans, and the core is pure.
    """
    key = " ; ".join(map(str, setup)) + " | " + " ; ".join(map(str, plan))
    if key not in _OUTCOMES:
        _OUTCOMES[key] = _compute_outcome(plan, setup)
    return _OUTCOMES[key]


def _compute_outcome(
    plan: tuple[ToolCall, ...], setup: tuple[ToolCall, ...]
) -> tuple[Any, dict[str, Any] | None]:
    start = initial_state(plan[0], setup)
    after, accepted = run(start, plan)
    if not accepted:
        return start, None
    seen = observation(after)
    if same_observation(seen, observation(start)):
        return start, None
    return start, seen


def executed_match(
    expected: Sequence[ToolCall | Sequence[ToolCall]],
    predicted: Sequence[ToolCall],
    setup: Sequence[ToolCall] = (),
    valid: bool = True,
) -> bool:
    """True when the predicted plan leaves the same state as one acceptable plan (a bare call in
    `expected` is a plan of one call)."""
    if not valid or not predicted:
        return False
    setup = tuple(setup)
    for plan in as_plans(expected):
        start, target = _expected_outcome(plan, setup)
        if target is None:  # fall back to call match for this plan
            if same_plan(plan, predicted):
                return True
            continue
        after, accepted = run(start, predicted)
        if accepted and same_observation(observation(after), target):
            return True
    return False
