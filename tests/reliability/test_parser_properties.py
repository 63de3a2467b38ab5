"""The parser under adversarial model output: it never raises, reads each character a bounded
number of times (linear time, counted rather than timed), and never lets an invalid call out."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.hostile import ADVERSARIAL_300KB
from copilot import FUNCTION_NAMES, Completion, ToolCall, plan_error, validate_call
from copilot.parsing import MAX_OUTPUT_CHARS, MAX_TRIED_DEPTH, ScanCost, parse_output

BOUND = MAX_TRIED_DEPTH + 2  # characters the decoders may read, per character of output
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)

huge_numbers = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-0", "1" * 5000, "10**10**10"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
names = st.sampled_from([*FUNCTION_NAMES, "takeoff", "tool_calls", "function", "name"])
fragments = st.one_of(
    st.sampled_from([*'{}[]()"\\\n,:=', "```json", "```", "<end_of_turn>", "'"]),
    names,
    huge_numbers,
    st.sampled_from(['"name"', '"arguments"', '"altitude"', '"mode"', '"video"', "mode=photo"]),
    st.text(max_size=8),
)


@st.composite
def adversarial(draw: st.DrawFn) -> str:
    """Nesting, repetition and near-calls: the shapes that made the old parser quadratic."""
    kind = draw(st.sampled_from(["soup", "nest", "repeat", "call"]))
    if kind == "soup":
        return "".join(draw(st.lists(fragments, max_size=60)))
    if kind == "nest":
        opener = draw(st.sampled_from(["{", "[", "(", '{"a":', '["]",', "takeoff_drone(", "[{"]))
        closer = draw(st.sampled_from(["", "}", "]", ")", "}]"]))
        depth = draw(st.integers(1, 3000))
        return opener * depth + draw(st.text(max_size=20)) + closer * draw(st.integers(0, depth))
    if kind == "repeat":
        unit = "".join(draw(st.lists(fragments, min_size=1, max_size=6)))
        return unit * draw(st.integers(1, 2000))
    name = draw(names)
    key = draw(st.sampled_from(["altitude", "mode", "distance", "tilt", "coordinates", "x"]))
    value = draw(huge_numbers | st.sampled_from(['"photo"', "{}", "[]", "None", '"video"']))
    if draw(st.booleans()):
        return f"{name}({key}={value})"
    return json.dumps({"name": name, "arguments": f'{{"{key}": {value}}}'})


@PROPERTY
@given(adversarial())
def test_parser_never_raises_and_reads_each_character_a_bounded_number_of_times(text: str) -> None:
    cost = ScanCost()
    parsed = parse_output(text, max_chars=None, cost=cost)
    assert parsed.calls or parsed.error
    assert cost.chars <= BOUND * len(text)


@PROPERTY
@given(adversarial())
def test_no_invalid_call_ever_comes_out(text: str) -> None:
    completion = Completion.from_output(text)
    assert plan_error([c.name for c in completion.calls]) is None or not completion.calls
    for call in completion.calls:
        again = validate_call(call.name, call.arguments)
        assert isinstance(again, ToolCall), again
        assert again.arguments == call.arguments
        assert all(v == v for v in json.loads(json.dumps(call.arguments)).values())  # no NaN


def test_300_kb_of_adversarial_output_is_read_in_linear_work() -> None:
    for label, text in ADVERSARIAL_300KB.items():
        cost = ScanCost()
        parsed = parse_output(text, max_chars=None, cost=cost)
        assert parsed.calls or parsed.error, label
        assert cost.chars <= BOUND * len(text), label


def test_an_output_past_the_cap_is_refused_with_the_reason() -> None:
    parsed = parse_output("takeoff_drone(" * 20_000)
    assert parsed.error is not None
    assert "too long" in parsed.error and str(MAX_OUTPUT_CHARS) in parsed.error
    assert parse_output("takeoff_drone(altitude=50)" + " " * 1000).calls  # padding is fine


def test_calls_still_read_after_the_rewrite() -> None:
    shapes = [
        'Sure! {"name": "takeoff_drone", "arguments": {"altitude": 50}} done',
        '```json\n[{"function": {"name": "control_camera", "arguments": "{\\"mode\\": \\"photo\\"}"}}]\n```',
        '[note {"name": "set_drone_speed", "arguments": {"speed": 20}}',
        "takeoff_drone(altitude=30)\ncontrol_camera(mode=photo)",
        "control_camera(mode='video', duration=10*60)",
    ]
    names = [[c.name for c in parse_output(s).calls] for s in shapes]
    assert names[0] == ["takeoff_drone"]
    assert names[1] == ["control_camera"]
    assert names[2] == ["set_drone_speed"]
    assert names[3] == ["takeoff_drone", "control_camera"]
    assert parse_output(shapes[4]).calls[0].arguments == {"mode": "video", "duration": 600}
