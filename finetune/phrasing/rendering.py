"""Render a call (valid or deliberately invalid) as a natural prompt, from the phrasebook.

`phrase(name, arguments, rng)` picks a template for the call and fills its slots: numbers as
digits or words with a unit spelling, directions and colours in their synonyms, coordinates in
the ways people write them. It renders out-of-range values too (altitude 300, speed -20, LED
colour purple), which is how the reject data gets prompts that read exactly like commands.
"""

from __future__ import annotations

import random
import re
from functools import cache
from typing import Any

from finetune.phrasing import phrasebook as book
from finetune.phrasing import settings, style
from finetune.phrasing.grammar import Slot, expand


def _hey(rng: random.Random) -> str:
    return rng.choice(book.VOCATIVES) if rng.random() < 0.15 else ""


BASE_SLOTS: dict[str, Slot] = {"pre": style.prefix, "post": style.suffix, "hey": _hey}
_MACRO = re.compile(r"\{([A-Z]+)\}")


@cache
def _macros(template: str) -> str:
    """Expand upper-case macros ({DRONE}, {CAN}, ...) into grammar text."""
    return _MACRO.sub(lambda m: book.COMMON[m.group(1)], template)


def render(templates: list[str], rng: random.Random, slots: dict[str, Slot]) -> str:
    template = _macros(rng.choice(templates))
    return expand(template, rng, {**BASE_SLOTS, **slots})


# --------------------------------------------------------------------------- slot values


def _tilt_words(t: int, rng: random.Random) -> str:
    if t == 0:
        return rng.choice(["level", "to level", "to 0 degrees", "straight ahead", "to zero"])
    if t == -90 and rng.random() < 0.4:
        return rng.choice(["straight down", "all the way down"])
    way = "down" if t < 0 else "up"
    d = style.degrees(abs(t), rng)
    return rng.choice([f"{way} {d}", f"{d} {way}", f"{way} to {d}", f"{way} by {d}"])


def _pan_words(p: int, rng: random.Random) -> str:
    if p == 0:
        return rng.choice(["centered", "to center", "to 0", "facing forward", "to zero"])
    way = "right" if p > 0 else "left"
    d = style.degrees(abs(p), rng)
    return rng.choice([f"{way} {d}", f"{d} {way}", f"{d} to the {way}", f"to the {way} {d}"])


def _signed_degrees(n: int, rng: random.Random) -> str:
    return style.degrees(n, rng)


def _coords(coordinates: dict[str, float], rng: random.Random) -> str:
    lat, lon = coordinates["latitude"], coordinates["longitude"]
    decimals = max(_decimals(lat), _decimals(lon), 1)
    return style.coordinates(lat, lon, decimals, rng)


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def _article(text: str) -> str:
    """'a 30-second', 'an 80-second', 'an eleven-minute', 'a hundred-second' -> 'a one hundred...'."""
    if text.startswith("a hundred"):
        text = "one" + text[1:]
    vowel = re.match(r"(8|11|18)(\D|$)|8\d(\D|$)|eight|eleven|[aeiu]", text)
    return ("an " if vowel else "a ") + text


def _colour(color: str, rng: random.Random) -> str:
    return rng.choice(settings.COLOR_WORDS.get(color, [color]))


# --------------------------------------------------------------------------- per function


def _takeoff(args: dict[str, Any], rng: random.Random) -> str:
    return render(book.TAKEOFF, rng, {"alt": style.metres(args["altitude"], rng)})


def _land(args: dict[str, Any], rng: random.Random) -> str:
    location = args["location"]
    if location == "current":
        return render(book.LAND_CURRENT, rng, {})
    if location == "home_base":
        return render(book.LAND_HOME, rng, {})
    if location == "custom" and "coordinates" in args:
        return render(book.LAND_CUSTOM, rng, {"coords": _coords(args["coordinates"], rng)})
    return render(["land (at|on) {where}", "{CAN} land (at|on) {where}?"], rng, {"where": location})


def _home(args: dict[str, Any], rng: random.Random) -> str:
    return render(book.HOME, rng, {"coords": _coords(args["coordinates"], rng)})


def _move(args: dict[str, Any], rng: random.Random) -> str:
    direction = args["direction"]
    words = book.DIR_WORDS.get(direction, [direction])
    templates = (
        book.MOVE if direction in book.DIR_VERBS else [t for t in book.MOVE if "{verb}" not in t]
    )
    dist = style.metres(args["distance"], rng, km=True)
    word = rng.choice(words)
    slots: dict[str, Slot] = {
        "dir": word,
        "dircap": word,
        "dist": dist,
        "verb": lambda r: r.choice(book.DIR_VERBS.get(direction, [f"go {direction}"])),
    }
    return render(templates, rng, slots)


