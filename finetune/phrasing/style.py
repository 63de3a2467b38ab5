"""Surface style for generated prompts: numbers with their units, filler, casing and typos.

Every helper takes the seeded `random.Random` of the run, so the same seed writes the same text.
"""

from __future__ import annotations

import random
import re

from finetune.phrasing.numwords import WORD_VALUES, int_to_words

# --------------------------------------------------------------------------- numbers and units


def number(n: float, rng: random.Random, words: float = 0.2) -> str:
    """An integer as digits or (sometimes) words; negatives as '-20', 'minus 20' or 'negative 20'.

    A fraction (only reject data asks for one) is written in digits: '12.5'."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:g}"
    if n < 0:
        sign = rng.choice(["-", "-", "minus ", "negative "])
        body = number(-n, rng, words if sign != "-" else 0.0)
        return sign + body
    if n <= 999 and rng.random() < words:
        return int_to_words(n, rng)
    return str(n)


def _with_unit(text: str, units: list[str], rng: random.Random, glue: float = 0.25) -> str:
    unit = rng.choice(units)
    short = len(unit) <= 4 and " " not in unit
    if short and text[-1].isdigit() and rng.random() < glue:
        return f"{text}{unit}"
    return f"{text} {unit}"


def metres(n: int, rng: random.Random, unitless: float = 0.06, km: bool = False) -> str:
    """A distance: '30 m', '30m', 'thirty metres', '1 meter' ('2 km' for whole kilometres)."""
    if km and n == 500 and rng.random() < 0.25:
        return rng.choice(["half a kilometre", "half a kilometer", "0.5 km", "0.5 kilometres"])
    if km and n in (100, 200, 250, 300, 400) and rng.random() < 0.1:
        return f"{n / 1000:g} km"
    if km and n >= 1000 and n % 1000 == 0 and rng.random() < 0.5:
        km = number(n // 1000, rng)
        return _with_unit(
            km,
            ["km", "kilometers", "kilometres"] if n > 1000 else ["km", "kilometer", "kilometre"],
            rng,
        )
    text = number(n, rng)
    if rng.random() < unitless:
        return text
    if abs(n) == 1:
        units = ["m", "meter", "metre"]
    else:
        units = ["m", "m", "meters", "meters", "metres", "meter", "mtrs", "M"]
    return _with_unit(text, units, rng)


def kmh(n: int, rng: random.Random, unitless: float = 0.05) -> str:
    """A speed: '40 km/h', '40kph', 'forty kilometres per hour'."""
    text = number(n, rng)
    if rng.random() < unitless:
        return text
    units = [
        "km/h",
        "km/h",
        "kph",
        "kmh",
        "kmph",
        "km per hour",
        "kilometers per hour",
        "kilometres per hour",
        "kilometers an hour",
        "kilometres an hour",
        "k/h",
    ]
    return _with_unit(text, units, rng)


def seconds(n: int, rng: random.Random) -> str:
    """A duration: '30 seconds', '30s', '2 minutes' (for 120), 'a minute' (for 60)."""
    if n > 0 and n % 60 == 0 and rng.random() < 0.55:
        minutes = n // 60
        if minutes == 1 and rng.random() < 0.5:
            return rng.choice(["a minute", "one minute", "1 minute", "1 min"])
        units = ["minutes", "minutes", "mins", "min"] if minutes != 1 else ["minute", "min"]
        return _with_unit(number(minutes, rng), units, rng, glue=0.1)
    if rng.random() < 0.04:  # no unit: the catalogue's, seconds
        return number(n, rng)
    units = ["seconds", "seconds", "secs", "sec", "s"] if n != 1 else ["second", "sec", "s"]
    return _with_unit(number(n, rng), units, rng, glue=0.3)


def degrees(n: int, rng: random.Random) -> str:
    """An angle: '45 degrees', '45°', '45 deg', or the bare number."""
    text = number(n, rng)
    units = ["degrees", "degrees", "deg", "°", ""] if abs(n) != 1 else ["degree", "°"]
    unit = rng.choice(units)
    if unit == "°":
        return text + unit if text[-1].isdigit() else f"{text} degrees"
    return f"{text} {unit}".strip()


def coordinate(value: float, decimals: int) -> str:
    """At most `decimals` decimals and no trailing zeros: the prompt says 105.8 when the call
    carries 105.8 (a model copies the digits it reads, so '105.80' would teach a wrong '0')."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0")
        text += "0" if text.endswith(".") else ""  # -119.0, as the call's JSON writes it
    return text


