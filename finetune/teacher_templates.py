"""The offline default teacher: samples from the phrasing grammar, with a fixed dataset makeup.

`TemplateTeacher.sample(kind, rng)` writes one sample of a kind: a catalogue function (its
arguments sampled across their ranges, then phrased) or `reject:<category>`. `quotas(n)` says how
many of each kind a dataset of n examples holds: functions with more to say (arguments, enums,
coordinates) get more examples, and rejects are `REJECT_SHARE` of the whole.
"""

from __future__ import annotations

import random

from copilot.catalog import FUNCTION_NAMES, REJECT, ToolCall, parameters_schema, validate_call
from finetune.dataset import Sample, reject_call
from finetune.invocations import enumerate_invocations_of, sample_call
from finetune.phrasing import phrase
from finetune.rejects import CATEGORY_WEIGHTS, reject_prompt

REJECT_SHARE = 0.315  # of all n, so more multi-turn examples take the place of positives
TWIN_SHARE = 0.5  # out-of-range / enum-miss rejects that come with their valid twin
CONTEXT_SHARE = 0.1  # multi-turn samples (finetune.multiturn)
FUNCTION_WEIGHTS = {
    "takeoff_drone": 1.5,
    "land_drone": 1.5,
    "control_drone_movement": 1.7,
    "set_drone_speed": 1.1,
    "control_camera": 1.3,
    "control_gimbal": 1.6,
    "set_drone_lighting": 1.0,
    "return_to_home": 0.7,
    "set_battery_saver_mode": 0.8,
    "set_obstacle_avoidance": 0.8,
    "set_follow_me_mode": 0.8,
    "calibrate_sensors": 0.6,
    "set_autopilot": 0.8,
    "configure_led_display": 1.4,
    "set_home_location": 1.3,
}
assert set(FUNCTION_WEIGHTS) == set(FUNCTION_NAMES) - {REJECT}
# Where coordinates are near the simulator's pad (the suites fly there) rather than anywhere.
LOCAL_COORDINATES_SHARE = 0.5


def _apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Integer counts proportional to weights that add up to `total` (largest remainders)."""
    scale = sum(weights.values())
    raw = {k: total * w / scale for k, w in weights.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[
        : total - sum(counts.values())
    ]:
        counts[k] += 1
    return counts


# Rejects for a value the catalogue does not allow ("take off to 300 m", "blink orange").
VALUE_REJECTS = ("out_of_range", "enum_miss")


def quotas(
    n: int,
    reject_share: float = REJECT_SHARE,
    context_share: float = CONTEXT_SHARE,
    value_rejects: float = 1.0,
) -> dict[str, int]:
    """How many samples of each kind a dataset of `n` holds.

    `value_rejects` scales the out-of-range and enum-miss rejects (1 = as weighted, 0 = none);
    the other reject categories keep their share of `n`, and positives take up the rest.
    """
    from finetune.multiturn import CONTEXT_WEIGHTS

    if value_rejects < 0 or not 0 <= context_share < 1:
        raise ValueError(
            f"value_rejects {value_rejects} < 0 or context_share {context_share} not in [0, 1)"
        )
    weights = {
        c: w * (value_rejects if c in VALUE_REJECTS else 1.0) for c, w in CATEGORY_WEIGHTS.items()
    }
    reject_share *= sum(weights.values()) / sum(CATEGORY_WEIGHTS.values())
    n_context = round(n * context_share)
    n_reject = round(n * reject_share)
    out = _apportion(n - n_context - n_reject, FUNCTION_WEIGHTS)
    rejects = _apportion(n_reject, weights)
    out.update({f"reject:{c}": k for c, k in rejects.items()})
    out.update({f"context:{c}": k for c, k in _apportion(n_context, CONTEXT_WEIGHTS).items()})
    return {k: v for k, v in out.items() if v > 0}


def _local_coordinates(rng: random.Random) -> dict[str, float]:
    """A point within ~450 m of the standard world's pad (37.7694, -122.4862)."""
    from simulator.core import World

    world = World()
    angle, dist = rng.uniform(0, 6.283), rng.uniform(20, 450)
    import math

    lat, lon = world.to_latlon(dist * math.sin(angle), dist * math.cos(angle))
    decimals = rng.choice([4, 5, 5, 6])
    return {"latitude": round(lat, decimals), "longitude": round(lon, decimals)}


class TemplateTeacher:
    """Prompts from the phrasebook; deterministic for a given `random.Random`."""

    name = "templates"

    def __init__(self, typo_rate: float = 0.05) -> None:
        self.typo_rate = typo_rate
        self._queues: dict[str, list[dict[str, str]]] = {}

    def sample(self, kind: str, rng: random.Random, walk: bool = True) -> Sample:
        """One sample of `kind`. `walk=False` (earlier turns of a conversation) draws the enum
        values at random instead of taking the next combination of the enumeration."""
        if kind.startswith("context:"):
            from finetune.multiturn import context_sample

            return context_sample(kind.split(":", 1)[1], rng, self)
        if kind.startswith("reject:"):
            r = reject_prompt(kind.split(":", 1)[1], rng)
            return Sample(r.prompt, reject_call(), kind, intended=r.intended)
        fixed = self._next_enums(kind, rng) if walk else {}
        call = sample_call(kind, rng, **fixed)
        if "coordinates" in call.arguments and rng.random() < LOCAL_COORDINATES_SHARE:
            call = sample_call(kind, rng, **fixed, coordinates=_local_coordinates(rng))
        return Sample(phrase(call.name, call.arguments, rng, self.typo_rate), call, kind)

    def _next_enums(self, kind: str, rng: random.Random) -> dict[str, str]:
        """The enum values of the next invocation of `kind`: the cookbook's enumeration, walked
        in a shuffled round so every combination the rules allow comes up evenly."""
        queue = self._queues.setdefault(kind, [])
        if not queue:
            props = parameters_schema(kind, descriptions=False).get("properties", {})
            for call in enumerate_invocations_of(kind, rng):
                queue.append(
                    {k: v for k, v in call.arguments.items() if "enum" in props.get(k, {})}
                )
            rng.shuffle(queue)
        return queue.pop()

    def batch(self, kind: str, rng: random.Random) -> list[Sample]:
        """One sample, and for half the out-of-range and enum-miss rejects also its valid twin
        (the same sentence with a valid value), so the boundary is learnt from minimal pairs."""
        if kind in ("reject:out_of_range", "reject:enum_miss"):
            r = reject_prompt(kind.split(":", 1)[1], rng)
            out = [Sample(r.prompt, reject_call(), kind, intended=r.intended)]
            if r.twin is not None and rng.random() < TWIN_SHARE:
                prompt, name, args = r.twin
                checked = validate_call(name, args)
                if isinstance(checked, ToolCall):
                    out.append(Sample(prompt, checked, name))
            return out
        return [self.sample(kind, rng)]

    def stats(self) -> dict[str, int]:
        return {}
