"""The drone tool catalogue: the single source of truth for the 16 functions.

Each function is one pydantic model. Its field descriptions are the text the model reads, its
constraints are the rules the validator, the simulator and the scorer enforce, and the OpenAI
`tools` JSON is generated from it (never written by hand).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

OnOff = Literal["on", "off"]


class Coordinates(BaseModel):
    """A GPS position in decimal degrees."""

    model_config = ConfigDict(extra="forbid", strict=True)

    latitude: float = Field(ge=-90, le=90, description="Latitude in decimal degrees, -90 to 90.")
    longitude: float = Field(
        ge=-180, le=180, description="Longitude in decimal degrees, -180 to 180."
    )


class DroneFunction(BaseModel):
    """Base of every catalogue entry: strict types, no extra arguments."""

    model_config = ConfigDict(extra="forbid", strict=True)


class takeoff_drone(DroneFunction):
    """Initiate the drone's takeoff sequence."""

    altitude: int = Field(
        ge=1,
        le=120,
        description="Specifies the altitude in meters to which the drone should ascend (1 to 120).",
    )


class land_drone(DroneFunction):
    """Land the drone at its current location or a specified landing point."""

    location: Literal["current", "home_base", "custom"] = Field(
        description="Specifies the landing location for the drone."
    )
    coordinates: Coordinates | None = Field(
        default=None,
        description="GPS coordinates for custom landing location. Required if location is 'custom'.",
    )

    @model_validator(mode="after")
    def _coordinates_iff_custom(self) -> land_drone:
        if self.location == "custom" and self.coordinates is None:
            raise ValueError("coordinates are required when location is 'custom'")
        if self.location != "custom" and self.coordinates is not None:
            raise ValueError(f"coordinates must be absent when location is '{self.location}'")
        return self


class control_drone_movement(DroneFunction):
    """Direct the drone's movement in a specific direction."""

    direction: Literal["forward", "backward", "left", "right", "up", "down"] = Field(
        description="Direction in which the drone should move."
    )
    distance: int = Field(
        ge=1, le=500, description="Distance in meters the drone should travel (1 to 500)."
    )


class set_drone_speed(DroneFunction):
    """Adjust the speed of the drone."""

    speed: int = Field(
        ge=0, le=100, description="Specifies the speed in km/h. Valid range is 0 to 100."
    )


class control_camera(DroneFunction):
    """Control the drone's camera to capture images or videos."""

    mode: Literal["photo", "video", "panorama"] = Field(
        description="Camera mode to capture content."
    )
    duration: int | None = Field(
        default=None,
        ge=1,
        le=600,
        description="Duration in seconds for video capture (1 to 600). Required if mode is 'video'.",
    )

    @model_validator(mode="after")
    def _duration_iff_video(self) -> control_camera:
        if self.mode == "video" and self.duration is None:
            raise ValueError("duration is required when mode is 'video'")
        if self.mode != "video" and self.duration is not None:
            raise ValueError(f"duration must be absent when mode is '{self.mode}'")
        return self


class control_gimbal(DroneFunction):
    """Adjust the drone's gimbal for camera stabilization and direction."""

    tilt: int = Field(
        ge=-90,
        le=30,
        description="Tilt angle for the gimbal in degrees, -90 to 30 (negative points down).",
    )
    pan: int = Field(
        ge=-180,
        le=180,
        description="Pan angle for the gimbal in degrees, -180 to 180 (positive turns right).",
    )


class set_drone_lighting(DroneFunction):
    """Control the drone's lighting."""

    mode: Literal["on", "off", "blink", "sos"] = Field(description="Lighting mode for the drone.")


class return_to_home(DroneFunction):
    """Command the drone to return to its home or launch location."""


class set_battery_saver_mode(DroneFunction):
    """Toggle battery saver mode."""

    status: OnOff = Field(description="Toggle battery saver mode.")


class set_obstacle_avoidance(DroneFunction):
    """Configure obstacle avoidance settings."""

    mode: OnOff = Field(description="Toggle obstacle avoidance.")


class set_follow_me_mode(DroneFunction):
    """Enable or disable 'follow me' mode."""

    status: OnOff = Field(description="Toggle 'follow me' mode.")


class calibrate_sensors(DroneFunction):
    """Initiate calibration sequence for drone's sensors."""


