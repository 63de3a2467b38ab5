"""Multi-turn samples: a command that follows an earlier exchange, as the copilot's chat sees it.

The history is one earlier turn (the user's prompt, the assistant's call and the tool's ack).
Kinds:
- followup: an unrelated new command (or a request to reject); the history must not leak in;
- flip: "now turn it off" after switching a mode on (and back);
- repeat: "again", "one more" after a move or a photo;
- more: "another 20 m" after a move, in the same direction;
- adjust: "make it 60 instead" after a speed, "now in blue" after an LED pattern, "make it
  2 minutes" after a video, "now the other way" after a move;
- absolute: "climb to 50 m" after "take off to 30 m" is a move up of 20 m (the height is known);
- scale: "twice as far", "half that", "double it" after a move, a speed or a video;
- aim: "the same amount the other way", "all the way down" after a gimbal move; "same colour
  but pulsing", "switch to rainbow" after an LED pattern;
- the references of `finetune.teachers.references` (undo, here, keep, after a plan) and of
  `finetune.teachers.earlier` (a step from the last value, a value from two or three turns back).
"""

from __future__ import annotations

import random
from dataclasses import replace

from copilot import ToolCall
from finetune.dataset import Sample, assistant_message
from finetune.phrasing import phrasebook as book
from finetune.phrasing import style
from finetune.phrasing.rendering import render
from finetune.teachers.earlier import EARLIER_KINDS, earlier_sample
from finetune.teachers.invocations import sample_call
from finetune.teachers.mix import FUNCTION_WEIGHTS
from finetune.teachers.references import OPPOSITE as _OPPOSITE
from finetune.teachers.references import REFERENCE_KINDS, reference_sample

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
# "twice as far" after a move of 20 m is 40 m; the factor words are what verification checks.
SCALE_WORDS = {
    2: {
        "control_drone_movement": [
            "twice as far",
            "double the distance",
            "double that",
            "two times as far",
        ],
        "set_drone_speed": ["twice as fast", "double the speed", "double it", "double that"],
        "control_camera": [
            "twice as long",
            "double the length",
            "double that",
            "two times as long",
        ],
    },
    3: {
        "control_drone_movement": ["three times as far", "triple the distance", "triple that"],
        "set_drone_speed": ["three times as fast", "triple the speed", "triple it"],
        "control_camera": ["three times as long", "triple the length", "triple that"],
    },
    0.5: {
        "control_drone_movement": ["half as far", "half that distance", "half that"],
        "set_drone_speed": ["half as fast", "half the speed", "half that"],
        "control_camera": ["half as long", "half the length", "half that"],
    },
}
SCALE = [
    "[now |ok |and ]{scale}[ please| now]",
    "(again|same again|do it again|same thing)[,] but {scale}",
    "[now |ok ](make it|go|do) {scale}",
]
SCALE_TURN = ["[now |ok ]{scale} {dir}", "{scale}, but {dir}", "[now ]{dir}, {scale}"]
_SCALED = {
    "control_drone_movement": ("distance", 1, 500),
    "set_drone_speed": ("speed", 1, 100),
    "control_camera": ("duration", 1, 600),
}
AIM_PAN_BACK = [
    "[now |ok ](pan|turn|swing) it the same amount the other way",
    "[now |ok ]same (pan|angle) but the other way",
    "[now ](mirror|flip) the pan",
]
AIM_DOWN = [
    "[now |ok ](tilt|point) it (all the way down|straight down)",
    "[now ](look|point the camera) straight down",
]
AIM_CENTRE = [
    "[now |ok ](point|bring) it back straight ahead",
    "[now |ok ](reset|centre|center) the (gimbal|camera)[ to straight ahead]",
    "back to straight ahead[ please]",
]
LED_PATTERN = [
    "[now |ok ](same colo(u|)r but|make it|switch to|change it to) {noun}[ instead]",
    "(actually|no), {noun}[ please]",
]
LED_TO_RAINBOW = ["[now |ok ](switch to|go|make it|change it to) rainbow[ instead]"]


def _turn(prompt: str, call: ToolCall, ack: str = "accepted") -> tuple[dict, ...]:
    message = assistant_message(call, "call_h0")
    tool = {"role": "tool", "tool_call_id": "call_h0", "content": ack}
    return ({"role": "user", "content": prompt}, message, tool)


