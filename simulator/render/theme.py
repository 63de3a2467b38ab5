"""Colours, fonts and the light/LED animation rules shared by the map and the HUD.

pygame is imported by the functions that need it, so importing this module stays cheap.
"""

from __future__ import annotations

import colorsys
import math
from functools import cache
from pathlib import Path
from typing import Any

from simulator.state import DroneState

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"

Color = tuple[int, int, int]

# UI (dark, calm, high contrast for text)
BG = (13, 17, 23)
PANEL = (22, 27, 34)
CARD = (28, 34, 43)
CARD_EDGE = (48, 56, 68)
TEXT = (230, 237, 243)
MUTED = (139, 148, 158)
FAINT = (88, 96, 107)
ACCENT = (57, 197, 207)
GOOD = (63, 185, 80)
WARN = (210, 153, 34)
BAD = (248, 81, 73)
SKIP = (150, 158, 180)  # a plan step that never ran: greyed, a touch cooler than MUTED
USER = (210, 168, 255)

# Map
GRASS = (38, 58, 44)
GRASS_LIGHT = (44, 66, 50)
GRID = (50, 74, 56)
GRID_MAJOR = (62, 90, 68)
PATH = (112, 104, 84)
ROOF = (96, 104, 118)
ROOF_EDGE = (140, 148, 160)
TREE = (46, 112, 62)
TREE_LIGHT = (70, 148, 86)
SHADOW = (0, 0, 0, 80)
PAD = (214, 220, 226)
FENCE = (235, 87, 87)
TRAIL = (57, 197, 207)
PERSON = (255, 176, 59)

LED_COLORS: dict[str, Color] = {
    "red": (255, 59, 48),
    "blue": (10, 132, 255),
    "green": (48, 209, 88),
    "yellow": (255, 214, 10),
    "white": (245, 245, 245),
}

ACK_COLORS: dict[str, Color] = {"accepted": GOOD, "denied": WARN, "failed": BAD, "skipped": SKIP}


# --------------------------------------------------------------------------- animation rules


def led_colors(state: DroneState, t: float, n: int = 12) -> list[Color | None]:
    """The colour of each of the n ring LEDs at time t (None: dark)."""
    pattern = state.led_pattern
    if pattern == "off":
        return [None] * n
    if pattern == "rainbow":
        out: list[Color | None] = []
        for i in range(n):
            r, g, b = colorsys.hsv_to_rgb((i / n + t * 0.35) % 1.0, 0.85, 1.0)
            out.append((int(r * 255), int(g * 255), int(b * 255)))
        return out
    base = LED_COLORS.get(state.led_color or "white", LED_COLORS["white"])
    if pattern == "blink":
        return [base if (t * 1.5) % 1.0 < 0.65 else None] * n
    if pattern == "pulse":
        k = 0.25 + 0.75 * (0.5 + 0.5 * math.sin(2 * math.pi * 0.7 * t))
        dim: Color = (int(base[0] * k), int(base[1] * k), int(base[2] * k))
        return [dim] * n
    return [base] * n


def _sos_timeline() -> tuple[list[tuple[float, bool]], float]:
    unit = 0.18
    marks: list[tuple[float, bool]] = []
    for letter in ("...", "---", "..."):
        for symbol in letter:
            marks.append((unit * (1 if symbol == "." else 3), True))
            marks.append((unit, False))
        marks[-1] = (unit * 3, False)
    marks[-1] = (unit * 7, False)
    return marks, sum(d for d, _ in marks)


_SOS, _SOS_PERIOD = _sos_timeline()


def nav_lights_on(state: DroneState, t: float) -> bool:
    """Whether the navigation lights are lit at time t (on / off / blink / sos in Morse)."""
    mode = state.lighting
    if mode == "on":
        return True
    if mode == "blink":
        return (t * 1.2) % 1.0 < 0.35
    if mode == "sos":
        s = t % _SOS_PERIOD
        for duration, lit in _SOS:
            if s < duration:
                return lit
            s -= duration
    return False


# --------------------------------------------------------------------------- fonts and text


@cache
def font(size: int, bold: bool = False, mono: bool = False) -> Any:
    """A DejaVu font from assets/fonts, or pygame's default font when it is missing."""
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    name = "DejaVuSansMono.ttf" if mono else ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    path = FONT_DIR / name
    if path.exists():
        return pygame.font.Font(str(path), size)
    f = pygame.font.Font(None, int(size * 1.3))
    f.set_bold(bold)
    return f


_TEXT_CACHE: dict[tuple[Any, ...], Any] = {}


def text(s: str, size: int, color: Color, bold: bool = False, mono: bool = False) -> Any:
    """A rendered (antialiased) text surface, cached: the HUD redraws the same strings 60x/s."""
    key = (s, size, color, bold, mono)
    surf = _TEXT_CACHE.get(key)
    if surf is None:
        if len(_TEXT_CACHE) > 3000:
            _TEXT_CACHE.clear()
        surf = font(size, bold, mono).render(s, True, color)
        _TEXT_CACHE[key] = surf
    return surf


def wrap(s: str, size: int, width: int, mono: bool = False) -> list[str]:
    """Split s into lines that fit `width` pixels; a word too long for a line is cut."""
    f = font(size, False, mono)
    lines: list[str] = []
    line = ""
    for word in s.split(" "):
        trial = f"{line} {word}" if line else word
        if f.size(trial)[0] <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        while f.size(word)[0] > width and len(word) > 1:  # a long path or token
            cut = len(word)
            while cut > 1 and f.size(word[:cut])[0] > width:
                cut = max(1, cut * width // max(1, f.size(word[:cut])[0]) - 1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    lines.append(line)
    return lines
