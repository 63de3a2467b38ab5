"""The dataset's makeup: how many examples of each kind a dataset of n holds.

The shares and weights that the template teacher, the multi-turn contexts and the generator all
read live here, so that none of them imports another for a number.
"""

from __future__ import annotations

from copilot import FUNCTION_NAMES, REJECT
from finetune.teachers.compound import COMPOUND_WEIGHTS
from finetune.teachers.rejects import CATEGORY_WEIGHTS

REJECT_SHARE = 0.315  # of all n, so more multi-turn examples take the place of positives
TWIN_SHARE = 0.5  # out-of-range / enum-miss rejects that come with their valid twin
CONTEXT_SHARE = 0.1  # multi-turn samples (finetune.teachers.multiturn)
COMPOUND_SHARE = 0.15  # one message, a plan of 2-4 calls or its refusal (teachers.compound)
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
CONTEXT_WEIGHTS = {
    "followup": 0.24,
    "flip": 0.15,
    "repeat": 0.11,
    "more": 0.11,
    "adjust": 0.15,
    "absolute": 0.12,
    "clarify": 0.12,
    "scale": 0.12,
    "aim": 0.10,
    # references (finetune.teachers.references)
    "undo": 0.12,
    "here": 0.08,
    "keep": 0.08,
    "after_plan": 0.12,
    # steps and references further back (finetune.teachers.earlier)
    "step": 0.12,
    "earlier": 0.16,
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
    compound_share: float = COMPOUND_SHARE,
) -> dict[str, int]:
    """How many samples of each kind a dataset of `n` holds.

    `value_rejects` scales the out-of-range and enum-miss rejects (1 = as weighted, 0 = none);
    the other reject categories keep their share of `n`, and positives take up the rest.
    """
    if value_rejects < 0 or not 0 <= context_share < 1 or not 0 <= compound_share < 1:
        raise ValueError(
            f"value_rejects {value_rejects} < 0, or context_share {context_share} or "
            f"compound_share {compound_share} not in [0, 1)"
        )
    weights = {
        c: w * (value_rejects if c in VALUE_REJECTS else 1.0) for c, w in CATEGORY_WEIGHTS.items()
    }
    reject_share *= sum(weights.values()) / sum(CATEGORY_WEIGHTS.values())
    n_context = round(n * context_share)
    n_reject = round(n * reject_share)
    n_compound = round(n * compound_share)
    out = _apportion(n - n_context - n_reject - n_compound, FUNCTION_WEIGHTS)
    rejects = _apportion(n_reject, weights)
    out.update({f"reject:{c}": k for c, k in rejects.items()})
    out.update({f"context:{c}": k for c, k in _apportion(n_context, CONTEXT_WEIGHTS).items()})
    out.update({f"compound:{c}": k for c, k in _apportion(n_compound, COMPOUND_WEIGHTS).items()})
    return {k: v for k, v in out.items() if v > 0}
