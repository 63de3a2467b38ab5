"""Every catalogue function: its accepted path (and the effect a user would see) and a denied path."""

from __future__ import annotations

import json

import pytest
from openai.types.chat import ChatCompletionMessageToolCall

from copilot import FUNCTION_NAMES, ToolCall
from simulator.core import DroneState, execute, observation, run_until_idle, start_state_for

NEAR = {"latitude": 37.7699, "longitude": -122.4859}  # ~60 m north of the pad, open ground
FAR = {"latitude": 48.8584, "longitude": 2.2945}  # Paris: far outside the 500 m fence

# One valid call per function, and a state-changing check on its result.
ACCEPTED = {
    "takeoff_drone(altitude=30)": lambda o: o["flying"] and o["altitude"] == 30,
    "land_drone(location='current')": lambda o: not o["flying"] and o["altitude"] == 0,
    "control_drone_movement(direction='forward', distance=10)": lambda o: o["y"] == 10,
    "set_drone_speed(speed=15)": lambda o: o["speed_kmh"] == 15,
    "control_camera(mode='photo')": lambda o: o["camera"]["photos_taken"] == 1,
    "control_gimbal(tilt=-45, pan=30)": lambda o: o["gimbal"] == {"tilt": -45, "pan": 30},
    "set_drone_lighting(mode='sos')": lambda o: o["lighting"] == "sos",
    "return_to_home()": lambda o: not o["flying"] and (o["x"], o["y"]) == (0, 0),
    "set_battery_saver_mode(status='on')": lambda o: o["flags"]["battery_saver"],
    "set_obstacle_avoidance(mode='on')": lambda o: o["flags"]["obstacle_avoidance"],
    "set_follow_me_mode(status='on')": lambda o: o["flags"]["follow_me"],
    "calibrate_sensors()": lambda o: o["flags"]["calibrated"],
    "set_autopilot(status='on')": lambda o: o["flags"]["autopilot"],
    "configure_led_display(pattern='blink', color='red')": lambda o: (
        o["led"] == {"pattern": "blink", "color": "red"}
    ),
    f"set_home_location(coordinates={json.dumps(NEAR)})": lambda o: o["home"] == NEAR,
    "reject_request()": lambda o: True,
}


def test_table_covers_every_function() -> None:
    assert {text.split("(")[0] for text in ACCEPTED} == set(FUNCTION_NAMES)


@pytest.mark.parametrize("text", list(ACCEPTED))
def test_accepted_from_its_start_state(text: str, fly) -> None:
    name = text.split("(")[0]
    before = start_state_for(name)
    after, acks = fly(before, text)
    assert acks[0].status == "accepted", acks[0].reason
    obs = observation(after)
    assert ACCEPTED[text](obs), obs
    if name != "reject_request":  # every real command leaves a visible trace
        assert obs != observation(before)


# A state and a call each safety rule refuses, with words the reason must contain.
DENIED = [
    ("takeoff_drone(altitude=30)", "air", "already airborne"),
    ("land_drone(location='current')", "ground", "not airborne"),
    ("land_drone(location='home_base')", "ground", "not airborne"),
    (f"land_drone(location='custom', coordinates={json.dumps(FAR)})", "air", "geofence"),
    ("control_drone_movement(direction='forward', distance=10)", "ground", "not airborne"),
    ("control_drone_movement(direction='up', distance=100)", "air", "ceiling"),
    ("control_drone_movement(direction='down', distance=30)", "air", "ground"),
    ("control_camera(mode='panorama')", "ground", "not airborne"),
    ("return_to_home()", "ground", "not airborne"),
    ("set_follow_me_mode(status='on')", "ground", "not airborne"),
    ("calibrate_sensors()", "air", "airborne"),
    (f"set_home_location(coordinates={json.dumps(FAR)})", "air", "geofence"),
]


