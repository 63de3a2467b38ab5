"""Conversational references that single-turn data never teaches: undo, here, keep-this-change-
that, and a follow-up after a plan.

Each kind in `REFERENCE_KINDS` writes one multi-turn sample: an earlier turn (one call, or a plan
of several) in the history, then a short message whose answer depends on it:
- `undo`: "actually, undo that" after a move flies it back; after a mode switched on or off it
  switches it back; a photo cannot be untaken, so that one is refused;
- `here`: "land right here" is `land_drone(location="current")`; "make this home" has no
  coordinates to give, so it is refused;
- `keep`: "keep that tilt and pan right 40" keeps one gimbal angle and changes the other;
- `after_plan`: after a plan, "same again" repeats the whole plan, "undo the last step" reverses
  its last move, and a new command is just that command.
"""

from __future__ import annotations

import random

from copilot import ToolCall
from finetune.dataset import Sample, assistant_message, reject_call
from finetune.phrasing import style
from finetune.phrasing.rendering import render
from finetune.teachers.compound import compound_sample

REFERENCE_KINDS = ("undo", "here", "keep", "after_plan")

OPPOSITE = {  # a move's way back (multiturn reads it too)
    "forward": "backward",
    "backward": "forward",
    "left": "right",
    "right": "left",
    "up": "down",
    "down": "up",
}
_TOGGLES = {
    "set_follow_me_mode": "status",
    "set_autopilot": "status",
    "set_battery_saver_mode": "status",
    "set_obstacle_avoidance": "mode",
    "set_drone_lighting": "mode",
}
UNDO = [
    "[actually|wait|hmm|no][,] (undo|cancel|reverse) (that|it)[ please]",
    "[nah |no |oops |]undo[ that| it][ pls| please]",
    "take that back[ please]",
    "[actually ]scrap that, undo it",
    "(never mind|nevermind), undo (that|it)",
    "[ok ](undo|reverse) the last (one|command|thing)",
]
HERE_LAND = [
    "[ok |now |alright ]land (right |)(here|where you are|where it is)[ please| now]",
    "[ok ](put|set) (it|her) down (right |)(here|where you are)",
    "[now ](bring it down|touch down) (right here|on the spot|where you are)",
    "land it right where it is",
    "just land here",
]
HERE_HOME = [
    "[ok |now ](make|set) (this|here) (as |)(home|the home point)",
    "[now ](save|set) this (spot|place) as home",
]
KEEP_TILT = [
    "[ok |now ]keep (that|the) tilt and pan {pan}",
    "same tilt(,| but) pan {pan}",
    "[now ]leave the tilt, (pan|turn) {pan}",
]
KEEP_PAN = [
    "[ok |now ]keep (that|the) pan and tilt {tilt}",
    "same pan(,| but) tilt {tilt}",
    "[now ]leave the pan, tilt {tilt}",
]
AGAIN_PLAN = [
    "(again|same again|do (all |)that again|repeat that|once more)[ please|!]",
    "[ok |nice, ](run|do) (it|that|the whole thing) again",
]
UNDO_LAST = [
    "[now |ok ](undo|reverse) the last (step|move|one)",
    "[now ](go|fly) back (the way you came|where you were) for the last (move|bit)",
]


def _turn(prompt: str, calls: tuple[ToolCall, ...]) -> tuple[dict, ...]:
    """An earlier exchange: the user, one assistant message with every call, one tool ack each."""
    message = assistant_message(calls, "call_h0")
    tools = [
        {"role": "tool", "tool_call_id": f"call_h{i}", "content": "accepted"}
        for i in range(len(calls))
    ]
    return ({"role": "user", "content": prompt}, message, *tools)


def _pan_words(pan: int, rng: random.Random) -> str:
    side = "right" if pan > 0 else "left"
    return rng.choice([f"{side} {abs(pan)}", f"{abs(pan)} {side}", f"{abs(pan)}° {side}"])


def _tilt_words(tilt: int, rng: random.Random) -> str:
    if tilt < 0:
        return rng.choice([f"down {-tilt}", f"{-tilt} down", f"to {tilt}"])
    return rng.choice([f"up {tilt}", f"{tilt} up"]) if tilt else "level"


