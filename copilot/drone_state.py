"""The drone's state, as the conversation so far left it, in one compact line for the prompt.

A 270M model copies well and counts badly: "bump it up 5" after "speed 35" three turns back is
arithmetic on a number it must first find. The state line puts the numbers it needs beside the
command: altitude, speed, gimbal, LEDs, lights and the modes, each with the value it had before
the last change ("was"), so that "undo that" and "back to the previous colour" become copies.

It is worked out from the messages alone (the calls of the assistant turns, and the acks of the
`tool` messages that answer them), so the trainer, the local backend and the server render the
same line for the same chat, and nothing here needs a simulator. A call whose ack is denied,
failed or skipped changed nothing and is left out. A chat with no earlier calls has no line, so
a single command's prompt is unchanged.
"""

from __future__ import annotations

from typing import Any

from copilot.catalog import ToolCall, validate_call

_NOT_RUN = ("denied", "failed", "skipped")
_MODES = {  # call -> (argument, how the line names the mode)
    "set_follow_me_mode": ("status", "follow-me"),
    "set_autopilot": ("status", "autopilot"),
    "set_battery_saver_mode": ("status", "battery saver"),
    "set_obstacle_avoidance": ("mode", "obstacle avoidance"),
    "set_drone_lighting": ("mode", "lights"),
}


def _ran(message: dict[str, Any], acks: dict[str, str]) -> list[ToolCall]:
    """The calls of an assistant message that ran: those whose ack is not a refusal (a call
    with no ack counts as run: a client need not send the tool results back)."""
    ran = []
    for item in message.get("tool_calls") or []:
        fn = item.get("function", {}) if isinstance(item, dict) else {}
        call = validate_call(fn.get("name", ""), fn.get("arguments") or "{}")
        ack = acks.get(str(item.get("id")), "accepted") if isinstance(item, dict) else ""
        if isinstance(call, ToolCall) and not ack.strip().lower().startswith(_NOT_RUN):
            ran.append(call)
    return ran


class _State:
    """The values the line shows, each with the one before it."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.before: dict[str, str] = {}
        self.altitude: int | None = None  # None: not known from the conversation
        self.altitude_before: int | None = None

    def set(self, key: str, value: str) -> None:
        if key in self.values and self.values[key] != value:
            self.before[key] = self.values[key]
        self.values[key] = value

    def apply(self, call: ToolCall) -> None:
        name, args = call.name, call.arguments
        altitude = self.altitude
        if name == "takeoff_drone":
            altitude = args["altitude"]
        elif name == "land_drone":
            altitude = 0
        elif name == "control_drone_movement" and self.altitude is not None:
            step = {"up": 1, "down": -1}.get(args["direction"], 0) * args["distance"]
            altitude = max(0, self.altitude + step)
        if altitude != self.altitude:
            self.altitude_before, self.altitude = self.altitude, altitude
        elif name == "set_drone_speed":
            self.set("speed", f"{args['speed']} km/h")
        elif name == "control_gimbal":
            self.set("gimbal", f"tilt {args['tilt']} pan {args['pan']}")
        elif name == "configure_led_display":
            self.set("leds", " ".join(str(args[k]) for k in ("pattern", "color") if args.get(k)))
        elif name in _MODES:
            key, label = _MODES[name]
            self.set(label, str(args[key]))

    def line(self) -> str:
        parts = []
        if self.altitude is not None:
            was = "" if self.altitude_before is None else f" (was {self.altitude_before} m)"
            parts.append("landed" if self.altitude == 0 else f"flying at {self.altitude} m{was}")
        for key, value in self.values.items():
            was = f" (was {self.before[key]})" if key in self.before else ""
            parts.append(f"{key} {value}{was}")
        return ", ".join(parts)


def state_line(messages: list[dict[str, Any]]) -> str:
    """ "drone: flying at 30 m, speed 40 km/h (was 35 km/h), ..." or "" when no call ran yet."""
    state = _State()
    for i, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        acks = {}  # the tool messages right after this one answer its calls (ids may repeat
        for answer in messages[i + 1 :]:  # from turn to turn, so they are read per turn)
            if answer.get("role") != "tool":
                break
            acks[str(answer.get("tool_call_id"))] = str(answer.get("content") or "")
        for call in _ran(message, acks):
            state.apply(call)
    text = state.line()
    return f"drone: {text}" if text else ""
