"""Table-driven scoring tests, BFCL's known pitfalls first."""

from __future__ import annotations

import pytest

from copilot import Completion, ToolCall, validate_call
from evaluation.scoring import (
    NO_CALL,
    call_match,
    first_name,
    is_valid,
    name_match,
    percentile,
    same_value,
    score,
)


def call(name: str, **arguments: object) -> ToolCall:
    checked = validate_call(name, arguments)
    assert isinstance(checked, ToolCall), checked
    return checked


TAKEOFF_50 = (call("takeoff_drone", altitude=50),)
PHOTO = (call("control_camera", mode="photo"),)
LED_RED = (call("configure_led_display", pattern="blink", color="red"),)
REJECT = (call("reject_request"),)
HOME = (call("set_home_location", coordinates={"latitude": 40.7, "longitude": -74}),)

# (case, expected, raw model output, name, call, valid)
CASES = [
    # int against float: 50.0 is 50, and a float latitude equals the same value written as int
    ("int vs float", TAKEOFF_50, '{"name": "takeoff_drone", "arguments": {"altitude": 50.0}}',
     True, True, True),
    ("float vs int coords", HOME,
     'set_home_location(coordinates={"latitude": 40.7, "longitude": -74.0})', True, True, True),
    ("50.5 is not an int", TAKEOFF_50, "takeoff_drone(altitude=50.5)", True, False, False),
    ("string number is not a number", TAKEOFF_50, '{"name": "takeoff_drone", "arguments": '
     '{"altitude": "50"}}', True, False, False),
    ("wrong value", TAKEOFF_50, "takeoff_drone(altitude=60)", True, False, True),
    # omitted optional arguments: absent and null are the same; an unlisted extra is not
    ("optional omitted", PHOTO, "control_camera(mode='photo')", True, True, True),
    ("optional null", PHOTO, '{"name": "control_camera", "arguments": '
     '{"mode": "photo", "duration": null}}', True, True, True),
    ("unlisted optional present", PHOTO, "control_camera(mode='photo', duration=10)",
     True, False, False),
    ("required omitted", LED_RED, "configure_led_display(pattern='blink')", True, False, False),
    # enum case: compared case-insensitively
    ("enum case", LED_RED, '{"name": "configure_led_display", "arguments": '
     '{"pattern": "BLINK", "color": "Red"}}', True, True, True),
    ("enum miss", LED_RED, "configure_led_display(pattern='blink', color='purple')",
     True, False, False),
    # a parse failure on a reject case is never a correct refusal
    ("garbage on reject", REJECT, "I cannot do that, sorry.", False, False, False),
    ("empty on reject", REJECT, "", False, False, False),
    ("real reject", REJECT, '{"name": "reject_request", "arguments": {}}', True, True, True),
    ("reject with args", REJECT, 'reject_request(reason="no")', True, False, False),
    # name match is the seed's metric: the first call only, invalid arguments allowed
    ("wrong function", TAKEOFF_50, "land_drone(location='current')", False, False, True),
    ("unknown function", TAKEOFF_50, "fly_to_moon(speed=3)", False, False, False),
    ("two calls", TAKEOFF_50, "takeoff_drone(altitude=50)\ncontrol_camera(mode='photo')",
     True, False, True),
    ("second call invalid", TAKEOFF_50, "takeoff_drone(altitude=50)\ncontrol_camera(mode='x')",
     True, False, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expected", "output", "name", "matched", "valid"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_scores(
    expected: tuple[ToolCall, ...], output: str, name: bool, matched: bool, valid: bool
) -> None:
    completion = Completion.from_output(output)
    assert name_match(expected, completion) is name
    assert call_match(expected, completion) is matched
    assert is_valid(completion) is valid


def test_any_acceptable_call_matches() -> None:
    expected = (call("land_drone", location="home_base"), call("return_to_home"))
    assert call_match(expected, Completion.from_output("return_to_home()"))
    assert name_match(expected, Completion.from_output("land_drone(location='home_base')"))


def test_openai_tool_calls_are_scored_like_text() -> None:
    items = [{"function": {"name": "takeoff_drone", "arguments": '{"altitude": 50}'}}]
    assert call_match(TAKEOFF_50, Completion.from_output(items))


def test_error_completion_scores_nothing() -> None:
    completion = Completion(error="connection refused")
    scores = score(REJECT, completion, executed=None)
    assert scores == type(scores)(False, False, False, False)
    assert first_name(completion) == NO_CALL


def test_executed_defaults_to_call_match_and_can_be_overridden() -> None:
    completion = Completion.from_output("takeoff_drone(altitude=50)")
    assert score(TAKEOFF_50, completion).executed_match is True
    assert score(TAKEOFF_50, completion, executed=False).executed_match is False


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (50, 50.0, True),
        (1, True, False),
        ("Red", "red ", True),
        ({"latitude": 1, "longitude": 2}, {"latitude": 1.0, "longitude": 2}, True),
        ({"latitude": 1}, {"latitude": 1, "longitude": 2}, False),
        ([1, 2], [1, 2.0], True),
        (None, None, True),
        (None, 0, False),
    ],
)
def test_same_value(a: object, b: object, same: bool) -> None:
    assert same_value(a, b) is same


def test_percentile_matches_numpy_linear() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([], 50) == 0.0
