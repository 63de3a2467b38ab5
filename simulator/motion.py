"""Continuous motion: flying the plan, draining the battery, camera timers, follow-me, auto-RTH.

`advance` moves time forward by `dt` seconds; `run_until_idle` jumps to the moment the plan and
camera jobs are done. Both step event to event (a leg ends, a battery threshold is crossed, a
recording ends) rather than in fixed ticks, so a 500 m flight costs a handful of iterations and
the result does not depend on the frame rate.
"""

from __future__ import annotations

import math
from dataclasses import replace

from simulator.state import DroneState, Waypoint
from simulator.world import World

CLIMB_RATE = 4.0  # m/s
DESCENT_RATE = 3.0  # m/s
RTH_ALTITUDE = 30.0  # m: return home climbs at least this high
RTH_SPEED_KMH = 36  # used when the cruise speed is 0
OBSTACLE_CLEARANCE = 10.0  # m above the tallest obstacle on a return-home path
HOVER_DRAIN = 0.05  # % per second in the air (about 33 min of hover)
DISTANCE_DRAIN = 0.01  # % per metre flown
SAVER_FACTOR = 0.7  # battery saver cuts the drain by 30%
WARN_AT, RTH_AT, LAND_AT = 15.0, 7.0, 5.0  # battery % thresholds
FOLLOW_DISTANCE = 15.0  # m kept from the person in follow-me
FOLLOW_STEP = 0.25  # s: follow-me re-aims this often
_THRESHOLDS = (WARN_AT, RTH_AT, LAND_AT, 0.0)  # indexed by battery_stage

STANDARD_WORLD = World()


def plan_go_and_land(
    state: DroneState, world: World, tx: float, ty: float
) -> tuple[tuple[Waypoint, ...], float] | str:
    """Climb to a safe altitude if needed, fly to (tx, ty) nose first, and land there.

    Returns (plan, cruise altitude), or a reason string when the path cannot be flown safely.
    """
    x, y, alt = state.x, state.y, state.altitude
    tallest = world.tallest_on(x, y, tx, ty)
    safe = max(alt, min(world.ceiling, max(RTH_ALTITUDE, tallest + OBSTACLE_CLEARANCE)))
    plan: list[Waypoint] = []
    if safe > alt + 1e-9:
        plan.append(Waypoint(x, y, safe))
    if math.hypot(tx - x, ty - y) > 0.05:
        hit = world.first_hit(x, y, tx, ty, safe)
        if hit is not None:
            t, ob = hit
            if state.obstacle_avoidance:
                return f"path blocked by the {ob.name} even at {safe:.0f} m"
            plan.append(
                Waypoint(x + (tx - x) * t, y + (ty - y) * t, safe, True, f"crash:hit the {ob.name}")
            )
            return tuple(plan), safe
        plan.append(Waypoint(tx, ty, safe, True))
    plan.append(Waypoint(tx, ty, 0.0, False, "land"))
    return tuple(plan), safe


def _land_here(world: World, x: float, y: float, alt: float) -> tuple[Waypoint, ...]:
    ob = world.obstacle_at(x, y)
    if ob is not None and ob.height < alt:
        return (Waypoint(x, y, ob.height, False, f"crash:forced landing on the {ob.name}"),)
    return (Waypoint(x, y, 0.0, False, "land"),)


def _drain_rate(state: DroneState, flying: bool, velocity: float) -> float:
    if not flying:
        return 0.0
    rate = HOVER_DRAIN + DISTANCE_DRAIN * velocity
    return rate * SAVER_FACTOR if state.battery_saver else rate


def _leg_duration(s: DroneState, leg: Waypoint) -> float:
    """Seconds to fly the leg from where s is (inf if the cruise speed is 0 on a plain move)."""
    dh = math.hypot(leg.x - s.x, leg.y - s.y)
    dv = leg.alt - s.altitude
    hs = s.speed_kmh / 3.6 if s.speed_kmh > 0 else (RTH_SPEED_KMH / 3.6 if leg.face else 0.0)
    if dh > 1e-9 and hs <= 0:
        return math.inf
    vr = CLIMB_RATE if dv > 0 else DESCENT_RATE
    return max(dh / hs if dh > 1e-9 else 0.0, abs(dv) / vr)


