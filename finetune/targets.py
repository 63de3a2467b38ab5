"""Training targets that leave the arithmetic to the parser: `duration=10*60` for "a 10-minute video".

A 270M model copies numbers well and converts them badly. Trained on plain values, the shipped
adapter wrote `duration=10` for "Shoot a ten-minute video", `speed=20` for "double it" after
20 km/h and `distance=30` for "climb to 80 metres" after a take-off to 30. So where the value in the
call is not a number the user said but follows from one by a unit or an operation the user named,
the target writes that operation, and the decoder's grammar and the parser evaluate it
(`copilot.decoding.grammar.evaluate`):
- a unit: "10 minutes" for 600 s is `10*60`;
- a factor after an earlier call of the same function: "twice as far" after 20 m is `20*2`,
  "half that" after 30 m is `30/2`;
- a new height after an earlier one: "climb to 80 m" after "take off to 30 m" is `80-30`;
- a step from an earlier call of the same function: "5 faster" after 35 km/h is `35+5`, "tilt
  down 10 more" after a tilt of -30 is `-30-10`.
Everything else, including every value the user said as it is, is written plainly. The operation
is read off the prompt with the verifier's own readers, so it is the one the verifier checked.
"""

from __future__ import annotations

from typing import Any

from copilot import ToolCall, calls_from_message, render_ft_prompt, render_ft_target
from copilot import state_line as drone_state_line
from finetune.phrasing.numwords import factor_words, said_quantities


def _whole(x: float) -> int | None:
    return int(x) if float(x).is_integer() else None


def _from_units(value: int, said: list[tuple[float, int]]) -> str | None:
    for number, factor in said:
        n = _whole(number)
        if factor != 1 and n is not None and n * factor == value:
            return f"{n}*{factor}"
    return None


def _from_factor(
    call: ToolCall, key: str, value: int, prompt: str, before: list[ToolCall]
) -> str | None:
    earlier = next((c.arguments.get(key) for c in reversed(before) if c.name == call.name), None)
    factors = factor_words(prompt)
    if not isinstance(earlier, int) or len(factors) != 1:
        return None
    if factors[0] >= 1 and earlier * factors[0] == value:
        return f"{earlier}*{int(factors[0])}"
    if factors[0] < 1 and earlier == value * round(1 / factors[0]):
        return f"{earlier}/{round(1 / factors[0])}"
    return None


def _from_step(
    call: ToolCall, key: str, value: int, said: list[tuple[float, int]], before: list[ToolCall]
) -> str | None:
    earlier = next((c.arguments.get(key) for c in reversed(before) if c.name == call.name), None)
    if not isinstance(earlier, int) or isinstance(earlier, bool) or earlier == 0:
        return None
    steps = {n for n in (_whole(number) for number, factor in said if factor == 1) if n}
    for n in sorted(steps):
        if earlier + n == value:
            return f"{earlier}+{n}"
        if earlier - n == value:
            return f"{earlier}-{n}"
    return None


def _from_heights(
    value: int, said: list[tuple[float, int]], said_before: list[tuple[float, int]]
) -> str | None:
    now = [_whole(n) for n, f in said if f == 1]
    then = [_whole(n) for n, f in said_before if f == 1]
    if len(now) != 1 or len(then) != 1 or None in (now[0], then[0]):
        return None
    a, b = now[0], then[0]
    if a - b == value:
        return f"{a}-{b}"
    if b - a == value:
        return f"{b}-{a}"
    return None


def written_values(
    call: ToolCall, prompt: str, earlier_prompt: str, before: list[ToolCall]
) -> dict[str, str]:
    """{argument: how the target writes it} for the arguments that are worked out, not said."""
    said = said_quantities(prompt)
    out = {}
    for key, value in call.arguments.items():
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if value <= 0:  # a gimbal angle below zero may still be a step from the last one
            step = _from_step(call, key, value, said, before) if value < 0 else None
            if step is not None and not any(-n == value for n, _ in said):
                out[key] = step
            continue
        if any(number == value and factor == 1 for number, factor in said):
            continue  # said as it is: copied, not computed
        text = _from_units(value, said) or _from_factor(call, key, value, prompt, before)
        if text is None and call.name == "control_drone_movement" and key == "distance":
            text = _from_heights(value, said, said_quantities(earlier_prompt))
        if text is None and call.name != "control_drone_movement":  # "20 more" is a new move
            text = _from_step(call, key, value, said, before)
        if text is not None:
            out[key] = text
    return out


def example_to_text(example: dict[str, Any], state_line: bool = False) -> tuple[str, str]:
    """(prompt, target) for one training line, the target with its arithmetic written out.

    The prompt is exactly what the `local-ft` backend renders; earlier assistant turns in it keep
    their plain values, as they do at inference. A plan's target is its calls in order, one per
    line, then `<end_of_turn>`: what the decoder writes (`CallGrammar(separator="\n")`).
    """
    messages = example["messages"]
    last = max(i for i, m in enumerate(messages) if m.get("role") == "assistant")
    users = [str(m.get("content") or "") for m in messages[:last] if m.get("role") == "user"]
    before = [
        c for m in messages[:last] if m.get("role") == "assistant" for c in calls_from_message(m)
    ]
    calls = calls_from_message(messages[last])
    prompt = users[-1] if users else ""
    earlier = users[-2] if len(users) > 1 else ""
    written = [written_values(call, prompt, earlier, before) for call in calls]
    state = drone_state_line(messages[:last]) if state_line else ""
    return render_ft_prompt(messages[:last], state), render_ft_target(calls, written)