@pytest.mark.parametrize(("text", "where", "words"), DENIED)
def test_denied_leaves_state_unchanged(text: str, where: str, words: str, ground, air) -> None:
    state = ground if where == "ground" else air
    after, ack = execute(state, text)
    assert ack.status == "denied"
    assert words in ack.reason
    assert after is state


@pytest.mark.parametrize("text", [t for t in ACCEPTED if not t.startswith("reject")])
def test_every_function_is_denied_after_a_crash(text: str, fly, air) -> None:
    crashed, _ = fly(air, "control_drone_movement(direction='forward', distance=200)")
    assert crashed.crashed
    after, ack = execute(crashed, text)
    assert ack.status == "denied" and "crashed" in ack.reason
    assert after is crashed


def test_reject_request_is_accepted_and_changes_nothing(air: DroneState) -> None:
    after, ack = execute(air, "reject_request()")
    assert ack.status == "accepted"
    assert after is air


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "fly_to_moon", "arguments": {}},
        {"name": "set_drone_speed", "arguments": {"speed": -120}},
        {"name": "takeoff_drone", "arguments": '{"altitude": "fifty"}'},
        {"name": "control_camera", "arguments": {"mode": "video"}},
        {"name": "configure_led_display", "arguments": {"pattern": "rainbow", "color": "red"}},
        "not a call at all",
        42,
    ],
)
def test_invalid_calls_fail_without_change(bad, air: DroneState) -> None:
    after, ack = execute(air, bad)
    assert ack.status == "failed" and ack.reason
    assert after is air


def test_call_shapes_agree(air: DroneState) -> None:
    shapes = [
        ToolCall("control_gimbal", {"tilt": -30, "pan": 10}),
        {"name": "control_gimbal", "arguments": {"tilt": -30, "pan": 10}},
        {"name": "control_gimbal", "arguments": '{"tilt": -30.0, "pan": 10}'},
        ToolCall("control_gimbal", {"tilt": -30, "pan": 10}).to_openai(),
        "control_gimbal(tilt=-30, pan=10)",
        ChatCompletionMessageToolCall(  # what the OpenAI SDK hands back
            id="c",
            type="function",
            function={"name": "control_gimbal", "arguments": '{"tilt": -30, "pan": 10}'},
        ),
    ]
    results = [observation(run_until_idle(execute(air, c)[0])) for c in shapes]
    assert all(r == results[0] for r in results)


def test_camera_video_and_panorama(fly, air: DroneState) -> None:
    state, acks = fly(air, "control_camera(mode='video', duration=20)")
    assert acks[0].ok
    obs = observation(state)
    assert obs["camera"]["videos_recorded"] == 1 and obs["camera"]["video_seconds"] == 20
    assert not obs["camera"]["recording"]  # run_until_idle recorded it all
    recording, _ = execute(air, "control_camera(mode='video', duration=20)")
    again, ack = execute(recording, "control_camera(mode='panorama')")
    assert ack.status == "denied" and "recording" in ack.reason and again is recording
    state, acks = fly(air, "control_camera(mode='panorama')")
    assert acks[0].ok and observation(state)["camera"]["panoramas_taken"] == 1


def test_led_rainbow_has_no_colour(fly, air: DroneState) -> None:
    state, _ = fly(air, "configure_led_display(pattern='blink', color='red')")
    state, _ = fly(state, "configure_led_display(pattern='rainbow')")
    assert observation(state)["led"] == {"pattern": "rainbow", "color": None}


def test_flags_turn_off_again(fly, air: DroneState) -> None:
    state, _ = fly(air, "set_autopilot(status='on')", "set_autopilot(status='off')")
    assert observation(state) == observation(air)


def test_equivalent_landings_compare_equal(fly, air: DroneState) -> None:
    """Over the pad, landing here, landing at home and returning home are the same flight."""
    outcomes = [
        observation(fly(air, text)[0])
        for text in (
            "land_drone(location='current')",
            "land_drone(location='home_base')",
            "return_to_home()",
        )
    ]
    assert outcomes[0] == outcomes[1] == outcomes[2]
