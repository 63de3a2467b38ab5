"""The parser: every output shape a model produces, and no exception on garbage."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copilot import RawCall, ToolCall, parse_output


def test_openai_tool_call_objects():
    fn = SimpleNamespace(name="takeoff_drone", arguments='{"altitude": 30}')
    parsed = parse_output([SimpleNamespace(id="c1", type="function", function=fn)])
    assert parsed.calls == [RawCall("takeoff_drone", '{"altitude": 30}')]
    assert parsed.validated() == [ToolCall("takeoff_drone", {"altitude": 30})]


def test_openai_tool_call_dicts():
    call = ToolCall("set_autopilot", {"status": "on"}).to_openai()
    assert parse_output([call]).validated() == [ToolCall("set_autopilot", {"status": "on"})]


def test_json_with_arguments_as_string_and_as_object():
    as_string = '{"name": "set_drone_speed", "arguments": "{\\"speed\\": 15}"}'
    as_object = '{"name": "set_drone_speed", "arguments": {"speed": 15}}'
    for text in (as_string, as_object):
        assert parse_output(text).validated() == [ToolCall("set_drone_speed", {"speed": 15})]


def test_json_in_code_fence_with_prose():
    text = (
        'Sure, here you go:\n```json\n{"name": "control_camera", "arguments": {"mode": "photo"}}\n```'
        "\nHave a nice flight!"
    )
    assert parse_output(text).validated() == [ToolCall("control_camera", {"mode": "photo"})]


def test_json_list_and_tool_calls_wrapper_give_several_calls():
    text = (
        '{"tool_calls": [{"function": {"name": "takeoff_drone", "arguments": {"altitude": 30}}},'
        ' {"function": {"name": "control_camera", "arguments": "{\\"mode\\": \\"photo\\"}"}}]}'
    )
    names = [c.name for c in parse_output(text).calls]
    assert names == ["takeoff_drone", "control_camera"]


def test_compact_call_syntax_with_strings_bare_words_and_objects():
    text = (
        'takeoff_drone(altitude=30)\ncontrol_camera(mode=photo)\nland_drone(location="custom", '
        'coordinates={"latitude": 51.5, "longitude": -0.12})'
    )
    assert [c for c in parse_output(text).validated()] == [
        ToolCall("takeoff_drone", {"altitude": 30}),
        ToolCall("control_camera", {"mode": "photo"}),
        ToolCall(
            "land_drone",
            {"location": "custom", "coordinates": {"latitude": 51.5, "longitude": -0.12}},
        ),
    ]


def test_an_integer_written_as_one_operation_is_evaluated():
    text = (
        'control_camera(mode="video", duration=10*60)\nset_drone_speed(speed=80/2)\n'
        'control_drone_movement(direction="up", distance=80-30)\nset_drone_speed(speed=35+5)'
    )
    assert parse_output(text).validated() == [
        ToolCall("control_camera", {"mode": "video", "duration": 600}),
        ToolCall("set_drone_speed", {"speed": 40}),
        ToolCall("control_drone_movement", {"direction": "up", "distance": 50}),
        ToolCall("set_drone_speed", {"speed": 40}),
    ]
    (half,) = parse_output("set_drone_speed(speed=15/2)").validated()
    assert "integer" in half.reason  # 7.5 km/h is not rounded into a valid call


@pytest.mark.parametrize(
    "text",
    [
        "takeoff_drone(altitude=2**6)",
        "takeoff_drone(altitude=1%2)",
        "takeoff_drone(altitude=2*3*4)",
        "takeoff_drone(altitude=1+2.5)",  # the right-hand side is a whole number
    ],
)
def test_only_the_operations_the_grammar_allows_are_evaluated(text):
    assert parse_output(text).calls == []


def test_invalid_arguments_parse_but_do_not_validate():
    parsed = parse_output('{"name": "takeoff_drone", "arguments": "not json"}')
    assert parsed.error is None
    (result,) = parsed.validated()
    assert "not valid JSON" in result.reason


def test_garbage_is_a_parse_error():
    for text in ("", "   ", "I cannot do that.", "{{{[", '{"altitude": 5}', None, b"\xff\xfe", []):
        parsed = parse_output(text)
        assert parsed.calls == []
        assert parsed.error


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary(), st.lists(st.text()), st.none(), st.integers()))
def test_parser_never_raises(value):
    parsed = parse_output(value)
    assert parsed.error is not None or parsed.calls
    for result in parsed.validated():  # validation never raises either
        assert result.name is not None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]()"=:,takeoff_drone altitude0123456789\n`', max_size=200))
def test_parser_never_raises_on_near_miss_syntax(text):
    parse_output(text).validated()
