"""Multi-turn samples: a command that follows an earlier exchange, as the copilot's chat sees it.

The history is one earlier turn (the user's prompt, the assistant's call and the tool's ack).
Kinds:
- followup: an unrelated new command (or a request to reject); the history must not leak in;
- flip: "now turn it off" after switching a mode on (and back);
- repeat: "again", "one more" after a move or a photo;
- more: "another 20 m" after a move, in the same direction;
- adjust: "make it 60 instead" after a speed, "now in blue" after an LED pattern, "make it
  2 minutes" after a video, "now the other way" after a move;
- absolute: "climb to 50 m" after "take off to 30 m" is a move up of 20 m (the height is known).
"""

from __future__ import annotations

import random
from dataclasses import replace

from copilot.catalog import ToolCall
from finetune import style
from finetune.dataset import Sample, assistant_message
from finetune.invocations import sample_call
from finetune.phrasing import render

CONTEXT_WEIGHTS = {
    "followup": 0.24,
    "flip": 0.15,
    "repeat": 0.11,
    "more": 0.11,
    "adjust": 0.15,
    "absolute": 0.12,
    "clarify": 0.12,
}
# A request rejected for a missing value, then the value on its own: the two make one call.
CLARIFY = {
    "takeoff_drone": (
        [
            "(take off|launch|lift off|get airborne)[ please| now]",
            "(take off|launch) to a safe altitude",
        ],
        [
            "[to |at ]{alt}",
            "(make it|go to|climb to|take off to) {alt}",
            "{alt}[ please| altitude| high]",
        ],
    ),
    "set_drone_speed": (
        ["(go faster|slow down|speed up|change the speed|set the speed)[ please]"],
        ["{spd}", "(make it|set it to|go|fly at) {spd}", "{spd}[ please| then]"],
    ),
    "control_camera": (
        ["(record|film|shoot|take) a video[ please]", "start recording[ please]"],
        ["for {dur}", "{dur}[ please| long]", "(make it|record for|film for) {dur}"],
    ),
    "configure_led_display": (
        ["make the (LEDs|LED display|LED ring) {verb}", "set the LED (display|pattern) to {noun}"],
        ["(in |)({color})", "(make it|use|colour|color) {color}", "{color}[ please]"],
    ),
    "control_drone_movement": (
        ["(move|go|fly) {dir}[ please]", "(move|go|fly) {dir} a bit"],
        ["{dist}", "(by |)({dist})[ please]", "(make it|go|move) {dist}"],
    ),
}
ABSOLUTE = [
    "[now |ok |and ](climb|go up|rise|ascend) to {alt}",
    "[now |ok |and ](descend|go down|drop|come down|lower) to {alt}",
    "[now |ok ](change|set|adjust) [the ](altitude|height) to {alt}",
    "[now |ok ](fly|hover|hold) at {alt}[ instead]",
    "[now |ok ](take it|bring it|bring her) up to {alt}",
    "[now |ok ](take it|bring it|bring her) down to {alt}",
]
_TOGGLES = {
    "set_follow_me_mode": "status",
    "set_autopilot": "status",
    "set_battery_saver_mode": "status",
    "set_obstacle_avoidance": "mode",
}
FLIP = {
    "off": [
        "[now |ok |alright, |and ](turn|switch) it (off|back off)[ again| please| now]",
        "[now |ok ](disable|deactivate) (it|that)[ please| again]",
        "[ok |now ]turn that off",
        "(that's enough|enough), (turn|switch) it off",
        "[ok ]off again",
    ],
    "on": [
        "[now |ok |alright, |and ](turn|switch) it (on|back on)[ again| please| now]",
        "[now |ok ](enable|activate|reactivate) (it|that)[ again| please]",
        "[ok |now ]turn that back on",
        "[ok ]on again",
    ],
}
REPEAT = [
    "(again|do it again|one more time|once more|same again|repeat that|do that again)[ please|!]",
    "[ok |great, |nice, ](again|one more time|same thing again|repeat)",
]
REPEAT_PHOTO = [
    "[ok |nice, ](another one|take another|one more|another (photo|picture|shot))[ please]"
]
MORE = [
    "[now |ok |and ](another|go another|move another) {dist}",
    "[now |ok ]{dist} more[ please| in the same direction]",
    "(keep going|continue|same direction), {dist} more",
    "[ok ](again but|same but|same direction but) {dist}",
]
ADJUST_SPEED = [
    "(make it|actually,|change that to|no,|hmm, make it) {spd}[ instead]",
    "(actually|wait), {spd}",
]
ADJUST_LED = [
    "[now |ok ](in|make it|switch to|same but) {color}[ instead]",
    "(actually|no), {color}",
    "[ok ]same pattern(,| but) {color}",
]
ADJUST_VIDEO = [
    "(make it|actually,|change that to|no, make it) {dur}[ instead]",
    "[again but|same but] for {dur}",
    "(actually|wait), {dur}",
]
ADJUST_OPPOSITE = [
    "[now |ok ](the other way|back the other way|the opposite way|reverse that|opposite direction)[ please]"
]
_OPPOSITE = {
    "forward": "backward",
    "backward": "forward",
    "left": "right",
    "right": "left",
    "up": "down",
    "down": "up",
}


