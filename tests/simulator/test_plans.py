"""Plans on the core and on a `Mission`: order, aborts, atomic refusal, cancelling, typed plans."""

from __future__ import annotations

import pytest

from simulator.core import DroneState, advance, execute, observation, run_plan
from simulator.mission import CANCELLED, Mission, split_plan

TAKEOFF_30 = "takeoff_drone(altitude=30)"
FORWARD_50 = "control_drone_movement(direction='forward', distance=50)"
PHOTO = "control_camera(mode='photo')"


def test_climb_then_fly_forward_runs_in_order(ground: DroneState, world) -> None:
    # Alone on the ground, step 2 is denied: it can only be accepted after the climb.
    assert execute(ground, FORWARD_50, world)[1].status == "denied"
    state, acks = run_plan(ground, [TAKEOFF_30, FORWARD_50], world)
    assert [a.status for a in acks] == ["accepted", "accepted"]
    obs = observation(state)
    assert (obs["altitude"], obs["x"], obs["y"], obs["flying"]) == (30.0, 0.0, 50.0, True)


def test_a_denied_step_stops_the_plan_and_skips_the_rest(air: DroneState, world) -> None:
    back_300 = "control_drone_movement(direction='backward', distance=300)"  # south: open park
    state, acks = run_plan(air, [back_300, back_300, PHOTO], world)
    assert [a.status for a in acks] == ["accepted", "denied", "skipped"]
    assert "geofence" in acks[1].reason
    assert acks[2].reason.startswith("step 2 was denied (geofence")
    assert round(state.y) == -300 and state.photos_taken == 0  # step 1 flew, step 3 never ran


@pytest.mark.parametrize(
    ("calls", "words"),
    [
        ([TAKEOFF_30, "reject_request()"], "must stand alone"),
        (["reject_request()", PHOTO], "must stand alone"),
        ([TAKEOFF_30, PHOTO, PHOTO, PHOTO, PHOTO], "at most 4 calls"),
    ],
)
def test_malformed_plans_run_nothing(ground: DroneState, world, calls, words) -> None:
    state, acks = run_plan(ground, calls, world)
    assert state is ground  # not one step ran
    assert len(acks) == len(calls) and all(a.status == "failed" for a in acks)
    assert words in acks[0].reason
    problem = Mission.checked(calls)
    assert isinstance(problem, str) and words in problem


def test_a_plan_whose_second_call_is_invalid_runs_nothing(ground: DroneState, world) -> None:
    calls = [TAKEOFF_30, "control_drone_movement(direction='sideways', distance=50)", PHOTO]
    state, acks = run_plan(ground, calls, world)
    assert state is ground
    assert [a.status for a in acks] == ["skipped", "failed", "skipped"]
    assert acks[0].reason == "step 2 is invalid"
    problem = Mission.checked(calls)
    assert isinstance(problem, str) and problem.startswith("step 2 is invalid (")


def _fly_mission(mission: Mission, state: DroneState, world, dt: float = 1 / 30):
    """Fly a mission frame by frame as the app does; returns the end state and every state."""
    seen = [state]
    for _ in range(100_000):
        while True:
            state, news = mission.step(state, world)
            if not news:
                break
        if not mission.flying:
            break
        state = advance(state, world, dt)
        seen.append(state)
    return state, seen


def test_a_mission_flown_in_real_time_ends_where_run_plan_does(ground: DroneState, world) -> None:
    calls = [TAKEOFF_30, FORWARD_50, PHOTO]
    mission = Mission.checked(calls)
    assert isinstance(mission, Mission)
    state, seen = _fly_mission(mission, ground, world)
    # the drone reached 30 m before it moved forward
    assert all(s.altitude >= 30 - 1e-6 for s in seen if s.y > 1e-6)
    assert any(0 < s.altitude < 30 for s in seen)  # and it climbed in real time, not at once
    expected, acks = run_plan(ground, calls, world)
    assert [a.status for a in mission.acks if a] == [a.status for a in acks]
    keys = ("x", "y", "altitude", "flying", "camera")
    assert {k: observation(state)[k] for k in keys} == {k: observation(expected)[k] for k in keys}
    assert mission.summary() == "done: 3 of 3 accepted"


def test_a_mission_waits_for_each_step_then_starts_the_next(ground: DroneState, world) -> None:
    mission = Mission.checked([TAKEOFF_30, PHOTO, FORWARD_50])
    assert isinstance(mission, Mission)
    state, news = mission.step(ground, world)
    assert [i for i, _ in news] == [0] and mission.active == 0
    assert mission.step(state, world) == (state, [])  # still climbing: step 2 waits
    state = advance(state, world, 20.0)
    state, news = mission.step(state, world)  # the photo: nothing to fly, done at once
    assert [i for i, _ in news] == [1] and mission.active is None
    state, news = mission.step(state, world)
    assert [i for i, _ in news] == [2] and mission.active == 2 and not mission.pending


def test_cancel_skips_the_steps_not_started(ground: DroneState, world) -> None:
    mission = Mission.checked([TAKEOFF_30, FORWARD_50, PHOTO])
    assert isinstance(mission, Mission)
    state, _ = mission.step(ground, world)
    skipped = mission.cancel()
    assert [i for i, _ in skipped] == [1, 2]
    assert [str(a) for a in mission.acks] == [
        "accepted: climbing to 30 m",
        f"skipped: {CANCELLED}",
        f"skipped: {CANCELLED}",
    ]
    assert mission.cancel() == []  # nothing left to cancel
    state, _ = _fly_mission(mission, state, world)
    assert round(state.altitude) == 30 and state.y == 0 and state.photos_taken == 0
    assert mission.summary() == "cancelled: 2 steps skipped"


def test_a_crash_mid_plan_denies_the_next_step(air: DroneState, world) -> None:
    # the 70 m radio mast stands 140 m north of the pad, in the way at 30 m
    calls = ["control_drone_movement(direction='forward', distance=200)", PHOTO, PHOTO]
    state, acks = run_plan(air, calls, world)
    assert state.crashed
    assert [a.status for a in acks] == ["accepted", "denied", "skipped"]
    assert "crashed" in acks[1].reason


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (f"{TAKEOFF_30}; {PHOTO}", [TAKEOFF_30, PHOTO]),
        (f"{TAKEOFF_30} ; {PHOTO};", [TAKEOFF_30, PHOTO]),
        ('a(x=\'1;2\'); b(y={"k": "v;w"})', ["a(x='1;2')", 'b(y={"k": "v;w"})']),
        (TAKEOFF_30, [TAKEOFF_30]),
        ("  ;  ", []),
    ],
)
def test_split_plan_cuts_only_between_calls(text: str, parts: list[str]) -> None:
    assert split_plan(text) == parts
