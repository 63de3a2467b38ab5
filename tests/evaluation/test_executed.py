"""Executed match against the real headless simulator core."""

from __future__ import annotations

import pytest

from copilot import ToolCall, validate_call
from evaluation.executed import executed_match, initial_state


def c(name: str, **arguments: object) -> ToolCall:
    checked = validate_call(name, arguments)
    assert isinstance(checked, ToolCall), checked
    return checked


TAKEOFF = c("takeoff_drone", altitude=30)
SPEED_20 = c("set_drone_speed", speed=20)

# (case, expected, predicted, setup, match)
CASES = [
    ("same call", [c("takeoff_drone", altitude=50)], [c("takeoff_drone", altitude=50)], [], True),
    ("other altitude", [c("takeoff_drone", altitude=50)], [c("takeoff_drone", altitude=60)],
     [], False),
    # executed match credits a different call with the same effect: hovering over the pad,
    # landing "here" and landing at home end in the same place
    ("same effect", [c("land_drone", location="home_base")], [c("land_drone", location="current")],
     [], True),
    ("move vs other move", [c("control_drone_movement", direction="up", distance=10)],
     [c("control_drone_movement", direction="down", distance=10)], [], False),
    ("extra call changes state", [c("control_camera", mode="photo")],
     [c("control_camera", mode="photo"), c("set_drone_lighting", mode="on")], [], False),
    # a denied prediction never matches, even if the state did not move
    ("predicted denied", [c("control_drone_movement", direction="up", distance=10)],
     [c("takeoff_drone", altitude=40)], [], False),
    # two wrong calls both denied on the ground: the expected call is denied in the setup's
    # state, so executed match falls back to call match
    ("both denied on ground", [c("land_drone", location="current")],
     [c("control_drone_movement", direction="forward", distance=5)], [SPEED_20], False),
    ("denied expected, same call", [c("land_drone", location="current")],
     [c("land_drone", location="current")], [SPEED_20], True),
    # refusing has no effect to compare: only reject_request matches, not another no-op
    ("reject vs reject", [c("reject_request")], [c("reject_request")], [], True),
    ("reject vs no-op", [c("reject_request")], [c("set_autopilot", status="off")], [], False),
    ("no-op expected", [c("set_autopilot", status="off")], [c("set_follow_me_mode", status="off")],
     [], False),
    ("no-op expected, same call", [c("set_autopilot", status="off")],
     [c("set_autopilot", status="off")], [], True),
    ("action vs reject", [c("set_obstacle_avoidance", mode="on")], [c("reject_request")], [],
     False),
    # setup: the case starts airborne, so a move is compared by where it ends
    ("setup then move", [c("control_drone_movement", direction="forward", distance=10)],
     [c("control_drone_movement", direction="forward", distance=10)], [TAKEOFF], True),
    ("setup then wrong move", [c("control_drone_movement", direction="forward", distance=10)],
     [c("control_drone_movement", direction="backward", distance=10)], [TAKEOFF], False),
    ("any acceptable option", [c("set_drone_speed", speed=10), c("set_drone_speed", speed=12)],
     [c("set_drone_speed", speed=12)], [], True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expected", "predicted", "setup", "match"), [x[1:] for x in CASES], ids=[x[0] for x in CASES]
)
def test_executed_match(
    expected: list[ToolCall], predicted: list[ToolCall], setup: list[ToolCall], match: bool
) -> None:
    assert executed_match(expected, predicted, setup) is match


def test_invalid_or_empty_prediction_never_matches() -> None:
    expected = [c("reject_request")]
    assert executed_match(expected, [c("reject_request")], valid=False) is False
    assert executed_match(expected, []) is False


def test_start_state_rules() -> None:
    assert initial_state(c("takeoff_drone", altitude=50), ()).flying is False
    hovering = initial_state(c("control_camera", mode="photo"), ())
    assert hovering.flying and hovering.altitude == pytest.approx(30)
    assert initial_state(c("control_camera", mode="photo"), (TAKEOFF,)).altitude == 30
    assert initial_state(c("control_camera", mode="photo"), (SPEED_20,)).flying is False
