"""The safety rules and the continuous-motion model, as a pilot would notice them."""

from __future__ import annotations

from dataclasses import replace

from simulator.core import advance, execute, observation, run_until_idle, start_state


def test_ceiling_names_the_limit(fly, air) -> None:
    state, acks = fly(air, "control_drone_movement(direction='up', distance=80)")
    assert acks[0].ok and state.altitude == 110
    after, ack = execute(state, "control_drone_movement(direction='up', distance=20)")
    assert ack.status == "denied" and "120 m ceiling" in ack.reason and after is state


def test_geofence_names_the_limit(fly, air) -> None:
    state, acks = fly(
        air,
        "control_drone_movement(direction='left', distance=400)",
        "control_drone_movement(direction='left', distance=200)",
    )
    assert acks[0].ok
    assert acks[1].status == "denied" and "500 m fence" in acks[1].reason
    assert round(state.x) == -400


def test_obstacle_avoidance_on_stops_short_with_a_note(fly, air) -> None:
    state, acks = fly(
        air,
        "set_obstacle_avoidance(mode='on')",
        "control_drone_movement(direction='forward', distance=200)",
    )
    assert acks[1].ok and "short of the radio mast" in acks[1].reason
    assert not state.crashed and state.flying and 130 <= state.y < 136


def test_obstacle_avoidance_off_crashes_into_the_mast(fly, air) -> None:
    state, acks = fly(air, "control_drone_movement(direction='forward', distance=200)")
    assert acks[0].ok  # the drone does not know
    assert state.crashed and not state.flying and state.altitude == 0
    assert "radio mast" in state.crash_reason and any("CRASH" in n for n in state.notes)


def test_flying_above_an_obstacle_is_safe(fly, air) -> None:
    state, _ = fly(
        air,
        "control_drone_movement(direction='up', distance=50)",
        "control_drone_movement(direction='forward', distance=200)",
    )
    assert not state.crashed and round(state.y) == 200


def test_battery_drains_with_time_and_distance_and_saver_lowers_it(fly, air) -> None:
    short, _ = fly(air, "control_drone_movement(direction='forward', distance=50)")
    long, _ = fly(air, "control_drone_movement(direction='backward', distance=300)")
    saver, _ = fly(
        air,
        "set_battery_saver_mode(status='on')",
        "control_drone_movement(direction='backward', distance=300)",
    )
    assert 100 > short.battery > long.battery
    assert long.battery < saver.battery < 100
    hovered = advance(air, dt=60)
    assert hovered.battery < 100 and start_state().battery == advance(start_state(), dt=60).battery


def test_low_battery_warns_then_returns_home_then_lands(air) -> None:
    away = replace(air, x=-60.0, y=-40.0, battery=16.0)
    states = [away]
    for _ in range(400):
        states.append(advance(states[-1], dt=1.0))
    notes = " | ".join(states[-1].notes)
    assert "15%" in notes and "returning home" in notes
    warned = next(i for i, s in enumerate(states) if s.battery_stage >= 1)
    returning = next(i for i, s in enumerate(states) if s.battery_stage >= 2)
    assert states[warned].battery <= 15 and warned < returning
    assert states[returning].battery <= 7 and states[returning].plan
    final = states[-1]
    assert not final.flying and not final.crashed
    assert (round(final.x), round(final.y)) == (0, 0)


def test_battery_at_5_percent_lands_where_it_is(air) -> None:
    far = replace(air, x=-300.0, y=0.0, battery=5.5, battery_stage=2)
    final = advance(far, dt=300)
    assert not final.flying and not final.crashed
    assert round(final.x) == -300 and "5%" in " ".join(final.notes)


def test_critical_battery_refuses_moves_and_takeoff(air) -> None:
    low = replace(air, battery=6.0, battery_stage=2)
    for text in ("control_drone_movement(direction='up', distance=5)",):
        assert execute(low, text)[1].status == "denied"
    assert execute(low, "return_to_home()")[1].ok
    grounded = replace(start_state(), battery=12.0)
    _, ack = execute(grounded, "takeoff_drone(altitude=10)")
    assert ack.status == "denied" and "too low" in ack.reason


def test_return_home_climbs_over_obstacles_flies_home_and_lands(fly, air) -> None:
    behind, _ = fly(
        air,
        "control_drone_movement(direction='up', distance=30)",
        "control_drone_movement(direction='forward', distance=120)",
        "control_drone_movement(direction='right', distance=90)",
        "control_drone_movement(direction='down', distance=50)",
    )
    assert (round(behind.x), round(behind.y), round(behind.altitude)) == (90, 120, 10)
    state, ack = execute(behind, "return_to_home()")
    assert ack.ok
    peak = 0.0
    for _ in range(2000):
        state = advance(state, dt=0.25)
        peak = max(peak, state.altitude)
        if state.idle:
            break
    assert peak >= 55  # the office block (45 m) lies between it and home
    assert not state.flying and not state.crashed and (round(state.x), round(state.y)) == (0, 0)


def test_custom_landing_and_new_home_use_the_local_frame(fly, air, world) -> None:
    lat, lon = world.to_latlon(30.0, -90.0)
    coords = f"{{'latitude': {lat}, 'longitude': {lon}}}"
    landed, acks = fly(air, f"land_drone(location='custom', coordinates={coords})")
    assert acks[0].ok and not landed.flying
    assert (round(landed.x), round(landed.y)) == (30, -90)
    state, acks = fly(air, f"set_home_location(coordinates={coords})", "return_to_home()")
    assert all(a.ok for a in acks) and (round(state.x), round(state.y)) == (30, -90)


def test_cannot_land_on_a_building(fly, air) -> None:
    above, _ = fly(
        air,
        "control_drone_movement(direction='up', distance=30)",
        "control_drone_movement(direction='forward', distance=70)",
        "control_drone_movement(direction='right', distance=90)",
    )
    _, ack = execute(above, "land_drone(location='current')")
    assert ack.status == "denied" and "office block" in ack.reason


def test_commands_queue_behind_motion(fly, ground) -> None:
    waited, _ = fly(
        ground,
        "takeoff_drone(altitude=30)",
        "control_drone_movement(direction='forward', distance=50)",
    )
    queued, ack1 = execute(ground, "takeoff_drone(altitude=30)")
    queued, ack2 = execute(queued, "control_drone_movement(direction='forward', distance=50)")
    assert ack1.ok and ack2.ok
    assert observation(run_until_idle(queued)) == observation(waited)
    _, ack = execute(queued, "takeoff_drone(altitude=10)")
    assert ack.status == "denied"  # it will already be airborne


def test_animation_and_fast_forward_agree(ground) -> None:
    state, _ = execute(ground, "takeoff_drone(altitude=30)")
    state, _ = execute(state, "control_drone_movement(direction='right', distance=40)")
    animated, frames = state, 0
    while not animated.idle and frames < 60 * 60:
        animated, frames = advance(animated, dt=1 / 60), frames + 1
    assert 60 * 10 < frames < 60 * 20  # 7.5 s climbing, then 4 s flying
    assert observation(animated) == observation(run_until_idle(state))


def test_follow_me_tracks_the_walking_person(world, fly, air) -> None:
    state, _ = fly(air, "set_follow_me_mode(status='on')")
    state = advance(state, dt=60)
    px, py = world.person_at(state.time)
    assert 10 < ((state.x - px) ** 2 + (state.y - py) ** 2) ** 0.5 < 20
