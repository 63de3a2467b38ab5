"""Compound requests: one message that asks for a plan of 2 to 4 calls, in the order said.

`compound_sample(kind, rng, teacher)` writes one sample of a kind in `COMPOUND_WEIGHTS`:
- `plan`: each step phrased by the same phrasebook as single commands, joined the ways people
  chain orders ("and", "then", "after that", commas, "first … then"); sometimes the last two are
  said in the other order ("land, but take a photo first", "before you land, take a photo"), and
  a speed may ride on a move ("fly forward 90 m at 20 km/h"); the answer is the steps in the
  order they will run;
- `refusal`: the same, with one part that the catalogue cannot do (a value out of range, a colour
  it lacks, a missing value, a capability it has not, something unsafe) anywhere in the sentence;
  refusal is atomic, so the answer is `reject_request()` alone.

A plan must fly from its start: take-off (after an optional calibration) comes first, landing or
returning home last, and the verifier runs every plan in the simulator before it is kept.
"""

from __future__ import annotations

import random
from typing import Any

from copilot import ToolCall
from finetune.dataset import Sample, reject_call
from finetune.phrasing import style
from finetune.phrasing.rendering import PHRASERS
from finetune.teachers.invocations import sample_call
from finetune.teachers.rejects import reject_prompt

COMPOUND_WEIGHTS = {"plan": 0.78, "refusal": 0.22}

# Steps that make sense in the air, between a take-off and a landing; weights as people ask.
_AIRBORNE = {
    "control_drone_movement": 2.2,
    "control_camera": 2.0,
    "control_gimbal": 1.2,
    "set_drone_speed": 1.0,
    "configure_led_display": 1.0,
    "set_drone_lighting": 0.8,
    "set_obstacle_avoidance": 0.6,
    "set_follow_me_mode": 0.5,
    "set_autopilot": 0.5,
    "set_battery_saver_mode": 0.5,
    "set_home_location": 0.4,
}
_ENDINGS = ("land_drone", "return_to_home")
# Steps people do say twice in a row: two moves, or a photo and then a panorama.
_REPEATABLE = ("control_drone_movement", "control_camera")
# The parts of a refusal that make the whole request impossible, vague or unsafe.
_BAD_PARTS = {
    "out_of_range": 0.35,
    "enum_miss": 0.15,
    "missing_value": 0.2,
    "capability": 0.15,
    "unsafe": 0.08,
    "imperial": 0.07,
}
# How two parts are joined; {a} and {b} are the phrased steps.
_JOIN = [
    "{a} and {b}",
    "{a} and {b}",
    "{a}, then {b}",
    "{a} then {b}",
    "{a} and then {b}",
    "{a}, after that {b}",
    "{a}. then {b}",
    "{a}, {b}",
    "{a} & {b}",
    "{a}, and once that's done {b}",
    "{a}; {b}",
]
# The last two steps said in the other order: {a} runs first, {b} second.
_INVERTED = ["{b}, but {a} first", "{b}, {a} first", "{b} and {a} first", "before you {b}, {a}"]
_AFTER = ["{b} after {a}", "{b} once you're done {a}"]  # {a} as a gerund: "after taking a photo"
_AT_SPEED = [" at {s} km/h", " at {s} kmh", " at {s}km/h", " going {s} km/h", " at a speed of {s}"]
_FIRST = ["first {a}, then {b}", "first {a} and then {b}", "start by {a}, then {b}"]
_LAST = ["{a} and finally {b}", "{a}, and lastly {b}", "{a}, then {b} to finish"]


def _steps(n: int, rng: random.Random) -> list[str]:
    """Names for a flyable plan of `n` steps."""
    names: list[str] = []
    if rng.random() < 0.5:  # from the ground: take off first (after calibrating, sometimes)
        if n >= 3 and rng.random() < 0.15:
            names.append("calibrate_sensors")
        names.append("takeoff_drone")
    end = rng.choice(_ENDINGS) if rng.random() < 0.3 and n - len(names) >= 2 else None
    middle = n - len(names) - (end is not None)
    pool, weights = list(_AIRBORNE), list(_AIRBORNE.values())
    while middle > 0:
        name = rng.choices(pool, weights)[0]
        if names and name == names[-1] and name not in _REPEATABLE:
            continue  # "turn on autopilot and turn on autopilot": nobody says that
        names.append(name)
        middle -= 1
    if end:
        names.append(end)
    return names


def _call(name: str, rng: random.Random) -> ToolCall:
    if name == "control_drone_movement" and rng.random() < 0.5:  # short hops half the time;
        # the verifier drops the long ones that leave the fence
        return sample_call(name, rng, distance=rng.choice([5, 10, 15, 20, 25, 30, 40, 50, 60]))
    if name == "land_drone" and rng.random() < 0.7:
        return sample_call(name, rng, location=rng.choice(["current", "home_base"]))
    return sample_call(name, rng)