class set_autopilot(DroneFunction):
    """Enable or disable autopilot mode."""

    status: OnOff = Field(description="Toggle autopilot mode.")


class configure_led_display(DroneFunction):
    """Configure the drone's LED display pattern and colors."""

    pattern: Literal["solid", "blink", "pulse", "rainbow"] = Field(
        description="Pattern for the LED display."
    )
    color: Literal["red", "blue", "green", "yellow", "white"] | None = Field(
        default=None,
        description="Color for the LED display. Not required if pattern is 'rainbow'.",
    )

    @model_validator(mode="after")
    def _color_unless_rainbow(self) -> configure_led_display:
        if self.pattern == "rainbow" and self.color is not None:
            raise ValueError("color must be absent when pattern is 'rainbow'")
        if self.pattern != "rainbow" and self.color is None:
            raise ValueError(f"color is required when pattern is '{self.pattern}'")
        return self


class set_home_location(DroneFunction):
    """Set or change the home location for the drone."""

    coordinates: Coordinates = Field(description="GPS coordinates for the home location.")


class reject_request(DroneFunction):
    """Use this function if the request is not possible."""


FUNCTIONS: dict[str, type[DroneFunction]] = {
    cls.__name__: cls
    for cls in (
        takeoff_drone,
        land_drone,
        control_drone_movement,
        set_drone_speed,
        control_camera,
        control_gimbal,
        set_drone_lighting,
        return_to_home,
        set_battery_saver_mode,
        set_obstacle_avoidance,
        set_follow_me_mode,
        calibrate_sensors,
        set_autopilot,
        configure_led_display,
        set_home_location,
        reject_request,
    )
}
FUNCTION_NAMES: tuple[str, ...] = tuple(FUNCTIONS)
REJECT = "reject_request"

_UNITS = {
    "altitude": "m",
    "distance": "m",
    "speed": "km/h",
    "duration": "s",
    "tilt": "°",
    "pan": "°",
    "latitude": "°",
    "longitude": "°",
}


# --------------------------------------------------------------------------- calls and errors


@dataclass(frozen=True)
class ToolCall:
    """A validated call: a catalogue name and its normalised arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_openai(self, call_id: str = "call_0") -> dict[str, Any]:
        """The call as an OpenAI `tool_calls` entry (arguments as a JSON string)."""
        return {
            "id": call_id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }

    def __str__(self) -> str:
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in self.arguments.items())
        return f"{self.name}({args})"


@dataclass(frozen=True)
class CallError:
    """Why a call is invalid, as one line a person can read."""

    name: str
    reason: str

    def __str__(self) -> str:
        return self.reason


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if not isinstance(part, int)) or "arguments"


def _describe(name: str, error: dict[str, Any]) -> str:
    """Turn the first pydantic error into one readable line."""
    kind = error["type"]
    path = _field_path(error["loc"])
    leaf = str(error["loc"][-1]) if error["loc"] else ""
    unit = _UNITS.get(leaf, "")
    got = error.get("input")
    ctx = error.get("ctx", {})
    if kind == "missing":
        return f"{name}: missing argument '{path}'"
    if kind == "extra_forbidden":
        return f"{name}: unexpected argument '{path}'"
    if kind == "literal_error":
        return f"{name}: {path} must be one of {ctx.get('expected', '?')}, got {got!r}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        lo, hi = _bounds(name, error["loc"])
        sep = "" if unit in ("", "°") else " "
        return f"{name}: {path} must be between {lo} and {hi}{sep}{unit}, got {got!r}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"{name}: {path} must be an integer, got {got!r}"
    if kind in ("float_type", "float_parsing"):
        return f"{name}: {path} must be a number, got {got!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{name}: {path} must be an object, got {got!r}"
    if kind == "value_error":
        return f"{name}: {error['msg'].removeprefix('Value error, ')}"
    return f"{name}: {path}: {error['msg']}"


def _bounds(name: str, loc: tuple[Any, ...]) -> tuple[Any, Any]:
    """The (minimum, maximum) the schema declares for a field path."""
    schema = parameters_schema(name)
    for part in loc:
        schema = schema.get("properties", {}).get(str(part), schema)
        if "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    return schema.get("minimum", "?"), schema.get("maximum", "?")


def _normalise(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Enum strings are case-insensitive ('Red' is 'red'); 50.0 is the integer 50."""
    props = parameters_schema(name).get("properties", {})
    out = dict(arguments)
    for key, value in arguments.items():
        spec = props.get(key, {})
        if isinstance(value, str) and "enum" in spec:
            out[key] = value.strip().lower()
        elif isinstance(value, float) and spec.get("type") == "integer" and value.is_integer():
            out[key] = int(value)
    return out


