"""Invocations: the calls the training data asks for, enumerated from the catalogue.

As the cookbook did, enum values are multiplied out and the optional arguments are switched on
and off, but only in the combinations the catalogue's conditional rules allow (coordinates iff
custom landing, duration iff video, colour unless rainbow). Unlike the cookbook, integers are
sampled across their realistic ranges, and coordinate objects are real positions.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from copilot import FUNCTION_NAMES, REJECT, ToolCall, parameters_schema, validate_call

# Values people actually say: round numbers most of the time, anything in range sometimes.
_ROUND = {
    "altitude": [5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100, 110, 120],
    "distance": [
        1,
        2,
        3,
        5,
        10,
        15,
        20,
        25,
        30,
        40,
        50,
        60,
        75,
        80,
        100,
        120,
        150,
        200,
        250,
        300,
        400,
        500,
    ],
    "speed": [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70, 75, 80, 90, 100],
    "duration": [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 600],
    "tilt": [-90, -80, -75, -60, -45, -30, -20, -15, -10, -5, 0, 5, 10, 15, 20, 30],
    "pan": [-180, -135, -120, -90, -60, -45, -30, -15, 0, 15, 30, 45, 60, 90, 120, 135, 180],
}
# Movement limits that keep the move inside the simulator's airspace from a normal start state.
_DIRECTION_MAX = {"up": 80, "down": 100}


def sample_int(field: str, lo: int, hi: int, rng: random.Random) -> int:
    """A realistic integer for `field` in lo..hi: a round value 60% of the time."""
    pool = [v for v in _ROUND.get(field, []) if lo <= v <= hi]
    if pool and rng.random() < 0.6:
        return rng.choice(pool)
    if rng.random() < 0.08:
        return rng.choice([lo, hi])
    return rng.randint(lo, hi)


def sample_coordinates(rng: random.Random) -> dict[str, float]:
    """A position with 2 to 6 decimals, in both hemispheres, now and then at an extreme."""
    decimals = rng.choice([2, 3, 4, 4, 5, 6])
    lat = rng.uniform(-60, 70) if rng.random() < 0.9 else rng.uniform(-90, 90)
    lon = rng.uniform(-180, 180)
    return {"latitude": round(lat, decimals), "longitude": round(lon, decimals)}


def _bounds(name: str, field: str) -> tuple[int, int]:
    spec = parameters_schema(name, descriptions=False)["properties"][field]
    return int(spec["minimum"]), int(spec["maximum"])


def enum_values(name: str, field: str) -> list[str]:
    return list(parameters_schema(name, descriptions=False)["properties"][field]["enum"])


def sample_arguments(name: str, rng: random.Random, **fixed: Any) -> dict[str, Any]:
    """Valid arguments for `name`, drawn at random; `fixed` pins some of them."""
    props = parameters_schema(name, descriptions=False).get("properties", {})
    args: dict[str, Any] = {}
    for field, spec in props.items():
        if field in fixed:
            args[field] = fixed[field]
        elif "enum" in spec:
            args[field] = rng.choice(spec["enum"])
        elif spec.get("type") == "integer":
            lo, hi = int(spec["minimum"]), int(spec["maximum"])
            if field == "distance":
                hi = min(hi, _DIRECTION_MAX.get(args.get("direction", ""), hi))
            args[field] = sample_int(field, lo, hi, rng)
        elif field == "coordinates":
            args[field] = sample_coordinates(rng)
    # the conditional rules
    if name == "land_drone" and args.get("location") != "custom":
        args.pop("coordinates", None)
    if name == "control_camera" and args.get("mode") != "video":
        args.pop("duration", None)
    if name == "configure_led_display" and args.get("pattern") == "rainbow":
        args.pop("color", None)
    return args


def sample_call(name: str, rng: random.Random, **fixed: Any) -> ToolCall:
    checked = validate_call(name, sample_arguments(name, rng, **fixed))
    if not isinstance(checked, ToolCall):  # a bug in this module, not in the data
        raise AssertionError(str(checked))
    return checked


def enumerate_invocations_of(
    name: str, rng: random.Random, ints_per_slot: int = 1
) -> list[ToolCall]:
    """Every enum combination of one function the rules allow (see `enumerate_invocations`)."""
    props = parameters_schema(name, descriptions=False).get("properties", {})
    enums = {f: s["enum"] for f, s in props.items() if "enum" in s}
    sampled = any(f not in enums for f in props)
    out = []
    for combo in itertools.product(*enums.values()):
        fixed = dict(zip(enums, combo, strict=True))
        probe = sample_arguments(name, rng, **fixed)
        needs_sampling = sampled and any(f not in enums for f in probe)
        out += [
            sample_call(name, rng, **fixed) for _ in range(ints_per_slot if needs_sampling else 1)
        ]
    return out


def enumerate_invocations(rng: random.Random, ints_per_slot: int = 3) -> list[ToolCall]:
    """Every enum combination the rules allow, each with `ints_per_slot` sampled integers.

    The cookbook's recipe (products of enum values times subsets of optional arguments), with
    integers and coordinates sampled rather than fixed. `reject_request` is not an invocation.
    """
    out: list[ToolCall] = []
    for name in FUNCTION_NAMES:
        if name != REJECT:
            out += enumerate_invocations_of(name, rng, ints_per_slot)
    return out


def combo_key(call: ToolCall) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A call's structural invocation: its name, enum values and which optional arguments it has."""
    props = parameters_schema(call.name, descriptions=False).get("properties", {})
    parts = []
    for key, value in sorted(call.arguments.items()):
        parts.append((key, str(value) if "enum" in props.get(key, {}) else "*"))
    return call.name, tuple(parts)


def all_combos() -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every structural invocation the catalogue's rules allow (the cookbook's enumeration)."""
    return {combo_key(c) for c in enumerate_invocations(random.Random(0), ints_per_slot=1)}
