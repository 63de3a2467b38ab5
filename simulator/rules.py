"""`execute`: one tool call applied to a state, with the safety rules, as a pure function.

Every call is validated against the catalogue first; an invalid call fails, a call that breaks a
safety rule is denied, and in both cases the state comes back unchanged. Motion commands do not
teleport the drone: they set a flight plan that `advance` / `run_until_idle` fly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from copilot import REJECT, ToolCall, parse_output, plan_error, validate_call
from simulator.motion import STANDARD_WORLD, plan_go_and_land
from simulator.state import Ack, DroneState, Waypoint
from simulator.world import World

AVOIDANCE_MARGIN = 3.0  # m: obstacle avoidance stops this far from an obstacle
MIN_MOVE_ALTITUDE = 1.0  # m: a move may not descend below this (landing is land_drone's job)
MIN_TAKEOFF_BATTERY = 15.0  # %
PANORAMA_SECONDS = 8.0  # a 360 degree sweep

Handler = Callable[[DroneState, dict[str, Any], World], tuple[DroneState, Ack]]


def _denied(state: DroneState, reason: str) -> tuple[DroneState, Ack]:
    return state, Ack("denied", reason)


def _not_airborne(state: DroneState, what: str) -> tuple[DroneState, Ack]:
    return _denied(state, f"not airborne: take off before {what}")


def _fence_reason(world: World, x: float, y: float, what: str) -> str:
    d = math.hypot(x, y)
    return (
        f"geofence: {what} {d:,.0f} m from the pad, beyond the {world.geofence_radius:.0f} m fence"
    )


# --------------------------------------------------------------------------- flight


def _takeoff(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    target = float(a["altitude"])
    if s.flying:
        return _denied(s, f"already airborne at {s.altitude:.0f} m: takeoff is from the ground")
    if target > w.ceiling:
        return _denied(s, f"ceiling: {target:.0f} m is above the {w.ceiling:.0f} m ceiling")
    if s.battery <= MIN_TAKEOFF_BATTERY:
        need = f"needs more than {MIN_TAKEOFF_BATTERY:.0f}%"
        return _denied(s, f"battery {s.battery:.0f}% is too low for takeoff ({need})")
    plan = (Waypoint(s.x, s.y, target),)
    return replace(s, flying=True, plan=plan), Ack("accepted", f"climbing to {target:.0f} m")


def _move(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    direction, dist = a["direction"], float(a["distance"])
    if not s.flying:
        return _not_airborne(s, "moving")
    if s.speed_kmh <= 0:
        return _denied(s, "speed is 0 km/h: set a speed above 0 before moving")
    x, y, alt = s.x, s.y, s.altitude
    if direction in ("up", "down"):
        target = alt + dist if direction == "up" else alt - dist
        if target > w.ceiling:
            return _denied(
                s,
                f"ceiling: that would climb to {target:.0f} m, above the {w.ceiling:.0f} m ceiling",
            )
        if target < MIN_MOVE_ALTITUDE:
            return _denied(
                s,
                f"ground: descending {dist:.0f} m from {alt:.0f} m would reach the ground; "
                "use land_drone to land",
            )
        ob = w.obstacle_at(x, y, target) if direction == "down" else None
        if ob is not None:
            if s.obstacle_avoidance:
                stop = ob.height + AVOIDANCE_MARGIN
                if stop >= alt - 1:
                    return _denied(s, f"blocked: the {ob.name} is below (obstacle avoidance on)")
                note = (
                    f"stopped {AVOIDANCE_MARGIN:.0f} m above the {ob.name} (obstacle avoidance on)"
                )
                return replace(s, plan=(Waypoint(x, y, stop),)), Ack("accepted", note)
            crash = Waypoint(x, y, ob.height, False, f"crash:descended onto the {ob.name}")
            return replace(s, plan=(crash,)), Ack("accepted", f"descending {dist:.0f} m")
        verb = "climbing" if direction == "up" else "descending"
        return replace(s, plan=(Waypoint(x, y, target),)), Ack("accepted", f"{verb} {dist:.0f} m")
    h = math.radians(s.heading)
    fx, fy = math.sin(h), math.cos(h)  # forward unit vector
    dx, dy = {"forward": (fx, fy), "backward": (-fx, -fy), "right": (fy, -fx), "left": (-fy, fx)}[
        direction
    ]
    tx, ty = x + dx * dist, y + dy * dist
    if not w.inside_fence(tx, ty):
        return _denied(s, _fence_reason(w, tx, ty, "that would end"))
    hit = w.first_hit(x, y, tx, ty, alt)
    if hit is None:
        return replace(s, plan=(Waypoint(tx, ty, alt),)), Ack(
            "accepted", f"flying {direction} {dist:.0f} m"
        )
    t, ob = hit
    ahead = t * dist
    if s.obstacle_avoidance:
        allowed = ahead - AVOIDANCE_MARGIN
        if allowed < 1:
            return _denied(
                s, f"blocked: the {ob.name} is {ahead:.0f} m {direction} (obstacle avoidance on)"
            )
        plan = (Waypoint(x + dx * allowed, y + dy * allowed, alt),)
        note = (
            f"stopped {AVOIDANCE_MARGIN:.0f} m short of the {ob.name} after {allowed:.0f} of "
            f"{dist:.0f} m (obstacle avoidance on)"
        )
        return replace(s, plan=plan), Ack("accepted", note)
    crash = Waypoint(x + dx * ahead, y + dy * ahead, alt, False, f"crash:hit the {ob.name}")
    return replace(s, plan=(crash,)), Ack("accepted", f"flying {direction} {dist:.0f} m")


def _go_and_land(
    s: DroneState, w: World, tx: float, ty: float, what: str
) -> tuple[DroneState, Ack]:
    planned = plan_go_and_land(s, w, tx, ty)
    if isinstance(planned, str):
        return _denied(s, planned)
    plan, cruise = planned
    dist = math.hypot(tx - s.x, ty - s.y)
    how = f"{what}: {dist:.0f} m at {cruise:.0f} m, then landing" if dist > 0.5 else "landing"
    return replace(s, plan=plan, follow_me=False), Ack("accepted", how)


def _land(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    if not s.flying:
        return _denied(s, "not airborne: already on the ground")
    location = a["location"]
    if location == "current":
        ob = w.obstacle_at(s.x, s.y)
        if ob is not None:
            return _denied(s, f"cannot land on the {ob.name}: move clear of it first")
        plan = (Waypoint(s.x, s.y, 0.0, False, "land"),)
        return replace(s, plan=plan, follow_me=False), Ack("accepted", "landing here")
    if location == "home_base":
        return _return_home(s, {}, w)
    tx, ty = w.to_local(a["coordinates"]["latitude"], a["coordinates"]["longitude"])
    if not w.inside_fence(tx, ty):
        return _denied(s, _fence_reason(w, tx, ty, "that point is"))
    ob = w.obstacle_at(tx, ty)
    if ob is not None:
        return _denied(s, f"cannot land on the {ob.name}")
    return _go_and_land(s, w, tx, ty, "flying to the landing point")


def _return_home(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    if not s.flying:
        return _not_airborne(s, "returning home")
    if not w.inside_fence(s.home_x, s.home_y):
        return _denied(s, _fence_reason(w, s.home_x, s.home_y, "home is"))
    return _go_and_land(s, w, s.home_x, s.home_y, "returning home")


def _speed(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    speed = int(a["speed"])
    note = f"cruise speed {speed} km/h" if speed else "speed 0 km/h: the drone will hover"
    return replace(s, speed_kmh=speed), Ack("accepted", note)


# --------------------------------------------------------------------------- payload


def _camera(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    mode = a["mode"]
    if mode == "photo":
        n = s.photos_taken + 1
        return replace(s, camera_mode="photo", photos_taken=n), Ack("accepted", f"photo {n} taken")
    if s.panorama_left > 0:
        return _denied(s, f"a panorama is in progress ({s.panorama_left:.0f} s left)")
    if s.recording_left > 0:
        return _denied(s, f"already recording a video ({s.recording_left:.0f} s left)")
    if mode == "video":
        duration = int(a["duration"])
        new = replace(
            s,
            camera_mode="video",
            recording_left=float(duration),
            videos_recorded=s.videos_recorded + 1,
            video_seconds=s.video_seconds + duration,
        )
        return new, Ack("accepted", f"recording {duration} s of video")
    if not s.flying:
        return _not_airborne(s, "a panorama (the drone turns a full circle in the air)")
    new = replace(
        s,
        camera_mode="panorama",
        panorama_left=PANORAMA_SECONDS,
        panoramas_taken=s.panoramas_taken + 1,
    )
    return new, Ack("accepted", "sweeping a 360° panorama")


def _gimbal(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    tilt, pan = int(a["tilt"]), int(a["pan"])
    return replace(s, gimbal_tilt=tilt, gimbal_pan=pan), Ack(
        "accepted", f"gimbal tilt {tilt}°, pan {pan}°"
    )


def _lighting(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    return replace(s, lighting=a["mode"]), Ack("accepted", f"lights {a['mode']}")


def _led(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    pattern, color = a["pattern"], a.get("color")
    what = f"LEDs {pattern}" + (f" {color}" if color else "")
    return replace(s, led_pattern=pattern, led_color=color), Ack("accepted", what)


# --------------------------------------------------------------------------- modes and setup


def _flag(field: str, label: str, key: str) -> Handler:
    def handler(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
        on = a[key] == "on"
        return replace(s, **{field: on}), Ack("accepted", f"{label} {'on' if on else 'off'}")

    return handler


def _follow_me(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    if a["status"] == "on":
        if not s.flying:
            return _not_airborne(s, "following")
        if s.battery_stage >= 2:
            return _denied(s, f"battery critical ({s.battery:.0f}%): follow-me is unavailable")
        return replace(s, follow_me=True), Ack("accepted", "following the person")
    return replace(s, follow_me=False), Ack("accepted", "follow-me off")


def _calibrate(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    if s.flying:
        return _denied(s, "airborne: sensor calibration needs the drone landed")
    return replace(s, calibrated=True), Ack("accepted", "sensors calibrated")


def _set_home(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    lat, lon = a["coordinates"]["latitude"], a["coordinates"]["longitude"]
    hx, hy = w.to_local(lat, lon)
    if not w.inside_fence(hx, hy):
        return _denied(s, _fence_reason(w, hx, hy, "that home point is"))
    ob = w.obstacle_at(hx, hy)
    if ob is not None:
        return _denied(s, f"that home point is on the {ob.name}")
    new = replace(s, home_lat=float(lat), home_lon=float(lon), home_x=hx, home_y=hy)
    return new, Ack("accepted", f"home set {math.hypot(hx, hy):.0f} m from the pad")


def _reject(s: DroneState, a: dict[str, Any], w: World) -> tuple[DroneState, Ack]:
    return s, Ack("accepted", "request rejected: nothing to do")


HANDLERS: dict[str, Handler] = {
    "takeoff_drone": _takeoff,
    "land_drone": _land,
    "control_drone_movement": _move,
    "set_drone_speed": _speed,
    "control_camera": _camera,
    "control_gimbal": _gimbal,
    "set_drone_lighting": _lighting,
    "return_to_home": _return_home,
    "set_battery_saver_mode": _flag("battery_saver", "battery saver", "status"),
    "set_obstacle_avoidance": _flag("obstacle_avoidance", "obstacle avoidance", "mode"),
    "set_follow_me_mode": _follow_me,
    "calibrate_sensors": _calibrate,
    "set_autopilot": _flag("autopilot", "autopilot", "status"),
    "configure_led_display": _led,
    "set_home_location": _set_home,
    REJECT: _reject,
}

# Commands that start motion; refused once the battery forces the drone home.
_MOTION = {"takeoff_drone", "control_drone_movement"}


def projected(s: DroneState) -> DroneState:
    """Where the drone will be once its plan is flown: the pose queued commands start from."""
    if not s.plan:
        return s
    x, y, heading = s.x, s.y, s.heading
    for leg in s.plan:
        if leg.face and math.hypot(leg.x - x, leg.y - y) > 0.5:
            heading = math.degrees(math.atan2(leg.x - x, leg.y - y)) % 360
        x, y = leg.x, leg.y
    last = s.plan[-1]
    flying = not (last.event == "land" or last.event.startswith("crash:"))
    return replace(s, x=x, y=y, altitude=last.alt, heading=heading, flying=flying, plan=())


def as_tool_call(call: Any) -> ToolCall | str:
    """A validated `ToolCall` from a ToolCall, a {"name", "arguments"} dict, an OpenAI entry, or
    one call written as text (`takeoff_drone(altitude=30)` or JSON). Otherwise the reason why not.
    """
    if isinstance(call, str):
        parsed = parse_output(call)
        if parsed.error or len(parsed.calls) != 1:
            return parsed.error or f"expected one tool call, found {len(parsed.calls)}"
        name, arguments = parsed.calls[0].name, parsed.calls[0].arguments
    elif isinstance(call, ToolCall):
        name, arguments = call.name, call.arguments
    elif isinstance(call, dict):
        body = call["function"] if isinstance(call.get("function"), dict) else call
        name, arguments = body.get("name"), body.get("arguments", {})
    elif hasattr(call, "function"):  # an OpenAI SDK tool_call object
        name = getattr(call.function, "name", None)
        arguments = getattr(call.function, "arguments", {})
    else:
        return f"not a tool call: {type(call).__name__}"
    checked = validate_call(name, arguments)
    return checked if isinstance(checked, ToolCall) else checked.reason


def check_plan(calls: Sequence[Any]) -> list[ToolCall] | list[Ack]:
    """The plan's validated calls, or one Ack per step saying why none may run.

    The whole plan is checked before step 1: an invalid step, `reject_request` beside other
    calls, or more than `MAX_PLAN` calls means nothing runs.
    """
    checked = [as_tool_call(call) for call in calls]
    bad = [i for i, c in enumerate(checked) if isinstance(c, str)]
    if bad:
        first = bad[0] + 1
        return [
            Ack("failed", c) if isinstance(c, str) else Ack("skipped", f"step {first} is invalid")
            for c in checked
        ]
    problem = plan_error([c.name for c in checked if isinstance(c, ToolCall)])
    if problem:
        return [Ack("failed", problem) for _ in checked]
    return [c for c in checked if isinstance(c, ToolCall)]


def execute(state: DroneState, call: Any, world: World | None = None) -> tuple[DroneState, Ack]:
    """Apply one tool call. Pure: returns the new state and the acknowledgement.

    Invalid calls fail and denied calls are refused; both return `state` itself, unchanged.
    """
    checked = as_tool_call(call)
    if isinstance(checked, str):
        return state, Ack("failed", checked)
    name = checked.name
    if name == REJECT:
        return _reject(state, checked.arguments, world or STANDARD_WORLD)
    if state.crashed:
        return _denied(state, f"crashed ({state.crash_reason}): reset the simulator")
    if name in _MOTION and state.battery_stage >= 2:
        return _denied(state, f"battery critical ({state.battery:.0f}%): only land or return home")
    handler = HANDLERS[name]
    if not state.plan:
        return handler(state, checked.arguments, world or STANDARD_WORLD)
    # Motion still planned: the command queues behind it, checked against where the drone will be.
    new, ack = handler(projected(state), checked.arguments, world or STANDARD_WORLD)
    if not ack.ok:
        return state, ack
    merged = replace(
        new,
        x=state.x,
        y=state.y,
        altitude=state.altitude,
        heading=state.heading,
        flying=state.flying,
        plan=state.plan + new.plan,
    )
    return merged, ack