def validate_call(name: str, arguments: Any) -> ToolCall | CallError:
    """Check a call against the catalogue.

    `arguments` may be a dict or a JSON string (as the OpenAI API sends it). Returns a `ToolCall`
    with normalised arguments, or a `CallError` whose reason is one line. Never raises.
    """
    if not isinstance(name, str) or name not in FUNCTIONS:
        return CallError(str(name), f"unknown function {name!r}")
    if arguments is None or arguments == "":
        arguments = {}
    if isinstance(arguments, str | bytes):
        try:
            arguments = json.loads(arguments)
        except (ValueError, RecursionError):
            return CallError(name, f"{name}: arguments are not valid JSON: {str(arguments)[:60]!r}")
    if not isinstance(arguments, dict):
        return CallError(name, f"{name}: arguments must be a JSON object, got {arguments!r}")
    try:
        model = FUNCTIONS[name].model_validate(_normalise(name, arguments))
    except ValidationError as exc:
        return CallError(name, _describe(name, exc.errors()[0]))
    except Exception as exc:  # a pathological input must still not raise
        return CallError(name, f"{name}: invalid arguments ({type(exc).__name__})")
    return ToolCall(name, model.model_dump(exclude_none=True))


# --------------------------------------------------------------------------- tools JSON


def _clean(schema: dict[str, Any], defs: dict[str, Any], descriptions: bool) -> dict[str, Any]:
    """Inline $refs, drop pydantic's titles/defaults, collapse Optional, optionally drop prose."""
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return _clean(merged, defs, descriptions)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if len(options) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return _clean({**options[0], **rest}, defs, descriptions)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "default", "$defs", "additionalProperties"):
            continue
        if key == "description" and not descriptions:
            continue
        if key == "properties":
            value = {k: _clean(v, defs, descriptions) for k, v in value.items()}
        out[key] = value
    return out


@cache
def _parameters(name: str, descriptions: bool) -> str:
    raw = FUNCTIONS[name].model_json_schema()
    defs = raw.get("$defs", {})
    params = _clean(raw, defs, descriptions)
    params.pop("description", None)  # the docstring goes on the function, not the parameters
    params["type"] = "object"
    params.setdefault("properties", {})
    if params.get("required") == []:
        params.pop("required")
    return json.dumps(params)


def parameters_schema(name: str, descriptions: bool = True) -> dict[str, Any]:
    """The JSON schema of one function's parameters."""
    return json.loads(_parameters(name, descriptions))


def tools(descriptions: bool = True) -> list[dict[str, Any]]:
    """The OpenAI `tools` list for every catalogue function.

    With `descriptions=False` every description is stripped: the compact variant the cookbook
    fine-tuned with.
    """
    out = []
    for name, cls in FUNCTIONS.items():
        fn: dict[str, Any] = {"name": name}
        if descriptions:
            fn["description"] = (cls.__doc__ or "").strip()
        fn["parameters"] = parameters_schema(name, descriptions)
        out.append({"type": "function", "function": fn})
    return out


# --------------------------------------------------------------------------- plans

MAX_PLAN = 4  # a plan is 1 to 4 calls: what one user message asks for, in the order it was said
# the decoders' token budget: the longest plan, four calls with coordinates, is about 120 tokens
MAX_NEW_TOKENS = 40 * MAX_PLAN


def plan_error(names: list[str]) -> str | None:
    """Why a sequence of calls (by name) is not a well-formed plan, or None if it is one.

    Refusal is atomic: `reject_request` stands alone or not at all. A plan of 5 or more calls is
    invalid. Checked before anything runs, so a bad plan executes no step.
    """
    if not names:
        return "empty plan: no tool calls"
    if len(names) > MAX_PLAN:
        return f"a plan has at most {MAX_PLAN} calls; this one has {len(names)}: nothing was run"
    if REJECT in names and len(names) > 1:
        return f"{REJECT} must stand alone: a refusal refuses the whole plan, so nothing was run"
    return None
