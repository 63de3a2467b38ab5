"""References a single earlier turn cannot teach: a step from the last value, and a value from two
or three turns back.

Each kind in `EARLIER_KINDS` writes one multi-turn sample:
- `step`: "5 faster" after 35 km/h is 40, "tilt down 10 more" after a tilt of -30 is -40, "20
  seconds longer" after a 30-second video is 50 (the target writes `35+5`: `finetune.targets`);
- `earlier`: two or three changes of one setting, then "back to the first speed", "the previous
  colour", "undo the last one" (the value before the last change), "turn the first one off"
  after two modes were switched on, "undo both moves".

The state line (`copilot.drone_state`) shows the current value and the one before it; these
samples are where the model learns to read it.
"""

from __future__ import annotations

import random

from copilot import ToolCall
from finetune.dataset import Sample, assistant_message
from finetune.phrasing import style
from finetune.phrasing.rendering import render

EARLIER_KINDS = ("step", "earlier")

_OPPOSITE = {"forward": "backward", "backward": "forward", "left": "right", "right": "left"}
_OPPOSITE |= {"up": "down", "down": "up"}
FASTER = [
    "[ok |now ](bump it|speed it|bump the speed) up[ by| another] {n}",
    "[now |ok ]{n} faster[ please]",
    "[now ](increase|raise) the speed by {n}",
    "[ok ]add {n}[ to the speed]",
    "(go|fly) {n} faster",
]
SLOWER = [
    "[ok |now ]slow (down|it down) by {n}",
    "[now ]{n} slower[ please]",
    "[now ](reduce|lower|drop) the speed by {n}",
    "ease off {n}",
    "take {n} off the speed",
]
TILT_MORE = {
    "down": ["[now ]tilt (down|lower) {n} more", "[ok ]another {n} down[ on the tilt]"],
    "up": ["[now ]tilt (up|higher) {n} more", "[ok ]another {n} up[ on the tilt]"],
}
PAN_MORE = {
    "right": ["[now ]pan {n} more (right|to the right)", "[ok ]another {n} right"],
    "left": ["[now ]pan {n} more (left|to the left)", "[ok ]another {n} left"],
}
LONGER = ["[now |ok ]{n} longer[ this time]", "same (video|clip) but {n} longer"]
SHORTER = ["[now |ok ]{n} shorter[ this time]", "same (video|clip) but {n} shorter"]
BACK = {
    "set_drone_speed": [
        "[ok |now ](back to|go back to|return to) the (previous|earlier|old|last) speed",
        "[ok ]speed (back to|like) (before|it was)",
        "[actually |nah |no ](undo|cancel) that[,] (previous|old) speed",
    ],
    "control_gimbal": [
        "[ok |now ](back to|go back to) the (previous|earlier|last|old) (angle|gimbal angle|gimbal)",
        "[ok ]gimbal back (like|to how) it was",
        "[ugh |no ]undo the last (one|gimbal move)",
    ],
    "configure_led_display": [
        "[ok |now ](back to|go back to) the (previous|earlier|old) (leds|led pattern|lights)",
        "[ok ]leds (back to|like) (before|they were)",
        "[nah |ugh ]undo that[, the old leds]",
    ],
    "set_drone_lighting": [
        "[ok |now ](back to|bring back) the (previous|earlier|old) light mode",
        "[ok ]lights back (like|to how) they were",
    ],
}
FIRST = {
    "set_drone_speed": ["[ok ](back to|go back to) the first speed", "[ok ]the speed i said first"],
    "control_gimbal": ["[ok ](back to|go back to) the first (angle|gimbal angle)"],
    "configure_led_display": ["[ok ](back to|go back to) the first (leds|pattern|colour|color)"],
    "set_drone_lighting": ["[ok ](back to|go back to) the first light mode"],
}
PATTERN_BEFORE = [
    "[ok ](back to|go back to) the pattern before that but (in |)({color})",
    "the (previous|earlier|old) pattern[,] but {color}",
]
NTH_OFF = {
    0: ["[ok |now ](turn|switch) the first one off", "[ok ]the first one, (turn|switch) it off"],
    1: ["[ok |now ](turn|switch) the (second|last) one off", "[ok ]turn (that|the) last one off"],
}
BOTH_MOVES = ["[ok |now ](undo|reverse) both (moves|of those)", "[ok ]go back the way you came"]
_MODES = {
    "set_follow_me_mode": "status",
    "set_autopilot": "status",
    "set_battery_saver_mode": "status",
    "set_obstacle_avoidance": "mode",
}


def _turns(*exchanges: tuple[str, ToolCall]) -> tuple[dict, ...]:
    """Earlier exchanges in chat form: the user, the assistant's call, the tool's ack."""
    out: list[dict] = []
    for i, (prompt, call) in enumerate(exchanges):
        call_id = f"call_{i}"
        out.append({"role": "user", "content": prompt})
        out.append(assistant_message(call, call_id))
        out.append({"role": "tool", "tool_call_id": call_id, "content": "accepted"})
    return tuple(out)


def _distinct(name: str, rng: random.Random, teacher, count: int, **fixed) -> list:
    """`count` samples of one function with different calls (the teacher phrases each)."""
    out: list = []
    while len(out) < count:
        sample = teacher.sample(name, rng, walk=False)
        if all(sample.call.arguments.get(k) == v for k, v in fixed.items()) and all(
            sample.call != s.call for s in out
        ):
            out.append(sample)
    return out


