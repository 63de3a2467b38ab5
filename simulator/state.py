"""The drone's state and the acknowledgement every command gets back.

`DroneState` is a frozen dataclass: transitions build a new one with `dataclasses.replace`, so a
denied command can never have changed anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

AckStatus = Literal["accepted", "denied", "failed", "skipped"]

DEFAULT_SPEED_KMH = 36  # 10 m/s: a typical cruise speed for a small quadcopter


@dataclass(frozen=True)
class Ack:
    """The answer to one command, in the spirit of MAVLink's COMMAND_ACK.

    accepted: the command runs (reason may carry a note, e.g. "stopped short of ...");
    denied: a safety rule refused it (reason names the rule or limit); failed: the call itself is
    invalid (reason is the catalogue's one-line validation error); skipped: a step of a plan that
    never ran, because an earlier step was denied or failed, or the plan was cancelled (reason
    says which step). Denied, failed and skipped calls never change the state.
    """

    status: AckStatus
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "accepted"

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}" if self.reason else self.status


class Waypoint(NamedTuple):
    """One leg of a flight plan: fly from wherever the drone is to (x, y, alt).

    face: turn the nose toward the direction of travel (return home, custom landing); plain moves
    keep the heading. event: what happens on arrival: "" (nothing), "land", or "crash:<why>".
    """

    x: float
    y: float
    alt: float
    face: bool = False
    event: str = ""


@dataclass(frozen=True)
class DroneState:
    """Everything about the drone at one instant. Positions in metres from the original pad."""

    # pose and motion
    x: float = 0.0  # metres east of the original home pad
    y: float = 0.0  # metres north
    altitude: float = 0.0  # metres above ground
    heading: float = 0.0  # degrees clockwise from north
    speed_kmh: int = DEFAULT_SPEED_KMH  # cruise speed set by set_drone_speed
    battery: float = 100.0  # percent
    flying: bool = False
    crashed: bool = False
    crash_reason: str = ""
    plan: tuple[Waypoint, ...] = ()  # continuous motion still to fly, first leg first
    time: float = 0.0  # simulation seconds since reset (drives the walking person)
    battery_stage: int = 0  # 0 normal, 1 warned at 15%, 2 returning home at 7%, 3 landing at 5%

    # camera
    camera_mode: str = "idle"  # last mode used: idle / photo / video / panorama
    recording_left: float = 0.0  # seconds of video still to record
    panorama_left: float = 0.0  # seconds of the 360 degree panorama sweep still to fly
    photos_taken: int = 0
    panoramas_taken: int = 0
    videos_recorded: int = 0  # videos started
    video_seconds: int = 0  # seconds of video asked for, in total

    # gimbal: absolute angles
    gimbal_tilt: int = 0  # degrees, negative points down
    gimbal_pan: int = 0  # degrees, positive turns right

    # lights
    lighting: str = "off"  # on / off / blink / sos
    led_pattern: str = "off"  # off / solid / blink / pulse / rainbow
    led_color: str | None = None  # red / blue / green / yellow / white, None for off and rainbow

    # flags
    obstacle_avoidance: bool = False
    follow_me: bool = False
    autopilot: bool = False
    battery_saver: bool = False
    calibrated: bool = False

    # home point (GPS) and the same point in local metres
    home_lat: float = 0.0
    home_lon: float = 0.0
    home_x: float = 0.0
    home_y: float = 0.0

    # things that happened on their own (warnings, auto return, crash), newest last; the app
    # shows and clears them. Not part of the observation.
    notes: tuple[str, ...] = ()

    @property
    def idle(self) -> bool:
        """No motion planned and no camera job running: `run_until_idle` stops here."""
        return not self.plan and self.recording_left <= 0 and self.panorama_left <= 0

    @property
    def recording(self) -> bool:
        return self.recording_left > 0
