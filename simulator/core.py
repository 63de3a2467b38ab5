"""The simulator's public core: state, world, pure transitions and a Gymnasium-like `DroneSim`.

No pygame here: the evaluation and the data verifier run this headless and fast. Drawing lives in
`simulator.render.frame`, imported only when a `DroneSim` with a render mode draws.

    >>> from simulator.core import World, start_state, execute, run_until_idle, observation
    >>> world = World()
    >>> state, ack = execute(start_state(world, airborne=False), {"name": "takeoff_drone",
    ...                      "arguments": {"altitude": 30}}, world)
    >>> ack.status, observation(run_until_idle(state, world))["altitude"]
    ('accepted', 30.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

from simulator.motion import STANDARD_WORLD, advance, run_until_idle
from simulator.rules import as_tool_call, check_plan, execute, projected
from simulator.state import Ack, DroneState, Waypoint
from simulator.world import Obstacle, World

__all__ = [
    "Ack",
    "DroneSim",
    "DroneState",
    "Obstacle",
    "Waypoint",
    "World",
    "advance",
    "as_tool_call",
    "check_plan",
    "execute",
    "observation",
    "projected",
    "run_plan",
    "run_until_idle",
    "start_state",
    "start_state_for",
]

# Calls that are only accepted with the drone on the ground; everything else wants it airborne.
GROUND_CALLS = frozenset({"takeoff_drone", "calibrate_sensors"})


def start_state(
    world: World | None = None, airborne: bool = False, altitude: float = 30
) -> DroneState:
    """A fresh, full drone on the home pad, or hovering `altitude` metres above it."""
    world = world or STANDARD_WORLD
    return DroneState(
        altitude=float(altitude) if airborne else 0.0,
        flying=airborne,
        home_lat=world.origin_lat,
        home_lon=world.origin_lon,
    )


def start_state_for(call: Any, world: World | None = None) -> DroneState:
    """A start state in which `call` can be accepted: landed for takeoff and calibration,
    hovering at 30 m over the pad otherwise (the evaluation's and data verifier's default)."""
    name = call.get("name") if isinstance(call, dict) else getattr(call, "name", call)
    return start_state(world, airborne=name not in GROUND_CALLS)


def skipped_after(step: int, ack: Ack) -> Ack:
    """The ack of a step that never ran because step `step` (1-based) did not succeed."""
    return Ack(
        "skipped",
        f"step {step} was {ack.status} ({ack.reason})"
        if ack.reason
        else f"step {step} was {ack.status}",
    )


def run_plan(
    state: DroneState, calls: Sequence[Any], world: World | None = None, fly: bool = True
) -> tuple[DroneState, list[Ack]]:
    """Run a plan: check it whole, then each step in order, each flown to completion.

    Pure, like `execute`. A plan that fails the check runs no step. A denied or failed step stops
    the plan: every later step is answered "skipped" with the reason, as a flight controller
    aborts a mission when one item fails. With `fly=False` the steps queue without flying (the
    app flies them in real time).
    """
    world = world or STANDARD_WORLD
    checked = check_plan(calls)
    if not checked or isinstance(checked[0], Ack):
        return state, list(checked)  # type: ignore[arg-type]
    acks: list[Ack] = []
    for number, call in enumerate(checked, start=1):
        state, ack = execute(state, call, world)
        acks.append(ack)
        if not ack.ok:
            acks += [skipped_after(number, ack) for _ in checked[number:]]
            break
        if fly:
            state = run_until_idle(state, world)
    return state, acks


def observation(state: DroneState) -> dict[str, Any]:
    """A plain, JSON-able snapshot of every effect a command can have, rounded so that two runs
    reaching the same place compare equal (0.1 m, 0.1 %, whole degrees, 1e-6 degrees of GPS).

    Time, the pending plan and notes are left out: compare two states after `run_until_idle`.
    """
    return {
        "flying": state.flying,
        "crashed": state.crashed,
        "x": round(state.x, 1) + 0.0,  # + 0.0 turns -0.0 into 0.0
        "y": round(state.y, 1) + 0.0,
        "altitude": round(state.altitude, 1) + 0.0,
        "heading": round(state.heading) % 360,
        "speed_kmh": state.speed_kmh,
        "battery": round(state.battery, 1),
        "camera": {
            "mode": state.camera_mode,
            "recording": state.recording_left > 0,
            "photos_taken": state.photos_taken,
            "panoramas_taken": state.panoramas_taken,
            "videos_recorded": state.videos_recorded,
            "video_seconds": state.video_seconds,
        },
        "gimbal": {"tilt": state.gimbal_tilt, "pan": state.gimbal_pan},
        "lighting": state.lighting,
        "led": {"pattern": state.led_pattern, "color": state.led_color},
        "flags": {
            "obstacle_avoidance": state.obstacle_avoidance,
            "follow_me": state.follow_me,
            "autopilot": state.autopilot,
            "battery_saver": state.battery_saver,
            "calibrated": state.calibrated,
        },
        "home": {"latitude": round(state.home_lat, 6), "longitude": round(state.home_lon, 6)},
    }


class DroneSim:
    """A Gymnasium-style environment around the pure core.

    `step(call)` applies one tool call (motion is planned, not flown); `tick(dt)` flies for `dt`
    seconds; `run_until_idle()` fast-forwards. `render()` draws the app's view: a window for
    "human", an RGB array (H, W, 3) for "rgb_array".
    """

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": [None, "human", "rgb_array"],
        "render_fps": 60,
    }

    def __init__(
        self,
        render_mode: str | None = None,
        seed: int = 0,
        world: World | None = None,
        airborne: bool = False,
    ) -> None:
        if render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self.world = world or STANDARD_WORLD
        self.airborne = airborne
        self._seed = seed
        self._renderer: Any = None
        self.state = start_state(self.world, airborne)
        self.reset(seed=seed)

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Back to the start. The seed only shifts where the walking person starts its loop."""
        if seed is not None:
            self._seed = seed
        options = options or {}
        state = start_state(
            self.world, options.get("airborne", self.airborne), options.get("altitude", 30)
        )
        self.state = replace(state, time=float(self._seed % 1000) * 7.0)
        if self._renderer is not None:
            self._renderer.reset()
        return observation(self.state), self._info()

    def step(self, call: Any) -> tuple[dict[str, Any], Ack, bool, dict[str, Any]]:
        self.state, ack = execute(self.state, call, self.world)
        return observation(self.state), ack, self.state.crashed, self._info()

    def run_plan(self, calls: Sequence[Any]) -> list[Ack]:
        """Run a plan to completion (see `run_plan`); one ack per step, skipped ones included."""
        self.state, acks = run_plan(self.state, calls, self.world)
        return acks

    def tick(self, dt: float) -> DroneState:
        self.state = advance(self.state, self.world, dt)
        return self.state

    def run_until_idle(self) -> dict[str, Any]:
        self.state = run_until_idle(self.state, self.world)
        return observation(self.state)

    def observation(self) -> dict[str, Any]:
        """What the drone looks like now (position, battery, flags...), as plain JSON values."""
        return observation(self.state)

    def take_notes(self) -> list[str]:
        """Notes the drone raised on its own since the last call (warnings, auto-RTH, crash)."""
        notes = list(self.state.notes)
        if notes:
            self.state = replace(self.state, notes=())
        return notes

    def render(self) -> Any:
        if self.render_mode is None:
            return None
        if self._renderer is None:
            from simulator.render.frame import SimRenderer  # pygame only when drawing

            self._renderer = SimRenderer(self.world, window=self.render_mode == "human")
        return self._renderer.render_state(self.state, as_array=self.render_mode == "rgb_array")

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def _info(self) -> dict[str, Any]:
        return {
            "time": round(self.state.time, 3),
            "idle": self.state.idle,
            "notes": list(self.state.notes),
        }