def _step(rng: random.Random, teacher) -> Sample:
    what = rng.choices(["speed", "tilt", "pan", "video"], [0.45, 0.2, 0.2, 0.15])[0]
    n = rng.choice([5, 5, 10, 10, 15, 20, 25, 30])
    if what == "speed":
        first = teacher.sample("set_drone_speed", rng, walk=False)
        speed = first.call.arguments["speed"]
        up = speed + n <= 100 and (speed - n < 1 or rng.random() < 0.55)
        if not up and speed - n < 1:
            return _step(rng, teacher)
        words = style.kmh(n, rng, unitless=0.5)
        prompt = render(FASTER if up else SLOWER, rng, {"n": words})
        call = ToolCall("set_drone_speed", {"speed": speed + n if up else speed - n})
    elif what in ("tilt", "pan"):
        first = teacher.sample("control_gimbal", rng, walk=False)
        tilt, pan = first.call.arguments["tilt"], first.call.arguments["pan"]
        if what == "tilt":
            ways = {"up": tilt + n, "down": tilt - n}
            ways = {way: value for way, value in ways.items() if -90 <= value <= 30}
            if not ways:
                return _step(rng, teacher)
            way = rng.choice(sorted(ways))
            tilt = ways[way]
            prompt = render(TILT_MORE[way], rng, {"n": str(n)})
        else:
            ways = {"right": pan + n, "left": pan - n}
            way = rng.choice(sorted(w for w, value in ways.items() if -180 <= value <= 180))
            pan = ways[way]
            prompt = render(PAN_MORE[way], rng, {"n": str(n)})
        call = ToolCall("control_gimbal", {"tilt": tilt, "pan": pan})
    else:
        first = _distinct("control_camera", rng, teacher, 1, mode="video")[0]
        duration = first.call.arguments["duration"]
        longer = duration + n <= 600 and (duration - n < 1 or rng.random() < 0.6)
        if not longer and duration - n < 1:
            return _step(rng, teacher)
        words = rng.choice([f"{n} seconds", f"{n}s", f"{n} sec", f"{n} more seconds"])
        prompt = render(LONGER if longer else SHORTER, rng, {"n": words})
        value = duration + n if longer else duration - n
        call = ToolCall("control_camera", {"mode": "video", "duration": value})
    history = _turns((first.prompt, first.call))
    return Sample(style.finish(prompt, rng), call, "context:step", history=history)


def _earlier(rng: random.Random, teacher) -> Sample:
    kinds = {"back": 0.4, "first": 0.2, "pattern": 0.12, "nth": 0.16, "moves": 0.12}
    what = rng.choices(list(kinds), list(kinds.values()))[0]
    tag = "context:earlier"
    if what in ("back", "first"):
        name = rng.choice(list(BACK) if what == "back" else list(FIRST))
        count = 2 if what == "back" else 3
        samples = _distinct(name, rng, teacher, count)
        exchanges = [(s.prompt, s.call) for s in samples]
        if rng.random() < 0.3:  # something else in between
            other_name = rng.choice(["control_camera", "control_drone_movement"])
            other = teacher.sample(other_name, rng, walk=False)
            exchanges.insert(rng.randrange(1, len(exchanges)), (other.prompt, other.call))
        target = samples[-2].call if what == "back" else samples[0].call
        prompt = render((BACK if what == "back" else FIRST)[name], rng, {})
        return Sample(style.finish(prompt, rng), target, tag, history=_turns(*exchanges))
    if what == "pattern":
        first, second = _distinct("configure_led_display", rng, teacher, 2)
        pattern = first.call.arguments["pattern"]
        if pattern == "rainbow":
            return _earlier(rng, teacher)
        colours = ["red", "blue", "green", "yellow", "white"]
        colour = rng.choice([c for c in colours if c != first.call.arguments.get("color")])
        call = ToolCall("configure_led_display", {"pattern": pattern, "color": colour})
        prompt = render(PATTERN_BEFORE, rng, {"color": colour})
        history = _turns((first.prompt, first.call), (second.prompt, second.call))
        return Sample(style.finish(prompt, rng), call, tag, history=history)
    if what == "nth":
        names = rng.sample(list(_MODES), 2)
        firsts = [_distinct(name, rng, teacher, 1, **{_MODES[name]: "on"})[0] for name in names]
        which = rng.choice([0, 1])
        call = ToolCall(names[which], {_MODES[names[which]]: "off"})
        prompt = render(NTH_OFF[which], rng, {})
        history = _turns(*((s.prompt, s.call) for s in firsts))
        return Sample(style.finish(prompt, rng), call, tag, history=history)
    moves = _distinct("control_drone_movement", rng, teacher, 2)
    back = []
    for move in reversed(moves):  # the last move is undone first
        args = move.call.arguments
        back.append(
            ToolCall(
                "control_drone_movement",
                {"direction": _OPPOSITE[args["direction"]], "distance": args["distance"]},
            )
        )
    history = _turns(*((m.prompt, m.call) for m in moves))
    prompt = render(BOTH_MOVES, rng, {})
    return Sample(style.finish(prompt, rng), back[0], tag, history=history, then=(back[1],))


def earlier_sample(kind: str, rng: random.Random, teacher) -> Sample:
    """One multi-turn sample of `kind` (see `EARLIER_KINDS`); `teacher` writes the earlier turns."""
    if kind == "step":
        return _step(rng, teacher)
    if kind == "earlier":
        return _earlier(rng, teacher)
    raise ValueError(f"unknown earlier kind {kind!r}")