def _step(s: DroneState, world: World, budget: float, until_idle: bool) -> tuple[DroneState, float]:
    """Advance to the next event or by `budget` seconds, whichever is first. Returns time used."""
    following = s.follow_me and s.flying and not s.plan
    leg = s.plan[0] if s.plan else None  # a plan on the ground starts with a takeoff climb
    t_leg, velocity = math.inf, 0.0
    if leg is not None:
        t_leg = _leg_duration(s, leg)
        if t_leg == math.inf:  # cruise speed 0 on a plain move: hold position, drop the plan
            return replace(s, plan=(), notes=(*s.notes, "speed is 0 km/h: holding position")), 0.0
        velocity = (
            math.hypot(leg.x - s.x, leg.y - s.y, leg.alt - s.altitude) / t_leg if t_leg else 0
        )
    elif following:
        velocity = s.speed_kmh / 3.6
    rate = _drain_rate(s, s.flying, velocity)
    t_batt = math.inf
    if rate > 0:
        t_batt = max(0.0, (s.battery - _THRESHOLDS[min(s.battery_stage, 3)]) / rate)
    timers = [t for t in (s.recording_left, s.panorama_left) if t > 0]
    h = min(budget, t_leg, t_batt, *timers, FOLLOW_STEP if following else math.inf)
    if leg is None and not s.flying and not timers and not until_idle:
        h = budget  # parked on the ground: only the clock moves
    x, y, alt, heading = s.x, s.y, s.altitude, s.heading
    plan, flying, crashed, reason, notes = s.plan, s.flying, s.crashed, s.crash_reason, s.notes
    if leg is not None:
        flying = True
        f = 1.0 if h >= t_leg else h / t_leg
        if leg.face and math.hypot(leg.x - x, leg.y - y) > 0.5:
            heading = math.degrees(math.atan2(leg.x - x, leg.y - y)) % 360
        x, y, alt = x + (leg.x - x) * f, y + (leg.y - y) * f, alt + (leg.alt - alt) * f
        if f >= 1.0:
            x, y, alt, plan = leg.x, leg.y, leg.alt, plan[1:]
            if leg.event == "land":
                alt, flying = 0.0, False
            elif leg.event.startswith("crash:"):
                reason = leg.event.removeprefix("crash:")
                alt, flying, crashed, plan = 0.0, False, True, ()
                notes = (*notes, f"CRASH: {reason}")
    elif following:
        px, py = world.person_at(s.time + h)
        dist = math.hypot(px - x, py - y)
        step = min(velocity * h, max(0.0, dist - FOLLOW_DISTANCE))
        if dist > 0.5:
            heading = math.degrees(math.atan2(px - x, py - y)) % 360
        if step > 0:
            nx, ny = x + (px - x) / dist * step, y + (py - y) / dist * step
            ob = world.obstacle_at(nx, ny, alt)
            if ob is not None and not s.obstacle_avoidance:
                reason = f"hit the {ob.name} while following"
                x, y, alt, flying, crashed = nx, ny, 0.0, False, True
                notes = (*notes, f"CRASH: {reason}")
            elif ob is None and world.inside_fence(nx, ny):
                x, y = nx, ny
    battery = max(0.0, s.battery - rate * h)
    stage = s.battery_stage
    new = replace(
        s,
        x=x,
        y=y,
        altitude=alt,
        heading=heading,
        battery=battery,
        flying=flying,
        crashed=crashed,
        crash_reason=reason,
        plan=plan,
        time=s.time + h,
        recording_left=max(0.0, s.recording_left - h),
        panorama_left=max(0.0, s.panorama_left - h),
        notes=notes,
    )
    if stage < 1 and battery <= WARN_AT + 1e-9:
        new = replace(new, battery_stage=1, notes=(*new.notes, "battery 15%: low battery warning"))
    if new.flying and stage < 2 and battery <= RTH_AT + 1e-9:
        new = _auto_return(new, world)
    if new.flying and stage < 3 and battery <= LAND_AT + 1e-9:
        plan = _land_here(world, new.x, new.y, new.altitude)
        note = "battery 5%: landing now"
        new = replace(new, battery_stage=3, plan=plan, notes=(*new.notes, note))
    if new.flying and battery <= 0:
        new = replace(
            new,
            flying=False,
            crashed=True,
            altitude=0.0,
            plan=(),
            crash_reason="battery depleted",
            notes=(*new.notes, "CRASH: battery depleted"),
        )
    if not new.flying and new.battery_stage < 3 and battery <= LAND_AT + 1e-9:
        new = replace(new, battery_stage=3)
    return new, h


def _auto_return(s: DroneState, world: World) -> DroneState:
    already_landing = bool(s.plan) and s.plan[-1].event == "land"
    if already_landing:
        return replace(s, battery_stage=2, notes=(*s.notes, "battery 7%: critical, landing"))
    plan = plan_go_and_land(s, world, s.home_x, s.home_y)
    if isinstance(plan, str):  # home unreachable: land where we are
        return replace(
            s,
            battery_stage=2,
            plan=_land_here(world, s.x, s.y, s.altitude),
            notes=(*s.notes, f"battery 7%: {plan}, landing here"),
        )
    note = "battery 7%: returning home automatically"
    return replace(s, battery_stage=2, plan=plan[0], follow_me=False, notes=(*s.notes, note))


def advance(state: DroneState, world: World | None = None, dt: float = 1 / 60) -> DroneState:
    """The state `dt` seconds later: legs flown, battery drained, timers run down."""
    world = world or STANDARD_WORLD
    s, left = state, float(dt)
    for _ in range(100_000):
        if left <= 1e-9 or s.crashed:
            break
        s, used = _step(s, world, left, until_idle=False)
        left -= used
    return s


def run_until_idle(
    state: DroneState, world: World | None = None, max_seconds: float = 6 * 3600
) -> DroneState:
    """Fast-forward until no motion is planned and no camera job runs (or the drone crashed)."""
    world = world or STANDARD_WORLD
    s, left = state, float(max_seconds)
    for _ in range(1_000_000):
        if s.idle or s.crashed or left <= 1e-9:
            break
        s, used = _step(s, world, left, until_idle=True)
        left -= used
    return s