def _part(text: str) -> str:
    """A phrase as the middle of a sentence: no capital (unless "I"), no end punctuation."""
    text = text.strip().rstrip(".!")
    if text[:1].isupper() and not text.startswith(("I ", "I'")) and not text[1:2].isupper():
        text = text[:1].lower() + text[1:]
    return text


_GERUND = {
    "take": "taking",
    "fly": "flying",
    "set": "setting",
    "turn": "turning",
    "go": "going",
    "record": "recording",
    "shoot": "shooting",
    "climb": "climbing",
    "move": "moving",
    "launch": "launching",
    "switch": "switching",
    "put": "putting",
    "get": "getting",
}


def _ing(text: str) -> str:
    """'take off to 30 m' -> 'taking off to 30 m' for "start by …"; None if it does not read."""
    head, _, rest = text.partition(" ")
    gerund = _GERUND.get(head.lower())
    return f"{gerund} {rest}".strip() if gerund else ""


def _join(parts: list[str], rng: random.Random) -> str:
    """One sentence from the phrased steps: in order, or with the last two said inverted."""
    if len(parts) >= 2 and rng.random() < 0.14:
        a, b = parts[-2], parts[-1]
        after = _ing(a)
        inverted = (
            rng.choice(_AFTER).format(a=after, b=b)
            if after and rng.random() < 0.35
            else rng.choice(_INVERTED).format(a=a, b=b)
        )
        if len(parts) == 2:
            return inverted
        return rng.choice(_JOIN).format(a=_join_in_order(parts[:-2], rng), b=inverted)
    return _join_in_order(parts, rng)


def _join_in_order(parts: list[str], rng: random.Random) -> str:
    """One sentence from the phrased steps, in order."""
    if len(parts) >= 2 and rng.random() < 0.15:
        template = rng.choice(_FIRST if _ing(parts[0]) else _FIRST[:2])
        a = _ing(parts[0]) if template.startswith("start by") else parts[0]
        text = template.format(a=a, b=parts[1])
        rest = parts[2:]
    else:
        text, rest = parts[0], parts[1:]
    for i, part in enumerate(rest):
        last = i == len(rest) - 1 and len(parts) >= 3
        template = rng.choice(_LAST if last and rng.random() < 0.4 else _JOIN)
        text = template.format(a=text, b=part)
    return text


def _phrase_steps(calls: list[ToolCall], rng: random.Random) -> list[str]:
    """One phrase a step; a speed just before a move may be said on the move instead."""
    parts: list[str] = []
    for i, call in enumerate(calls):
        text = _part(PHRASERS[call.name](dict(call.arguments), rng))
        before = calls[i - 1] if i else None
        if (
            call.name == "control_drone_movement"
            and before is not None
            and before.name == "set_drone_speed"
            and rng.random() < 0.4
        ):
            parts[-1] = text + rng.choice(_AT_SPEED).format(s=before.arguments["speed"])
            continue
        parts.append(text)
    return parts


def compound_sample(kind: str, rng: random.Random, typo_rate: float = 0.05) -> Sample:
    """One compound sample of `kind` (see `COMPOUND_WEIGHTS`)."""
    n = rng.choice([2, 2, 3, 3, 3, 4, 4])
    calls: list[ToolCall] = []
    for name in _steps(n, rng):
        call = _call(name, rng)
        while calls and call.name == "control_camera" and calls[-1] == call:
            call = _call(name, rng)  # "a photo and a photo": a photo, then a panorama
        calls.append(call)
    if kind == "plan":
        parts = _phrase_steps(calls, rng)
        prompt = style.finish(_join(parts, rng), rng, typo_rate)
        return Sample(prompt, calls[0], "compound:plan", then=tuple(calls[1:]))
    if kind != "refusal":
        raise ValueError(f"unknown compound kind {kind!r}")
    category = rng.choices(list(_BAD_PARTS), list(_BAD_PARTS.values()))[0]
    bad = reject_prompt(category, rng)
    keep = calls[: max(1, n - 1)]
    parts = _phrase_steps(keep, rng)
    parts.insert(rng.randrange(len(parts) + 1), _part(bad.prompt))
    prompt = style.finish(_join(parts, rng), rng, typo_rate)
    return Sample(prompt, reject_call(), "compound:refusal", intended=bad.intended)


def describe(sample: Sample) -> dict[str, Any]:
    """The sample's plan as names, for reports and tests."""
    return {"prompt": sample.prompt, "calls": [c.name for c in sample.calls]}
