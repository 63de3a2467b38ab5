"""The catalogue: the generated tools JSON, and one passing and one failing case per rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot import FUNCTION_NAMES, CallError, ToolCall, tools, validate_call

DESIGN = json.loads((Path(__file__).parent / "fixtures" / "catalog_design.json").read_text())
DESIGN.pop("_source")


def test_tools_carry_exactly_the_seed_names_in_order():
    names = [t["function"]["name"] for t in tools()]
    assert names == list(DESIGN) == list(FUNCTION_NAMES)
    assert len(names) == 16


@pytest.mark.parametrize("descriptions", [True, False])
def test_tools_match_the_design_fixture(descriptions):
    for tool in tools(descriptions=descriptions):
        fn = tool["function"]
        want = DESIGN[fn["name"]]
        params = fn["parameters"]
        assert params["type"] == "object"
        assert sorted(params.get("required", [])) == sorted(want["required"])
        assert list(params["properties"]) == list(want["properties"])
        for arg, spec in want["properties"].items():
            got = params["properties"][arg]
            for key, value in spec.items():
                if key == "properties":
                    assert list(got["properties"]) == value
                else:
                    assert got[key] == value, (fn["name"], arg, key)


def test_stripped_variant_has_no_descriptions_and_is_smaller():
    full, bare = json.dumps(tools()), json.dumps(tools(descriptions=False))
    assert '"description"' in full
    assert '"description"' not in bare
    assert len(bare) < len(full) * 0.7


def test_schema_is_plain_json_schema_without_pydantic_noise():
    text = json.dumps(tools())
    for noise in ('"title"', "$ref", "$defs", "anyOf", '"default"'):
        assert noise not in text


# One passing and one failing call for every rule: (name, arguments, expected error fragment).
PASSING = [
    ("takeoff_drone", {"altitude": 1}),
    ("takeoff_drone", {"altitude": 120}),
    ("land_drone", {"location": "current"}),
    ("land_drone", {"location": "custom", "coordinates": {"latitude": -33.9, "longitude": 151.2}}),
    ("control_drone_movement", {"direction": "up", "distance": 500}),
    ("set_drone_speed", {"speed": 0}),
    ("set_drone_speed", {"speed": 100}),
    ("control_camera", {"mode": "photo"}),
    ("control_camera", {"mode": "video", "duration": 600}),
    ("control_gimbal", {"tilt": -90, "pan": 180}),
    ("control_gimbal", {"tilt": 30, "pan": -180}),
    ("set_drone_lighting", {"mode": "sos"}),
    ("return_to_home", {}),
    ("set_battery_saver_mode", {"status": "on"}),
    ("set_obstacle_avoidance", {"mode": "off"}),
    ("set_follow_me_mode", {"status": "on"}),
    ("calibrate_sensors", {}),
    ("set_autopilot", {"status": "off"}),
    ("configure_led_display", {"pattern": "rainbow"}),
    ("configure_led_display", {"pattern": "solid", "color": "white"}),
    ("set_home_location", {"coordinates": {"latitude": 90, "longitude": -180}}),
    ("reject_request", {}),
]

FAILING = [
    ("fly_to_the_moon", {}, "unknown function 'fly_to_the_moon'"),
    ("takeoff_drone", "{altitude: 50", "not valid JSON"),
    ("takeoff_drone", "[50]", "must be a JSON object"),
    ("takeoff_drone", {}, "missing argument 'altitude'"),
    ("takeoff_drone", {"altitude": "fifty"}, "altitude must be an integer, got 'fifty'"),
    ("takeoff_drone", {"altitude": 50.5}, "altitude must be an integer"),
    ("takeoff_drone", {"altitude": True}, "altitude must be an integer"),
    ("takeoff_drone", {"altitude": 0}, "between 1 and 120 m, got 0"),
    ("takeoff_drone", {"altitude": 121}, "between 1 and 120 m, got 121"),
    ("takeoff_drone", {"altitude": 50, "speed": 3}, "unexpected argument 'speed'"),
    ("land_drone", {"location": "roof"}, "location must be one of"),
    ("land_drone", {"location": "custom"}, "coordinates are required when location is 'custom'"),
    (
        "land_drone",
        {"location": "current", "coordinates": {"latitude": 1, "longitude": 2}},
        "coordinates must be absent",
    ),
    ("land_drone", {"location": "custom", "coordinates": "home"}, "coordinates must be an object"),
    (
        "land_drone",
        {"location": "custom", "coordinates": {"latitude": 1}},
        "missing argument 'coordinates.longitude'",
    ),
    ("control_drone_movement", {"direction": "sideways", "distance": 5}, "direction must be one"),
    ("control_drone_movement", {"direction": "up", "distance": 501}, "between 1 and 500 m"),
    ("set_drone_speed", {"speed": -120}, "speed must be between 0 and 100 km/h, got -120"),
    ("set_drone_speed", {"speed": 101}, "between 0 and 100 km/h"),
    ("control_camera", {"mode": "video"}, "duration is required when mode is 'video'"),
    ("control_camera", {"mode": "photo", "duration": 5}, "duration must be absent"),
    ("control_camera", {"mode": "video", "duration": 601}, "between 1 and 600 s"),
    ("control_gimbal", {"tilt": -91, "pan": 0}, "tilt must be between -90 and 30°"),
    ("control_gimbal", {"tilt": 0, "pan": 181}, "pan must be between -180 and 180°"),
    ("control_gimbal", {"tilt": 0}, "missing argument 'pan'"),
    ("set_drone_lighting", {"mode": "strobe"}, "mode must be one of"),
    ("return_to_home", {"speed": 3}, "unexpected argument 'speed'"),
    ("set_battery_saver_mode", {"status": "maybe"}, "status must be one of"),
    ("set_obstacle_avoidance", {"mode": True}, "mode must be one of"),
    ("set_follow_me_mode", {}, "missing argument 'status'"),
    ("set_autopilot", {"status": 1}, "status must be one of"),
    ("configure_led_display", {"pattern": "rainbow", "color": "red"}, "color must be absent"),
    ("configure_led_display", {"pattern": "blink"}, "color is required when pattern is 'blink'"),
    ("configure_led_display", {"pattern": "solid", "color": "purple"}, "color must be one of"),
    (
        "set_home_location",
        {"coordinates": {"latitude": 91, "longitude": 0}},
        "coordinates.latitude must be between -90 and 90°",
    ),
    (
        "set_home_location",
        {"coordinates": {"latitude": 0, "longitude": -181}},
        "coordinates.longitude must be between -180 and 180°",
    ),
    ("reject_request", {"reason": "no"}, "unexpected argument 'reason'"),
]


@pytest.mark.parametrize(("name", "arguments"), PASSING)
def test_valid_calls_pass(name, arguments):
    result = validate_call(name, arguments)
    assert isinstance(result, ToolCall), result
    assert result.name == name


@pytest.mark.parametrize(("name", "arguments", "fragment"), FAILING)
def test_invalid_calls_fail_with_one_readable_line(name, arguments, fragment):
    result = validate_call(name, arguments)
    assert isinstance(result, CallError)
    assert fragment in result.reason
    assert "\n" not in result.reason
    assert "pydantic" not in result.reason.lower()


def test_every_function_has_a_passing_case():
    assert {name for name, _ in PASSING} == set(FUNCTION_NAMES)


def test_arguments_as_json_string_and_normalisation():
    call = validate_call("configure_led_display", '{"pattern": "Blink", "color": " RED "}')
    assert call == ToolCall("configure_led_display", {"pattern": "blink", "color": "red"})
    assert validate_call("takeoff_drone", {"altitude": 50.0}) == ToolCall(
        "takeoff_drone", {"altitude": 50}
    )
    assert validate_call("return_to_home", "") == ToolCall("return_to_home", {})


def test_optional_arguments_absent_from_validated_call():
    call = validate_call("control_camera", {"mode": "panorama"})
    assert call.arguments == {"mode": "panorama"}


def test_tool_call_round_trips_through_openai_form():
    call = ToolCall("control_gimbal", {"tilt": -45, "pan": 90})
    fn = call.to_openai()["function"]
    assert validate_call(fn["name"], fn["arguments"]) == call
    assert str(call) == "control_gimbal(tilt=-45, pan=90)"