def coordinates(lat: float, lon: float, decimals: int, rng: random.Random) -> str:
    """A GPS position in one of the ways people write it."""
    la, lo = coordinate(lat, decimals), coordinate(lon, decimals)
    hemi_lat = f"{coordinate(abs(lat), decimals)}° {'N' if lat >= 0 else 'S'}"
    hemi_lon = f"{coordinate(abs(lon), decimals)}° {'E' if lon >= 0 else 'W'}"
    if rng.random() < 0.3:  # hemisphere letters instead of signs, as GPS apps print them
        return rng.choice(
            [
                f"{hemi_lat}, {hemi_lon}",
                f"{hemi_lat} {hemi_lon}".replace("° ", "°"),
                f"{hemi_lat}, {hemi_lon}".replace("° ", " "),
                f"{'N' if lat >= 0 else 'S'} {coordinate(abs(lat), decimals)}, "
                f"{'E' if lon >= 0 else 'W'} {coordinate(abs(lon), decimals)}",
            ]
        )
    forms = [
        f"{la}, {lo}",
        f"{la}, {lo}",
        f"{la} {lo}",
        f"({la}, {lo})",
        f"lat {la}, lon {lo}",
        f"lat {la} long {lo}",
        f"latitude {la}, longitude {lo}",
        f"latitude {la} and longitude {lo}",
    ]
    return rng.choice(forms)


# --------------------------------------------------------------------------- filler and finish

PREFIXES = [
    "hey, ",
    "ok ",
    "okay, ",
    "alright, ",
    "right, ",
    "so ",
    "now ",
    "drone, ",
    "copilot, ",
    "hey drone, ",
    "quick: ",
    "um, ",
    "yo ",
    "next, ",
    "go ahead and ",
    "please ",
    "please ",
    "pls ",
    "kindly ",
    "i need you to ",
    "ok now ",
    "can you please ",
]
SUFFIXES = [
    " please",
    " please",
    " pls",
    " thanks",
    ", thank you",
    " now",
    " right now",
    " asap",
    " when ready",
    " if you can",
    " for me",
    " quickly",
    ", thanks",
    " real quick",
    " immediately",
    " ty",
]


def prefix(rng: random.Random, rate: float = 0.3) -> str:
    return rng.choice(PREFIXES) if rng.random() < rate else ""


def suffix(rng: random.Random, rate: float = 0.25) -> str:
    return rng.choice(SUFFIXES) if rng.random() < rate else ""


_KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "r": "et",
    "t": "ry",
    "n": "bm",
    "s": "ad",
    "l": "k",
    "h": "gj",
}
_PROTECTED = set(WORD_VALUES) | {"hundred", "minus", "negative", "north", "south", "east", "west"}
_WORD_RE = re.compile(r"[A-Za-z]{4,}")


def typo(text: str, rng: random.Random) -> str:
    """One realistic typo (swap, drop, double, neighbour key) in a word that carries no number."""
    words = [m for m in _WORD_RE.finditer(text) if m.group().lower() not in _PROTECTED]
    if not words:
        return text
    m = rng.choice(words)
    w = m.group()
    i = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        w2 = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    elif kind == 1:
        w2 = w[:i] + w[i + 1 :]
    elif kind == 2:
        w2 = w[:i] + w[i] + w[i:]
    else:
        near = _KEYBOARD_NEIGHBOURS.get(w[i].lower())
        w2 = w[:i] + rng.choice(near) + w[i + 1 :] if near else w[:i] + w[i + 1 :]
    return text[: m.start()] + w2 + text[m.end() :]


def finish(text: str, rng: random.Random, typo_rate: float = 0.05) -> str:
    """Casing, end punctuation and the occasional typo."""
    question = text.endswith("?")
    if question and rng.random() < 0.2:
        text = text[:-1]
    elif not question and text[-1:].isalnum():
        r = rng.random()
        text += "." if r < 0.18 else "!" if r < 0.26 else ""
    if rng.random() < typo_rate:
        text = typo(text, rng)
    r = rng.random()
    if r < 0.55:
        text = text[:1].upper() + text[1:]
    elif r < 0.57:
        text = text.upper()
    elif r < 0.62:
        text = text.lower()
    return text
