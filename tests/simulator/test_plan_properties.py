"""Property: any well-formed plan of valid calls keeps the drone physical and inside its limits.

The calls are drawn from the catalogue's own schema (every function but `reject_request`, every
argument inside its range) and built with `copilot.validate_call`, so the property covers what a
model may legally answer, not a hand-picked list.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from copilot import FUNCTION_NAMES, MAX_PLAN, REJECT, ToolCall, parameters_schema, validate_call
from simulator.core import World, run_plan, start_state

WORLD = World()
LAT, LON = WORLD.origin_lat, WORLD.origin_lon
NEAR = 0.007  # degrees: about 600-800 m, inside and just beyond the 500 m fence


def _value(key: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Any value the schema allows; GPS points mostly near the pad, so some are accepted."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if schema["type"] == "integer":
        return st.integers(schema["minimum"], schema["maximum"])
    if schema["type"] == "number":
        anywhere = st.floats(schema["minimum"], schema["maximum"], allow_nan=False)
        centre = {"latitude": LAT, "longitude": LON}.get(key)
        if centre is None:
            return anywhere
        return st.one_of(st.floats(centre - NEAR, centre + NEAR, allow_nan=False), anywhere)
    return _arguments(schema)


def _arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Required keys always, optional ones sometimes (the conditional rules sort them out)."""
    props = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {k: _value(k, v) for k, v in props.items() if k in required},
        optional={k: _value(k, v) for k, v in props.items() if k not in required},
    )


def _call(name: str) -> st.SearchStrategy[ToolCall]:
    built = _arguments(parameters_schema(name, descriptions=False)).map(
        lambda arguments: validate_call(name, arguments)
    )
    return built.filter(lambda c: isinstance(c, ToolCall))  # e.g. a photo with a duration


CALLS = st.one_of([_call(name) for name in FUNCTION_NAMES if name != REJECT])
PLANS = st.lists(CALLS, min_size=1, max_size=MAX_PLAN)


@settings(max_examples=200, deadline=None)
@given(PLANS, st.booleans())
def test_any_plan_keeps_the_drone_within_limits(plan: list[ToolCall], airborne: bool) -> None:
    start = start_state(WORLD, airborne=airborne)
    state, acks = run_plan(start, plan, WORLD)
    assert state.altitude >= 0
    assert 0 <= state.battery <= 100
    assert state.crashed or math.hypot(state.x, state.y) <= WORLD.geofence_radius + 1e-6
    # one ack a step; after the first step that did not succeed, every step is skipped
    assert len(acks) == len(plan)
    first_bad = next((i for i, a in enumerate(acks) if not a.ok), len(acks))
    assert all(a.status == "skipped" for a in acks[first_bad + 1 :])
    assert acks[first_bad : first_bad + 1] == [] or acks[first_bad].status == "denied"
