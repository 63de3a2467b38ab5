"""Property: whatever the calls, the drone stays physical and inside its limits."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core import World, advance, execute, run_until_idle, start_state

WORLD = World()
on_off = st.sampled_from(["on", "off"])
coords = st.fixed_dictionaries(
    {
        "latitude": st.floats(37.764, 37.775, allow_nan=False),
        "longitude": st.floats(-122.492, -122.480, allow_nan=False),
    }
)

calls = st.one_of(
    st.builds(lambda a: ("takeoff_drone", {"altitude": a}), st.integers(1, 120)),
    st.builds(
        lambda loc: ("land_drone", {"location": loc}), st.sampled_from(["current", "home_base"])
    ),
    st.builds(lambda c: ("land_drone", {"location": "custom", "coordinates": c}), coords),
    st.builds(
        lambda d, n: ("control_drone_movement", {"direction": d, "distance": n}),
        st.sampled_from(["forward", "backward", "left", "right", "up", "down"]),
        st.integers(1, 500),
    ),
    st.builds(lambda v: ("set_drone_speed", {"speed": v}), st.integers(0, 100)),
    st.just(("control_camera", {"mode": "photo"})),
    st.just(("control_camera", {"mode": "panorama"})),
    st.builds(lambda d: ("control_camera", {"mode": "video", "duration": d}), st.integers(1, 600)),
    st.builds(
        lambda t, p: ("control_gimbal", {"tilt": t, "pan": p}),
        st.integers(-90, 30),
        st.integers(-180, 180),
    ),
    st.just(("return_to_home", {})),
    st.builds(lambda s: ("set_battery_saver_mode", {"status": s}), on_off),
    st.builds(lambda s: ("set_obstacle_avoidance", {"mode": s}), on_off),
    st.builds(lambda s: ("set_follow_me_mode", {"status": s}), on_off),
    st.just(("calibrate_sensors", {})),
    st.builds(lambda c: ("set_home_location", {"coordinates": c}), coords),
    st.builds(lambda s: ("set_speed_typo", {"speed": s}), st.integers()),  # invalid: must fail
    st.builds(
        lambda s: ("set_drone_speed", {"speed": s}), st.integers(101, 10_000)
    ),  # out of range
)
steps = st.lists(
    st.tuples(calls, st.sampled_from([0.0, 0.5, 5.0, 60.0, None])), min_size=1, max_size=25
)


def _check(state) -> None:
    assert state.altitude >= 0
    assert 0 <= state.battery <= 100
    assert state.crashed or math.hypot(state.x, state.y) <= WORLD.geofence_radius + 1e-6


@settings(max_examples=150, deadline=None)
@given(steps, st.booleans(), st.floats(5, 100))
def test_any_sequence_keeps_the_drone_within_limits(sequence, airborne, battery) -> None:
    from dataclasses import replace

    state = replace(start_state(WORLD, airborne), battery=battery)
    for (name, arguments), dt in sequence:
        new, ack = execute(state, {"name": name, "arguments": arguments}, WORLD)
        if not ack.ok:
            assert new is state  # a denied or invalid call never changes anything
        state = run_until_idle(new, WORLD) if dt is None else advance(new, WORLD, dt)
        _check(state)