def context_sample(kind: str, rng: random.Random, teacher) -> Sample:
    """One multi-turn sample of `kind` (see CONTEXT_WEIGHTS); `teacher` writes single turns."""
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
    if kind == "scale":
        return _scale(rng, teacher)
    if kind == "aim":
        return _aim(rng, teacher)
    if kind in REFERENCE_KINDS:
        return reference_sample(kind, rng, teacher)
    if kind in EARLIER_KINDS:
        return earlier_sample(kind, rng, teacher)
    # adjust
    what = rng.choice(["speed", "led", "video", "opposite"])
    if what == "speed":
        first = teacher.sample("set_drone_speed", rng, walk=False)
        call = sample_call("set_drone_speed", rng)
        prompt = render(ADJUST_SPEED, rng, {"spd": style.kmh(call.arguments["speed"], rng)})
    elif what == "led":
        first = _coloured_led(rng, teacher)
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


def _coloured_led(rng: random.Random, teacher) -> Sample:
    """An earlier LED command with a colour (any pattern but rainbow)."""
    first = teacher.sample("configure_led_display", rng, walk=False)
    while first.call.arguments["pattern"] == "rainbow":
        first = teacher.sample("configure_led_display", rng, walk=False)
    return first


def _scale(rng: random.Random, teacher) -> Sample:
    """ "twice as far" after a 20 m move: the same call with 40 m (or another direction)."""
    name = rng.choice(list(_SCALED))
    key, low, high = _SCALED[name]
    while True:
        first = teacher.sample(name, rng, walk=False)
        if name == "control_camera" and first.call.arguments["mode"] != "video":
            continue
        factor = rng.choice(list(SCALE_WORDS))
        value = first.call.arguments[key] * factor
        if value == int(value) and low <= value <= high:
            break
    arguments = {**first.call.arguments, key: int(value)}
    slots = {"scale": lambda r: r.choice(SCALE_WORDS[factor][name])}
    templates = SCALE
    if name == "control_drone_movement" and rng.random() < 0.35:
        arguments["direction"] = rng.choice(
            [d for d in _OPPOSITE if d != first.call.arguments["direction"]]
        )
        slots["dir"] = lambda r: r.choice(book.DIR_WORDS[arguments["direction"]])
        templates = SCALE_TURN
    prompt = style.finish(render(templates, rng, slots), rng)
    call = ToolCall(name, arguments)
    return Sample(prompt, call, "context:scale", history=_turn(first.prompt, first.call))


def _aim(rng: random.Random, teacher) -> Sample:
    """A gimbal or LED change relative to the last one: the other way, straight down, rainbow."""
    if rng.random() < 0.6:
        first = teacher.sample("control_gimbal", rng, walk=False)
        tilt, pan = first.call.arguments["tilt"], first.call.arguments["pan"]
        options = [(AIM_CENTRE, 0, 0)]
        if pan:
            options.append((AIM_PAN_BACK, tilt, -pan))
        if tilt != -90:
            options.append((AIM_DOWN, -90, pan))
        templates, tilt, pan = rng.choice(options)
        call = ToolCall("control_gimbal", {"tilt": tilt, "pan": pan})
    else:
        first = _coloured_led(rng, teacher)
        before = first.call.arguments["pattern"]
        pattern = rng.choice([p for p in ("solid", "blink", "pulse", "rainbow") if p != before])
        if pattern == "rainbow":
            templates, call = (
                LED_TO_RAINBOW,
                ToolCall("configure_led_display", {"pattern": "rainbow"}),
            )
        else:
            templates = LED_PATTERN
            call = ToolCall(
                "configure_led_display",
                {"pattern": pattern, "color": first.call.arguments["color"]},
            )
    nouns = {
        "solid": ["solid", "steady"],
        "blink": ["blinking", "blink"],
        "pulse": ["pulsing", "pulse"],
    }
    slots = {"noun": lambda r: r.choice(nouns.get(call.arguments.get("pattern", ""), [""]))}
    prompt = style.finish(render(templates, rng, slots), rng)
    return Sample(prompt, call, "context:aim", history=_turn(first.prompt, first.call))


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
