"""Executed match: does the model's call leave the simulator where the expected call leaves it?

The simulator core runs headless (no pygame). The start state is the case's `setup` applied to a
fresh, landed drone; without a setup it is a state in which the expected call is accepted: landed
for `takeoff_drone` (and `calibrate_sensors`, which the simulator only allows on the ground),
hovering at 30 m over the pad for everything else (`simulator.core.start_state_for`, the rule
the data verifier uses too).

Where comparing states cannot tell right from wrong, executed match falls back to call match:
- the expected call is denied even in its start state (nothing to compare);
- the expected call changes nothing observable there (`reject_request`, or turning on a mode that
  is already on), since any other no-op would then "match".
A predicted call that is denied or fails never matches: two wrong calls both denied on the ground
leave equal states, and that must not count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from copilot import ToolCall
from evaluation.scoring import same_call
from simulator.core import (
    World,
    execute,
    observation,
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
    """Run calls one after another to completion; also say whether every one was accepted."""
    all_accepted = True
    for call in calls:
        state, ack = execute(state, call, world)
        all_accepted = all_accepted and _status(ack) == ACCEPTED
        state = run_until_idle(state, world)
    return state, all_accepted


def initial_state(expected: ToolCall, setup: Sequence[ToolCall], world: Any = _WORLD) -> Any:
    """The case's start state (see the module docstring)."""
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
    expected: ToolCall, setup: tuple[ToolCall, ...]
) -> tuple[Any, dict[str, Any] | None]:
    """(start state, observation after the expected call), or None when it cannot be compared.

    Memoised by the calls' text: suites repeat the same expected calls, and the core is pure.
    """
    key = " ; ".join(str(call) for call in (*setup, expected))
    if key not in _OUTCOMES:
        _OUTCOMES[key] = _compute_outcome(expected, setup)
    return _OUTCOMES[key]


def _compute_outcome(
    expected: ToolCall, setup: tuple[ToolCall, ...]
) -> tuple[Any, dict[str, Any] | None]:
    start = initial_state(expected, setup)
    after, accepted = apply(start, [expected])
    if not accepted:
        return start, None
    seen = observation(after)
    if same_observation(seen, observation(start)):
        return start, None
    return start, seen


def executed_match(
    expected: Sequence[ToolCall],
    predicted: Sequence[ToolCall],
    setup: Sequence[ToolCall] = (),
    valid: bool = True,
) -> bool:
    """True when the predicted calls leave the same state as one acceptable expected call."""
    if not valid or not predicted:
        return False
    setup = tuple(setup)
    for option in expected:
        start, target = _expected_outcome(option, setup)
        if target is None:  # fall back to call match for this option
            if len(predicted) == 1 and same_call(option, predicted[0]):
                return True
            continue
        after, accepted = apply(start, predicted)
        if accepted and same_observation(observation(after), target):
            return True
    return False