def reference_sample(kind: str, rng: random.Random, teacher) -> Sample:
    """One multi-turn sample of `kind` (see `REFERENCE_KINDS`); `teacher` writes the first turn."""
    tag = f"context:{kind}"
    if kind == "undo":
        what = rng.choices(["move", "toggle", "photo"], [0.55, 0.35, 0.1])[0]
        if what == "move":
            first = teacher.sample("control_drone_movement", rng, walk=False)
            args = first.call.arguments
            call = ToolCall(
                "control_drone_movement",
                {"direction": OPPOSITE[args["direction"]], "distance": args["distance"]},
            )
        elif what == "toggle":
            name = rng.choice(list(_TOGGLES))
            first = teacher.sample(name, rng, walk=False)
            key = _TOGGLES[name]
            value = first.call.arguments[key]
            if value not in ("on", "off"):  # blink / sos lights: "undo" is ambiguous
                return reference_sample("undo", rng, teacher)
            call = ToolCall(name, {key: "off" if value == "on" else "on"})
        else:
            first = teacher.sample("control_camera", rng, walk=False)
            while first.call.arguments["mode"] != "photo":
                first = teacher.sample("control_camera", rng, walk=False)
            call = reject_call()
        prompt = style.finish(render(UNDO, rng, {}), rng)
        return Sample(prompt, call, tag, history=_turn(first.prompt, first.calls))
    if kind == "here":
        first = teacher.sample(
            rng.choice(["control_drone_movement", "control_camera", "set_drone_speed"]),
            rng,
            walk=False,
        )
        if rng.random() < 0.8:
            prompt, call = (
                render(HERE_LAND, rng, {}),
                ToolCall("land_drone", {"location": "current"}),
            )
        else:
            prompt, call = render(HERE_HOME, rng, {}), reject_call()
        return Sample(
            style.finish(prompt, rng), call, tag, history=_turn(first.prompt, first.calls)
        )
    if kind == "keep":
        first = teacher.sample("control_gimbal", rng, walk=False)
        tilt, pan = first.call.arguments["tilt"], first.call.arguments["pan"]
        if rng.random() < 0.6:
            new_pan = rng.choice([p for p in range(-150, 151, 15) if p not in (0, pan)])
            prompt = render(KEEP_TILT, rng, {"pan": _pan_words(new_pan, rng)})
            call = ToolCall("control_gimbal", {"tilt": tilt, "pan": new_pan})
        else:
            new_tilt = rng.choice([t for t in range(-90, 31, 10) if t not in (0, tilt)])
            prompt = render(KEEP_PAN, rng, {"tilt": _tilt_words(new_tilt, rng)})
            call = ToolCall("control_gimbal", {"tilt": new_tilt, "pan": pan})
        return Sample(
            style.finish(prompt, rng), call, tag, history=_turn(first.prompt, first.calls)
        )
    if kind == "after_plan":
        plan = compound_sample("plan", rng)
        history = _turn(plan.prompt, plan.calls)
        moves = [c for c in plan.calls if c.name == "control_drone_movement"]
        what = rng.choice(
            ["again", "new", "undo"] if moves and plan.calls[-1] in moves else ["again", "new"]
        )
        if what == "again":
            prompt = style.finish(render(AGAIN_PLAN, rng, {}), rng)
            return Sample(prompt, plan.call, tag, history=history, then=plan.then)
        if what == "undo":
            last = plan.calls[-1].arguments
            call = ToolCall(
                "control_drone_movement",
                {"direction": OPPOSITE[last["direction"]], "distance": last["distance"]},
            )
            return Sample(style.finish(render(UNDO_LAST, rng, {}), rng), call, tag, history=history)
        name = rng.choice(
            ["control_camera", "set_drone_speed", "control_gimbal", "configure_led_display"]
        )
        second = teacher.sample(name, rng, walk=False)
        return Sample(second.prompt, second.call, tag, history=history)
    raise ValueError(f"unknown reference kind {kind!r}")