def _turn(prompt: str, call: ToolCall, ack: str = "accepted") -> tuple[dict, ...]:
    message = assistant_message(call, "call_h0")
    tool = {"role": "tool", "tool_call_id": "call_h0", "content": ack}
    return ({"role": "user", "content": prompt}, message, tool)


def context_sample(kind: str, rng: random.Random, teacher) -> Sample:
    """One multi-turn sample of `kind` (see CONTEXT_WEIGHTS); `teacher` writes single turns."""
    from finetune.teacher_templates import FUNCTION_WEIGHTS

    if kind == "followup":
        first = teacher.sample(rng.choice(list(FUNCTION_WEIGHTS)), rng, walk=False)
        pool = [
            *list(FUNCTION_WEIGHTS),
            "reject:missing_value",
            "reject:out_of_range",
            "reject:enum_miss",
            "reject:capability",
            "reject:off_topic",
        ]
        second = teacher.sample(rng.choice(pool), rng, walk=False)
        return replace(second, kind="context:followup", history=_turn(first.prompt, first.call))
    if kind == "flip":
        name = rng.choice([*_TOGGLES, "set_drone_lighting"])
        key = _TOGGLES.get(name, "mode")
        before = rng.choice(["on", "off"])
        first = teacher.sample(name, rng, walk=False)
        while first.call.arguments[key] != before:
            first = teacher.sample(name, rng, walk=False)
        after = "off" if before == "on" else "on"
        prompt = style.finish(render(FLIP[after], rng, {}), rng)
        return Sample(
            prompt,
            ToolCall(name, {key: after}),
            "context:flip",
            history=_turn(first.prompt, first.call),
        )
    if kind == "repeat":
        name = rng.choice(["control_drone_movement", "control_drone_movement", "control_camera"])
        first = teacher.sample(name, rng, walk=False)
        photo = first.call.name == "control_camera" and first.call.arguments["mode"] == "photo"
        prompt = style.finish(
            render(REPEAT_PHOTO if photo and rng.random() < 0.6 else REPEAT, rng, {}), rng
        )
        return Sample(prompt, first.call, "context:repeat", history=_turn(first.prompt, first.call))
    if kind == "more":
        first = teacher.sample("control_drone_movement", rng, walk=False)
        direction = first.call.arguments["direction"]
        call = sample_call("control_drone_movement", rng, direction=direction)
        prompt = style.finish(
            render(MORE, rng, {"dist": style.metres(call.arguments["distance"], rng)}), rng
        )
        return Sample(prompt, call, "context:more", history=_turn(first.prompt, first.call))
    if kind == "absolute":
        # Round heights: the model has to subtract, so keep the sums people actually make.
        start = rng.choice(range(10, 101, 10))
        first = teacher.sample("takeoff_drone", rng, walk=False)
        while first.call.arguments["altitude"] != start:
            first = teacher.sample("takeoff_drone", rng, walk=False)
        target = rng.choice([h for h in range(5, 121, 5) if h != start])
        direction = "up" if target > start else "down"
        words = [
            t
            for t in ABSOLUTE
            if ("down" in t or "descend" in t) == (direction == "down")
            or "altitude" in t
            or "fly" in t
        ]
        prompt = style.finish(
            render(words, rng, {"alt": style.metres(target, rng, unitless=0)}), rng
        )
        call = ToolCall(
            "control_drone_movement", {"direction": direction, "distance": abs(target - start)}
        )
        return Sample(prompt, call, "context:absolute", history=_turn(first.prompt, first.call))
    if kind == "clarify":
        return _clarify(rng, teacher)
    # adjust
    what = rng.choice(["speed", "led", "video", "opposite"])
    if what == "speed":
        first = teacher.sample("set_drone_speed", rng, walk=False)
        call = sample_call("set_drone_speed", rng)
        prompt = render(ADJUST_SPEED, rng, {"spd": style.kmh(call.arguments["speed"], rng)})
    elif what == "led":
        first = teacher.sample("configure_led_display", rng, walk=False)
        while first.call.arguments["pattern"] == "rainbow":
            first = teacher.sample("configure_led_display", rng, walk=False)
        colours = ["red", "blue", "green", "yellow", "white"]
        colours.remove(first.call.arguments["color"])
        colour = rng.choice(colours)
        call = ToolCall(
            "configure_led_display", {"pattern": first.call.arguments["pattern"], "color": colour}
        )
        prompt = render(ADJUST_LED, rng, {"color": colour})
    elif what == "video":
        first = teacher.sample("control_camera", rng, walk=False)
        while first.call.arguments["mode"] != "video":
            first = teacher.sample("control_camera", rng, walk=False)
        call = sample_call("control_camera", rng, mode="video")
        prompt = render(ADJUST_VIDEO, rng, {"dur": style.seconds(call.arguments["duration"], rng)})
    else:
        first = teacher.sample("control_drone_movement", rng, walk=False)
        args = first.call.arguments
        call = ToolCall(
            "control_drone_movement",
            {"direction": _OPPOSITE[args["direction"]], "distance": args["distance"]},
        )
        prompt = render(ADJUST_OPPOSITE, rng, {})
    return Sample(
        style.finish(prompt, rng), call, "context:adjust", history=_turn(first.prompt, first.call)
    )