def _speed(args: dict[str, Any], rng: random.Random) -> str:
    return render(book.SPEED, rng, {"spd": style.kmh(args["speed"], rng)})


def _camera(args: dict[str, Any], rng: random.Random) -> str:
    mode = args["mode"]
    if mode == "photo":
        return render(book.PHOTO, rng, {})
    if mode == "panorama":
        return render(book.PANORAMA, rng, {})
    if mode == "video" and "duration" in args:
        n = args["duration"]
        long = (
            f"{style.number(n, rng)}-second"
            if n % 60 or rng.random() < 0.3
            else (f"{style.number(n // 60, rng)}-minute")
        )
        plain = (
            f"{style.number(n // 60, rng)} minute"
            if n % 60 == 0 and rng.random() < 0.6
            else f"{style.number(n, rng)} second"
        )
        slots = {
            "dur": style.seconds(n, rng),
            "durlong": _article(long),
            "durplain": _article(plain),
        }
        return render(book.VIDEO, rng, slots)
    return render(
        ["(switch|set) the camera to {m}[ mode]", "(take|shoot) a {m} (shot|video)"],
        rng,
        {"m": mode},
    )


def _gimbal(args: dict[str, Any], rng: random.Random) -> str:
    tilt, pan = args["tilt"], args["pan"]
    if tilt == 0 and pan == 0 and rng.random() < 0.5:
        return render(book.GIMBAL_RESET, rng, {})
    if rng.random() < 0.45:
        slots: dict[str, Slot] = {
            "tiltn": _signed_degrees(tilt, rng),
            "pann": _signed_degrees(pan, rng),
        }
        return render(book.GIMBAL_EXPLICIT, rng, slots)
    return render(
        book.GIMBAL_WORDS, rng, {"tiltw": _tilt_words(tilt, rng), "panw": _pan_words(pan, rng)}
    )


def _lighting(args: dict[str, Any], rng: random.Random) -> str:
    mode = args["mode"]
    if mode in settings.LIGHTING:
        return render(settings.LIGHTING[mode], rng, {})
    return render(
        ["(set|switch) the {LIGHTS} to {m}", "{m} {LIGHTS}[ please]", "make the lights {m}"],
        rng,
        {"m": mode},
    )


def _toggle(name: str, key: str):
    def phrase(args: dict[str, Any], rng: random.Random) -> str:
        return render(settings.TOGGLE[name][args[key]], rng, {})

    return phrase


def _led(args: dict[str, Any], rng: random.Random) -> str:
    pattern = args["pattern"]
    if pattern == "rainbow" and "color" not in args:
        return render(settings.LED_RAINBOW, rng, {})
    color = args.get("color", "")
    slots: dict[str, Slot] = {
        "color": lambda r: _colour(color, r),
        "adj": lambda r: r.choice(settings.PATTERN_ADJ.get(pattern, [pattern])),
        "verb": lambda r: r.choice(settings.PATTERN_VERB.get(pattern, [pattern])),
        "noun": lambda r: r.choice(settings.PATTERN_NOUN.get(pattern, [pattern])),
    }
    if pattern == "solid" and rng.random() < 0.2:
        return render(settings.LED_PLAIN_SOLID, rng, slots)
    templates = settings.LED_COLOR
    if pattern == "solid" or pattern not in settings.PATTERN_VERB:
        templates = [t for t in templates if "{verb}" not in t]
    return render(templates, rng, slots)


PHRASERS = {
    "takeoff_drone": _takeoff,
    "land_drone": _land,
    "set_home_location": _home,
    "control_drone_movement": _move,
    "set_drone_speed": _speed,
    "control_camera": _camera,
    "control_gimbal": _gimbal,
    "set_drone_lighting": _lighting,
    "return_to_home": lambda args, rng: render(settings.RTH, rng, {}),
    "calibrate_sensors": lambda args, rng: render(settings.CALIBRATE, rng, {}),
    "set_battery_saver_mode": _toggle("set_battery_saver_mode", "status"),
    "set_obstacle_avoidance": _toggle("set_obstacle_avoidance", "mode"),
    "set_follow_me_mode": _toggle("set_follow_me_mode", "status"),
    "set_autopilot": _toggle("set_autopilot", "status"),
    "configure_led_display": _led,
}


def phrase(
    name: str, arguments: dict[str, Any], rng: random.Random, typo_rate: float = 0.05
) -> str:
    """One finished prompt asking for `name(**arguments)`."""
    return style.finish(PHRASERS[name](arguments, rng), rng, typo_rate)
