"""Verification of generated examples: APIGen's three stages plus offline semantic filters.

1. format: a valid line in the OpenAI chat fine-tuning format with tools: one call with
   `"parallel_tool_calls": false`, or a plan (2 to 4 calls, `reject_request` never among them)
   with `"parallel_tool_calls": true`;
2. schema: each call passes catalogue validation, arguments unchanged by normalisation;
3. execution: the call runs in the simulator core from a suitable start state and is accepted;
   a plan runs whole (`run_plan`), every step accepted in order;
4. semantic: every number the prompt says equals an argument (digits or words, minutes as
   seconds, signs from down/left/south/west), every argument the prompt must state is there,
   and no off-domain words (car, phone); for a plan, every value of every step. For
   out-of-range and enum-miss rejects, the call the prompt asks for really is invalid.

`Verifier` runs the stages in order, stops at the first failure, and counts passes per stage and
per kind so the generator can report pass rates.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from copilot import FUNCTIONS, REJECT, ToolCall, plan_error, validate_call
from finetune.dataset import Sample, has_plan
from finetune.phrasing.numwords import factor_words, said_quantities

STAGES = ("format", "schema", "execution", "semantic")
OFF_DOMAIN = re.compile(
    r"\b(car|cars|truck|phone|phones|smartphone|laptop|tv|television|fridge|bicycle|bike|boat|"
    r"ship|train|bus|robot vacuum|vacuum|computer|tablet|vehicle|motorcycle|scooter)\b",
    re.IGNORECASE,
)
ROLES = {"system", "user", "assistant", "tool"}


# --------------------------------------------------------------------------- stage 1: format


def check_format(example: Any) -> str | None:
    """Why `example` is not a valid fine-tuning line, or None."""
    if not isinstance(example, dict):
        return f"line is a {type(example).__name__}, not an object"
    extra = set(example) - {"messages", "tools", "parallel_tool_calls"}
    if extra:
        return f"unexpected keys {sorted(extra)}"
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        return "missing messages list"
    if not isinstance(example.get("tools"), list) or not example["tools"]:
        return "missing tools list"
    several = has_plan(messages)
    if example.get("parallel_tool_calls") is not several:
        if several:
            return "a plan (several tool calls in one message) needs parallel_tool_calls true"
        return "parallel_tool_calls must be false"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            return f"message {i}: unrecognised role {m.get('role') if isinstance(m, dict) else m!r}"
        if m["role"] in ("system", "user") and not (
            isinstance(m.get("content"), str) and m["content"].strip()
        ):
            return f"message {i}: {m['role']} message without content"
    last = messages[-1]
    if last.get("role") != "assistant":
        return "last message is not the assistant's"
    calls = last.get("tool_calls")
    if not isinstance(calls, list):
        return "assistant message must hold a list of tool calls"
    for step, call in enumerate(calls, start=1):
        reason = _call_format(call)
        if reason:
            return reason if len(calls) == 1 else f"call {step}: {reason}"
    return plan_error([c["function"]["name"] for c in calls])


def _call_format(call: Any) -> str | None:
    fn = call.get("function") if isinstance(call, dict) else None
    if (
        not isinstance(fn, dict)
        or call.get("type") != "function"
        or not isinstance(fn.get("name"), str)
    ):
        return "tool call is not {type: function, function: {name, arguments}}"
    if not isinstance(fn.get("arguments"), str):
        return "tool call arguments must be a JSON string"
    try:
        args = json.loads(fn["arguments"])
    except json.JSONDecodeError:
        return "tool call arguments are not valid JSON"
    if not isinstance(args, dict):
        return "tool call arguments are not a JSON object"
    return None


def example_calls(example: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(name, arguments) of every call of the answer, in order (one, or a plan's steps)."""
    return [
        (c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in example["messages"][-1]["tool_calls"]
    ]


def example_call(example: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return example_calls(example)[0]


# --------------------------------------------------------------------------- stage 2: schema


def check_schema(example: dict[str, Any]) -> str | None:
    calls = example_calls(example)
    for step, (name, args) in enumerate(calls, start=1):
        checked = validate_call(name, args)
        if not isinstance(checked, ToolCall):
            reason = checked.reason
        elif checked.arguments != args:
            reason = f"arguments not in canonical form: {args} vs {checked.arguments}"
        else:
            continue
        return reason if len(calls) == 1 else f"call {step}: {reason}"
    names = {t.get("function", {}).get("name") for t in example["tools"] if isinstance(t, dict)}
    if any(name not in names for name, _ in calls) or names != set(FUNCTIONS):
        return "tools list does not carry the catalogue's functions"
    return None


# --------------------------------------------------------------------------- stage 3: execution


def check_execution(call: ToolCall, altitude: float | None = None) -> str | None:
    """None if the simulator accepts `call` from a start state where it makes sense (hovering at
    `altitude` when the conversation took off to it)."""
    from simulator.core import execute, start_state, start_state_for

    world = _world_for([call])
    state = start_state_for(call, world)
    if altitude is not None and state.flying:
        state = start_state(world, airborne=True, altitude=altitude)
    elif call.name == "control_drone_movement" and call.arguments["direction"] == "down":
        state = start_state(
            world, airborne=True, altitude=min(120, call.arguments["distance"] + 10)
        )
    _, ack = execute(state, call, world)
    return None if ack.status == "accepted" else f"{ack.status}: {ack.reason}"


def check_plan_execution(calls: list[ToolCall], altitude: float | None = None) -> str | None:
    """None if the simulator runs the whole plan (`run_plan`), every step accepted in order and
    flown to completion, from a start state where it makes sense: on the ground when the plan
    takes off (or calibrates) before it lands, else hovering at `altitude` when the conversation
    took off to it, or as `_plan_altitude` says."""
    from simulator.core import GROUND_CALLS, run_plan, start_state

    world = _world_for(calls)
    first = next((c.name for c in calls if c.name in GROUND_CALLS | {"land_drone"}), None)
    if first in GROUND_CALLS:
        state = start_state(world)
    else:
        height = _plan_altitude(calls) if altitude is None else altitude
        state = start_state(world, airborne=True, altitude=height)
    state, acks = run_plan(state, calls, world)
    for step, ack in enumerate(acks, start=1):
        if not ack.ok:
            return f"step {step} {ack}"
    return "the drone crashed flying the plan" if state.crashed else None


def _plan_altitude(calls: list[ToolCall]) -> float:
    """30 m (the usual start), or higher so the plan's descents stay 10 m above the ground."""
    height = lowest = 0
    for call in calls:
        if call.name in ("land_drone", "return_to_home"):
            break
        if call.name == "control_drone_movement" and call.arguments["direction"] in ("up", "down"):
            sign = 1 if call.arguments["direction"] == "up" else -1
            height += sign * call.arguments["distance"]
            lowest = min(lowest, height)
    return min(120, max(30, 10 - lowest))


def _world_for(calls: list[ToolCall]) -> Any:
    """The standard world, or, for coordinates outside its fence, one whose pad is there."""
    from simulator.core import World

    world = World()
    for call in calls:
        coords = call.arguments.get("coordinates")
        if coords is not None:
            x, y = world.to_local(coords["latitude"], coords["longitude"])
            if not world.inside_fence(x, y):
                # Far away: the same command flown in a world whose pad is at that point.
                return World(origin_lat=coords["latitude"], origin_lon=coords["longitude"])
    return world


# --------------------------------------------------------------------------- stage 4: semantic

_IMPLIED = {  # phrases that state a value without a number
    ("tilt", -90): ("straight down", "all the way down"),
    ("tilt", 0): ("level", "straight ahead", "zero", " 0", "reset", "neutral", "center", "centre"),
    ("pan", 0): ("center", "centre", "forward", "zero", " 0", "straight ahead", "reset", "neutral"),
    ("duration", 60): ("a minute",),
    ("distance", 500): ("half a kilomet",),
}
_NEGATIVE_WORDS = re.compile(
    r"\b(down|left|south|west|minus|negative|[sw])\b|-\s?\d", re.IGNORECASE
)


def _claimed_values(call: ToolCall) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for key, value in call.arguments.items():
        if isinstance(value, dict):
            out += [(k, float(v)) for k, v in value.items()]
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append((key, float(value)))
    return out


def _said(prompt: str) -> list[float]:
    return [round(value * factor, 6) for value, factor in said_quantities(prompt)]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)


def check_semantic(sample: Sample) -> str | None:
    prompt = sample.prompt
    if sample.intended is not None:
        name, args = sample.intended
        if isinstance(validate_call(name, args), ToolCall):
            return f"reject asks for a valid call {name}({args})"
        return None
    if sample.is_reject:
        return None
    if OFF_DOMAIN.search(prompt):
        return f"off-domain word {OFF_DOMAIN.search(prompt).group()!r}"
    if sample.kind == "context:absolute":
        return _check_absolute(sample)
    if sample.kind == "context:scale":
        return _check_scaled(sample)
    if sample.kind == "context:step":
        return _check_step(sample)
    said = _said(_ORDINAL_ONE.sub(r"\1", prompt))  # "the first one" names a turn, not a 1
    claimed = [value for call in sample.calls for value in _claimed_values(call)]
    earlier = " ".join(
        str(m.get("content") or "") for m in sample.history if m.get("role") == "user"
    )
    said_before = _said(earlier) if earlier else []
    lower = (prompt + " " + earlier).lower()
    for key, value in claimed:
        if any(_close(abs(value), s) for s in said + said_before):
            continue
        if any(p in lower for p in _IMPLIED.get((key, int(value)), ())):
            continue
        return f"{key}={value:g} is not stated in the prompt"
    for s in said:
        if not any(_close(s, abs(v)) for _, v in claimed):
            return f"the prompt says {s:g}, which no argument carries"
    if any(v < 0 for _, v in claimed) and not _NEGATIVE_WORDS.search(lower):
        return "a negative argument with no sign, 'down', 'left', 'south' or 'west' in the prompt"
    return None


_ORDINAL_ONE = re.compile(r"\b(first|second|third|last|other) one\b", re.IGNORECASE)


def _check_absolute(sample: Sample) -> str | None:
    """ "Climb to 50 m" after "take off to 30 m": a move up of 20 m."""
    earlier = [m for m in sample.history if m.get("role") == "user"]
    now, before = _said(sample.prompt), _said(str(earlier[-1].get("content"))) if earlier else []
    if len(now) != 1 or len(before) != 1:
        return "an absolute height needs one height now and one before"
    change = now[0] - before[0]
    args = sample.call.arguments
    expected = ("up" if change > 0 else "down", abs(change))
    if (args.get("direction"), float(args.get("distance", 0))) != expected:
        return f"from {before[0]:g} m to {now[0]:g} m is {expected[0]} {expected[1]:g} m"
    return None


def _changed(sample: Sample) -> tuple[int, int] | None:
    """(before, now) of the one number that changed since the same call in the turn before;
    None unless the turn before made the same call and exactly one number differs."""
    before = _history_calls(sample)
    if not before or before[-1].name != sample.call.name:
        return None
    earlier = before[-1].arguments
    changed = [
        (earlier.get(key), value)
        for key, value in sample.call.arguments.items()
        if isinstance(value, int) and value != earlier.get(key)
    ]
    return changed[0] if len(changed) == 1 and isinstance(changed[0][0], int) else None


def _check_step(sample: Sample) -> str | None:
    """ "5 faster" after 35 km/h: the same call with 40, one value moved by the number said."""
    said, changed = _said(sample.prompt), _changed(sample)
    if len(said) != 1 or changed is None or abs(changed[1] - changed[0]) != said[0]:
        return "a step needs one number, and the same call before it with one value moved by it"
    return None


def _check_scaled(sample: Sample) -> str | None:
    """ "Twice as far" after a 20 m move: the same call with 40 m, and nothing else scaled."""
    factors, changed = factor_words(sample.prompt), _changed(sample)
    if len(factors) != 1 or changed is None or changed[1] != changed[0] * factors[0]:
        return "a scaled call needs one factor word, and the same call before it with one value scaled by it"
    return None


# --------------------------------------------------------------------------- all stages


def _history_calls(sample: Sample) -> list[ToolCall]:
    """The calls the assistant made earlier in the conversation, in order."""
    return [
        ToolCall(c["function"]["name"], json.loads(c["function"]["arguments"]))
        for m in sample.history
        for c in m.get("tool_calls") or []
    ]


def _history_altitude(sample: Sample) -> float | None:
    """The altitude an earlier takeoff in the conversation climbed to, if any."""
    for call in _history_calls(sample):
        if call.name == "takeoff_drone":
            return float(call.arguments["altitude"])
    return None


@dataclass
class Verifier:
    """Runs the four stages and keeps pass counts per stage and per kind."""

    execute: bool = True
    seen: Counter[str] = field(default_factory=Counter)  # stage -> examples that reached it
    passed: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (stage, prompt, reason)

    def check(self, sample: Sample, example: Any) -> tuple[str, str] | None:
        """The first failing (stage, reason), or None when the example passes every stage."""
        reason = check_format(example)
        if reason:
            return "format", reason
        reason = check_schema(example)
        if reason:
            return "schema", reason
        calls = [ToolCall(name, args) for name, args in example_calls(example)]
        if self.execute and calls[0].name != REJECT:
            altitude = _history_altitude(sample)
            if len(calls) == 1:
                reason = check_execution(calls[0], altitude)
            else:
                reason = check_plan_execution(calls, altitude)
            if reason:
                return "execution", reason
        reason = check_semantic(sample)
        if reason:
            return "semantic", reason
        return None

    def verify(self, sample: Sample, example: Any) -> bool:
        failed = self.check(sample, example)
        stop = STAGES.index(failed[0]) if failed else len(STAGES)
        counts = self.by_kind[sample.kind]
        counts["total"] += 1
        for stage in STAGES[: stop + 1] if failed else STAGES:
            self.seen[stage] += 1
            if stage != (failed[0] if failed else None):
                self.passed[stage] += 1
                counts[stage] += 1
        if failed:
            if len(self.failures) < 200:
                self.failures.append((failed[0], sample.prompt, failed[1]))
            return False
        counts["verified"] += 1
        return True

    def stage_rates(self) -> dict[str, dict[str, float]]:
        return {
            s: {
                "seen": self.seen[s],
                "passed": self.passed[s],
                "rate": self.passed[s] / self.seen[s] if self.seen[s] else 1.0,
            }
            for s in STAGES
        }

    def kind_rates(self) -> dict[str, dict[str, float]]:
        return {
            kind: {
                "total": c["total"],
                "verified": c["verified"],
                "rate": c["verified"] / c["total"] if c["total"] else 1.0,
            }
            for kind, c in sorted(self.by_kind.items())
        }