def _clarify(rng: random.Random, teacher) -> Sample:
    """ "take off" (rejected: no altitude), then "30 m": takeoff_drone(altitude=30)."""
    name = rng.choice(list(CLARIFY))
    asks, answers = CLARIFY[name]
    fixed = {"mode": "video"} if name == "control_camera" else {}
    if name == "configure_led_display":
        fixed["pattern"] = rng.choice(["blink", "pulse"])
    call = sample_call(name, rng, **fixed)
    args = call.arguments
    slots = {
        "alt": style.metres(args.get("altitude", 1), rng, unitless=0.15),
        "spd": style.kmh(args.get("speed", 1), rng, unitless=0.15),
        "dur": style.seconds(args.get("duration", 1), rng),
        "dist": style.metres(args.get("distance", 1), rng, unitless=0.15),
        "color": args.get("color", ""),
        "dir": args.get("direction", ""),
        "verb": {"blink": "blink", "pulse": "pulse"}.get(args.get("pattern", ""), ""),
        "noun": args.get("pattern", ""),
    }
    first = style.finish(render(asks, rng, slots), rng)
    history = _turn(first, ToolCall("reject_request", {}), "rejected: a required value is missing")
    return Sample(
        style.finish(render(answers, rng, slots), rng), call, "context:clarify", history=history
    )
