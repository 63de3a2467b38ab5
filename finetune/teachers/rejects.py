"""Reject data: requests the copilot must answer with `reject_request`.

Seven categories, each with its own grammar:
- capability: near misses, things a drone could do that our catalogue lacks (night vision, zoom,
  yaw, fly to a place, report the battery);
- out_of_range: a real command with a value outside the catalogue's range, rendered by the same
  phrasing as valid commands (altitude 300, speed -20, tilt up 60, latitude 95);
- enum_miss: a value outside an enum (LED colour purple, camera mode slow motion, fly north);
- missing_value: a command without a required value ("go faster", "move a bit", "take off");
- unsafe: requests to hurt, crash or break rules;
- off_topic: not about the drone at all;
- injection: attempts to override the instructions;
- imperial: feet, yards, miles per hour and knots, which the catalogue does not take.
Each sample keeps the intended call (for out_of_range and enum_miss) so the verifier can check that
the value really is invalid.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from finetune.phrasing import style
from finetune.phrasing.reject_phrasebook import (
    ASK,
    CAPABILITIES,
    IMPERIAL,
    INJECTION_HEADS,
    INJECTION_TAILS,
    MISSING,
    OFF_TOPIC,
    UNSAFE,
)
from finetune.phrasing.rendering import PHRASERS, render
from finetune.teachers.invocations import sample_arguments, sample_coordinates

CATEGORY_WEIGHTS = {
    "capability": 0.27,
    "out_of_range": 0.28,
    "enum_miss": 0.10,
    "missing_value": 0.16,
    "unsafe": 0.07,
    "off_topic": 0.07,
    "injection": 0.06,
    "imperial": 0.04,
}


@dataclass(frozen=True)
class RejectPrompt:
    prompt: str
    category: str
    intended: tuple[str, dict[str, Any]] | None = None  # the invalid call it asks for
    # A minimal pair: the same template with a valid value ("blink red" for "blink orange").
    twin: tuple[str, str, dict[str, Any]] | None = None  # (prompt, name, valid arguments)


def _phrase_pair(
    name: str, bad: dict[str, Any], good: dict[str, Any] | None, rng: random.Random
) -> tuple[str, tuple[str, str, dict[str, Any]] | None]:
    """The prompt for `bad`, and for `good` the same template and choices replayed."""
    state = rng.getstate()
    prompt = style.finish(PHRASERS[name](bad, rng), rng)
    if good is None:
        return prompt, None
    replay = random.Random()
    replay.setstate(state)
    return prompt, (style.finish(PHRASERS[name](good, replay), replay), name, good)


def _slots(rng: random.Random) -> dict[str, Any]:
    def coords(r: random.Random) -> str:
        c = sample_coordinates(r)
        return style.coordinates(c["latitude"], c["longitude"], 3, r)

    return {
        "deg": lambda r: style.degrees(r.choice([15, 30, 45, 90, 180, 360]), r),
        "dur": lambda r: style.seconds(r.choice([10, 30, 60, 120, 300]), r),
        "dist": lambda r: style.metres(r.choice([5, 10, 20, 50, 100]), r),
        "coords": coords,
        "bigalt": lambda r: style.metres(r.choice([150, 200, 300, 500, 1000]), r),
        "bigspd": lambda r: style.kmh(r.choice([150, 200, 300, 500]), r),
        "bignum": lambda r: str(r.choice([500, 999, 1000, 5000])),
        "bigdist": lambda r: style.metres(r.choice([1000, 2000, 5000]), r, km=True),
        "n": lambda r: style.number(r.choice([3, 5, 10, 15, 20, 30, 50, 100, 150, 200]), r),
        "lat": lambda r: f"{r.uniform(-80, 80):.4f}",
        "alt": lambda r: style.metres(r.choice([10, 20, 25, 40, 50, 60, 80, 100]), r),
    }


def _from(templates: list[str], rng: random.Random) -> str:
    slots = _slots(rng)
    ask = render([ASK], rng, {})
    return render(templates, rng, {**slots, "ask": ask + " " if ask else ""})


# --------------------------------------------------------------------------- out of range

# (function, field, a bad value drawer)
_BAD_VALUES = {
    ("takeoff_drone", "altitude"): lambda r: r.choice(
        [
            121,
            125,
            130,
            150,
            180,
            200,
            250,
            300,
            400,
            500,
            1000,
            r.randint(121, 999),
            0,
            -5,
            -10,
            -50,
        ]
    ),
    ("control_drone_movement", "distance"): lambda r: r.choice(
        [501, 550, 600, 750, 800, 1000, 1500, 2000, 5000, r.randint(501, 999), 0, -10, -20, -50]
    ),
    ("set_drone_speed", "speed"): lambda r: r.choice(
        [101, 110, 120, 150, 200, 250, 300, 500, r.randint(101, 999), -1, -5, -10, -20, -50, -150]
    ),
    ("control_camera", "duration"): lambda r: r.choice(
        [601, 660, 720, 900, 1200, 1800, 3600, r.randint(601, 999), 0, -30]
    ),
    ("control_gimbal", "tilt"): lambda r: r.choice(
        [35, 40, 45, 60, 75, 90, 120, r.randint(31, 90), -95, -100, -120, -135, -180]
    ),
    ("control_gimbal", "pan"): lambda r: r.choice(
        [190, 200, 220, 270, 300, 360, 720, -190, -200, -270, -360, r.randint(181, 359)]
    ),
    ("set_home_location", "latitude"): lambda r: r.choice(
        [91.5, 95.0, 100.25, 120.0, 135.5, -91.0, -95.5, -120.75, 180.0]
    ),
    ("set_home_location", "longitude"): lambda r: r.choice(
        [181.5, 190.0, 200.25, 250.0, 360.0, -181.0, -190.5, -200.0]
    ),
    ("land_drone", "latitude"): lambda r: r.choice([91.0, 95.5, 100.0, 150.25, -92.0, -100.5]),
    ("land_drone", "longitude"): lambda r: r.choice([181.0, 185.5, 200.0, 300.0, -181.5, -250.0]),
}


# Coordinates are a quarter of the out-of-range data, not 40% as a uniform pick would make them.
_BAD_WEIGHTS = {
    "altitude": 3.0,
    "distance": 3.0,
    "speed": 3.0,
    "duration": 2.0,
    "tilt": 2.0,
    "pan": 2.0,
}
_BAD_WEIGHTS |= {"latitude": 1.2, "longitude": 1.2}


# Off by default: "climb 2.5 m" as a reject confused a trial adapter next to "0.5 km" (= 500 m),
# and the suites' labeling rules do not ask for it.
FRACTIONAL_SHARE = 0.0
_FRACTIONAL = {
    ("takeoff_drone", "altitude"): [2.5, 12.5, 20.5, 33.3, 45.5, 50.5],
    ("control_drone_movement", "distance"): [0.5, 1.5, 2.5, 7.5, 10.5, 12.5],
    ("set_drone_speed", "speed"): [2.5, 10.5, 15.5, 22.5, 30.5],
    ("control_camera", "duration"): [0.5, 2.5, 7.5, 12.5],
}


def _out_of_range(rng: random.Random) -> RejectPrompt:
    if rng.random() < FRACTIONAL_SHARE:  # not an integer where the catalogue wants one
        name, field = rng.choice(list(_FRACTIONAL))
        fixed = {"mode": "video"} if name == "control_camera" else {}
        args = sample_arguments(name, rng, **fixed)
        args[field] = rng.choice(_FRACTIONAL[(name, field)])
        return RejectPrompt(
            style.finish(PHRASERS[name](args, rng), rng), "out_of_range", (name, args)
        )
    name, field = rng.choices(
        list(_BAD_VALUES), [_BAD_WEIGHTS.get(k[1], 1.0) for k in _BAD_VALUES]
    )[0]
    fixed: dict[str, Any] = {"mode": "video"} if name == "control_camera" else {}
    if name == "land_drone":
        fixed["location"] = "custom"
    args = sample_arguments(name, rng, **fixed)
    good = (
        {**args, "coordinates": dict(args["coordinates"])} if "coordinates" in args else dict(args)
    )
    bad = _BAD_VALUES[(name, field)](rng)
    if field in ("latitude", "longitude"):
        args["coordinates"] = {**args["coordinates"], field: bad}
    else:
        args[field] = bad
    prompt, twin = _phrase_pair(name, args, good, rng)
    return RejectPrompt(prompt, "out_of_range", (name, args), twin)


# --------------------------------------------------------------------------- enum misses

_BAD_COLOURS = [
    "purple",
    "orange",
    "pink",
    "cyan",
    "magenta",
    "violet",
    "indigo",
    "teal",
    "black",
    "brown",
    "gold",
    "silver",
    "turquoise",
    "amber",
    "maroon",
    "lime",
]
_BAD_PATTERNS = ["strobe", "chase", "wave", "sparkle", "twinkle", "scrolling", "flicker", "zigzag"]
_BAD_DIRECTIONS = [
    "north",
    "south",
    "east",
    "west",
    "northeast",
    "southwest",
    "diagonally",
    "sideways",
    "around",
]
_BAD_LIGHTING = ["dim", "strobe", "half brightness", "disco", "purple", "morse code", "bright"]
_BAD_LOCATIONS = [
    "the moon",
    "Mars",
    "the roof",
    "the park",
    "my friend's place",
    "the boat",
    "the nearest field",
    "the parking lot",
    "the neighbour's yard",
]
_BAD_CAMERA = [
    "slow motion",
    "timelapse",
    "burst",
    "night",
    "portrait",
    "HDR",
    "thermal",
    "macro",
    "selfie",
    "black and white",
]


_TOGGLE_NAMES = {
    "set_battery_saver_mode": ("battery saver", "status"),
    "set_obstacle_avoidance": ("obstacle avoidance", "mode"),
    "set_follow_me_mode": ("follow-me mode", "status"),
    "set_autopilot": ("autopilot", "status"),
}
_BAD_TOGGLE = [
    "high",
    "low",
    "medium",
    "maximum",
    "auto",
    "half",
    "50 percent",
    "level two",
    "sport",
    "eco plus",
    "strong",
]
_TOGGLE_TEMPLATES = [
    "{pre}(set|switch|put) [the ]{what} to {value}{post}",
    "{what}[:] {value}",
    "{hey}{CAN} set [the ]{what} to {value}?",
    "{WANT} [the ]{what} set to {value}",
]


def _toggle_miss(rng: random.Random) -> RejectPrompt:
    """An on/off mode set to something else ("autopilot to high"), with its on/off twin."""
    name = rng.choice(list(_TOGGLE_NAMES))
    what, key = _TOGGLE_NAMES[name]
    bad, good = rng.choice(_BAD_TOGGLE), rng.choice(["on", "off"])
    state = rng.getstate()
    prompt = style.finish(render(_TOGGLE_TEMPLATES, rng, {"what": what, "value": bad}), rng)
    replay = random.Random()
    replay.setstate(state)
    twin = style.finish(render(_TOGGLE_TEMPLATES, replay, {"what": what, "value": good}), replay)
    return RejectPrompt(prompt, "enum_miss", (name, {key: bad}), (twin, name, {key: good}))


def _enum_miss(rng: random.Random) -> RejectPrompt:
    kind = rng.choices(
        ["colour", "pattern", "direction", "lighting", "location", "camera", "toggle"],
        [5, 2, 3, 1.5, 1.5, 2, 1.5],
    )[0]
    if kind == "toggle":
        return _toggle_miss(rng)
    colours = ["red", "blue", "green", "yellow", "white"]
    good: dict[str, Any] | None = None
    if kind == "colour":
        pattern = rng.choice(["solid", "blink", "pulse"])
        args = {"pattern": pattern, "color": rng.choice(_BAD_COLOURS)}
        good = {"pattern": pattern, "color": rng.choice(colours)}
        name = "configure_led_display"
    elif kind == "pattern":
        args = {"pattern": rng.choice(_BAD_PATTERNS), "color": rng.choice(colours)}
        good = {"pattern": rng.choice(["solid", "blink", "pulse"]), "color": args["color"]}
        name = "configure_led_display"
    elif kind == "direction":
        args = {
            "direction": rng.choice(_BAD_DIRECTIONS),
            "distance": rng.choice([5, 10, 20, 30, 50, 100]),
        }
        good = {**args, "direction": rng.choice(["forward", "backward", "left", "right"])}
        name = "control_drone_movement"
    elif kind == "lighting":
        args, name = {"mode": rng.choice(_BAD_LIGHTING)}, "set_drone_lighting"
        good = {"mode": rng.choice(["on", "off", "blink", "sos"])}
    elif kind == "location":
        args, name = {"location": rng.choice(_BAD_LOCATIONS)}, "land_drone"
    else:
        args, name = {"mode": rng.choice(_BAD_CAMERA)}, "control_camera"
    prompt, twin = _phrase_pair(name, args, good, rng)
    return RejectPrompt(prompt, "enum_miss", (name, args), twin)


def reject_prompt(category: str, rng: random.Random) -> RejectPrompt:
    """One reject prompt of `category` (see CATEGORY_WEIGHTS)."""
    if category == "out_of_range":
        return _out_of_range(rng)
    if category == "enum_miss":
        return _enum_miss(rng)
    if category == "injection":
        head = render(INJECTION_HEADS, rng, {})
        tail = render(INJECTION_TAILS, rng, _slots(rng))
        return RejectPrompt(style.finish(f"{head} {tail}", rng, 0.02), category)
    templates = {
        "capability": CAPABILITIES,
        "unsafe": UNSAFE,
        "off_topic": OFF_TOPIC,
        "missing_value": MISSING,
        "imperial": IMPERIAL,
    }[category]
    return RejectPrompt(style.finish(_from(templates, rng), rng), category)
