"""The instrument side of the app: altitude gauge, telemetry, mode flags, payload, log and input."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pygame

from simulator.render import theme as th
from simulator.state import DroneState

KIND_STYLE: dict[str, tuple[str, th.Color]] = {
    "user": ("›", th.USER),
    "call": ("→", th.ACCENT),
    "accepted": ("✓", th.GOOD),
    "denied": ("✗", th.WARN),
    "failed": ("✗", th.BAD),
    "skipped": ("↷", th.SKIP),
    "note": ("!", th.WARN),
    "crash": ("✗", th.BAD),
    "error": ("✗", th.BAD),
    "info": ("·", th.MUTED),
}


@dataclass
class LogLine:
    text: str
    kind: str = "info"  # a KIND_STYLE key
    tag: str = ""  # the model it came from, in compare mode


def card(surf, rect: pygame.Rect, title: str | None = None, right: str | None = None) -> None:
    pygame.draw.rect(surf, th.CARD, rect, border_radius=8)
    pygame.draw.rect(surf, th.CARD_EDGE, rect, 1, border_radius=8)
    if title:
        surf.blit(th.text(title, 11, th.MUTED, bold=True), (rect.x + 12, rect.y + 9))
    if right:
        r = th.text(right, 11, th.FAINT)
        surf.blit(r, (rect.right - r.get_width() - 12, rect.y + 9))


def flight_status(state: DroneState) -> tuple[str, th.Color]:
    if state.crashed:
        return "CRASHED", th.BAD
    if state.battery_stage >= 2 and state.flying:
        return "LOW BATTERY · AUTO", th.WARN
    if state.plan:
        last, leg = state.plan[-1], state.plan[0]
        if any(w.face for w in state.plan) and last.event == "land":
            return "RETURNING", th.ACCENT
        if not state.flying or leg.alt > state.altitude + 0.3:
            return "CLIMBING", th.ACCENT
        if leg.alt < state.altitude - 0.3:
            return "LANDING" if leg.event == "land" else "DESCENDING", th.ACCENT
        return "FLYING", th.ACCENT
    if not state.flying:
        return "LANDED", th.MUTED
    if state.follow_me:
        return "FOLLOWING", th.ACCENT
    return "HOVERING", th.GOOD


def pill(
    surf, x: int, y: int, label: str, color: th.Color, filled: bool = True, size: int = 11
) -> int:
    """Draw a rounded label; returns its width."""
    txt = th.text(label, size, th.BG if filled else color, bold=True)
    rect = pygame.Rect(x, y, txt.get_width() + 16, txt.get_height() + 8)
    if filled:
        pygame.draw.rect(surf, color, rect, border_radius=rect.h // 2)
    else:
        pygame.draw.rect(surf, color, rect, 1, border_radius=rect.h // 2)
    surf.blit(txt, (x + 8, y + 4))
    return rect.w


# --------------------------------------------------------------------------- gauges


def altitude_gauge(surf, rect: pygame.Rect, state: DroneState, ceiling: float) -> None:
    pygame.draw.rect(surf, th.PANEL, rect)
    label = th.text("ALT", 11, th.MUTED, bold=True)
    surf.blit(label, (rect.centerx - label.get_width() // 2, rect.y + 14))
    top, bottom = rect.y + 48, rect.bottom - 56
    top_m = ceiling + 10
    bar = pygame.Rect(rect.x + 14, top, 12, bottom - top)

    def y_of(m: float) -> int:
        return round(bottom - (bottom - top) * max(0.0, min(m, top_m)) / top_m)

    pygame.draw.rect(surf, th.CARD, bar, border_radius=6)
    for m in range(0, int(top_m) + 1, 10):
        y = y_of(m)
        major = m % 30 == 0
        pygame.draw.line(surf, th.FAINT, (bar.right + 2, y), (bar.right + (8 if major else 4), y))
        if major and m < ceiling:
            t = th.text(f"{m}", 10, th.MUTED)
            surf.blit(t, (bar.right + 10, y - t.get_height() // 2))
    cy = y_of(ceiling)
    pygame.draw.line(surf, th.FENCE, (rect.x + 6, cy), (rect.right - 6, cy), 2)
    ceil = th.text(f"{ceiling:.0f} CEIL", 9, th.FENCE, bold=True)
    surf.blit(ceil, (rect.centerx - ceil.get_width() // 2, cy - ceil.get_height() - 3))
    fill = pygame.Rect(bar.x, y_of(state.altitude), bar.w, bottom - y_of(state.altitude))
    pygame.draw.rect(surf, th.ACCENT, fill, border_radius=6)
    if state.plan:
        ty = y_of(state.plan[-1].alt)
        pygame.draw.polygon(
            surf, th.TEXT, [(bar.x - 2, ty), (bar.x - 10, ty - 5), (bar.x - 10, ty + 5)], 1
        )
    ay = y_of(state.altitude)
    pygame.draw.polygon(
        surf, th.TEXT, [(bar.x - 2, ay), (bar.x - 10, ay - 6), (bar.x - 10, ay + 6)]
    )
    value = th.text(f"{state.altitude:.0f}", 18, th.TEXT, bold=True)
    surf.blit(value, (rect.centerx - value.get_width() // 2, rect.bottom - 48))
    unit = th.text("m", 11, th.MUTED)
    surf.blit(unit, (rect.centerx - unit.get_width() // 2, rect.bottom - 26))


def _tile(surf, rect: pygame.Rect, label: str, value: str, unit: str, color=th.TEXT) -> None:
    card(surf, rect, label)
    v = th.text(value, 24, color, bold=True)
    surf.blit(v, (rect.x + 12, rect.bottom - v.get_height() - 8))
    u = th.text(unit, 12, th.MUTED)
    surf.blit(u, (rect.x + 18 + v.get_width(), rect.bottom - u.get_height() - 12))


def battery_color(pct: float) -> th.Color:
    return th.GOOD if pct > 30 else th.WARN if pct > 15 else th.BAD


def telemetry(surf, rect: pygame.Rect, state: DroneState) -> None:
    w = (rect.w - 8) // 2
    h = (rect.h - 8) // 2
    a = pygame.Rect(rect.x, rect.y, w, h)
    moving = bool(state.plan) or (state.follow_me and state.flying)
    _tile(surf, a, "SPEED", f"{state.speed_kmh}", "km/h · " + ("moving" if moving else "cruise"))
    compass = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"][round(state.heading / 45) % 8]
    _tile(surf, a.move(w + 8, 0), "HEADING", f"{round(state.heading) % 360:03d}°", compass)
    b = a.move(0, h + 8)
    _tile(surf, b, "BATTERY", f"{state.battery:.1f}", "%", battery_color(state.battery))
    bar = pygame.Rect(b.x + 118, b.bottom - 26, b.w - 130, 12)
    pygame.draw.rect(surf, th.BG, bar, border_radius=6)
    fill = bar.copy()
    fill.w = max(4, int(bar.w * state.battery / 100))
    pygame.draw.rect(surf, battery_color(state.battery), fill, border_radius=6)
    if state.battery_saver:
        surf.blit(th.text("saver", 10, th.GOOD, bold=True), (bar.x, bar.y - 16))
    c = b.move(w + 8, 0)
    card(surf, c, "POSITION")
    dist = math.hypot(state.x - state.home_x, state.y - state.home_y)
    line1 = th.text(f"x {state.x:+.0f} m   y {state.y:+.0f} m", 15, th.TEXT, bold=True)
    surf.blit(line1, (c.x + 12, c.y + 28))
    line2 = th.text(f"{dist:.0f} m from home", 12, th.MUTED)
    surf.blit(line2, (c.x + 12, c.y + 50))


FLAGS = (
    ("obstacle_avoidance", "AVOIDANCE"),
    ("follow_me", "FOLLOW-ME"),
    ("autopilot", "AUTOPILOT"),
    ("battery_saver", "SAVER"),
    ("calibrated", "CALIBRATED"),
)


def flags_row(surf, x: int, y: int, state: DroneState, size: int = 10) -> None:
    for field, label in FLAGS:
        on = getattr(state, field)
        x += pill(surf, x, y, label, th.ACCENT if on else th.FAINT, filled=on, size=size) + 6


# --------------------------------------------------------------------------- payload


def led_ring(surf, center: tuple[int, int], radius: int, state: DroneState, t: float) -> None:
    leds = th.led_colors(state, t, 12)
    lit = [c for c in leds if c]
    if lit:
        glow = pygame.Surface((radius * 4, radius * 4), pygame.SRCALPHA)
        pygame.draw.circle(glow, (*lit[0], 45), (radius * 2, radius * 2), radius + 10)
        surf.blit(glow, (center[0] - radius * 2, center[1] - radius * 2))
    pygame.draw.circle(surf, th.BG, center, radius - 6)
    for i, col in enumerate(leds):
        a = 2 * math.pi * i / 12
        pos = (center[0] + radius * math.sin(a), center[1] - radius * math.cos(a))
        pygame.draw.circle(surf, col or (52, 58, 68), pos, max(3, radius // 5))
        if col:
            pygame.draw.circle(surf, (255, 255, 255), pos, max(1, radius // 14))


def _gimbal_glyph(surf, center: tuple[int, int], tilt: int, pan: int) -> None:
    cx, cy = center
    pygame.draw.circle(surf, th.CARD_EDGE, (cx, cy), 22, 1)
    a = math.radians(pan)
    pygame.draw.line(surf, th.MUTED, (cx, cy), (cx + 22 * math.sin(a), cy - 22 * math.cos(a)), 2)
    # tilt as a side view: 0 = horizon (right), -90 = straight down
    t = math.radians(tilt)
    pygame.draw.line(surf, th.ACCENT, (cx, cy), (cx + 18 * math.cos(t), cy - 18 * math.sin(t)), 3)
    pygame.draw.circle(surf, th.TEXT, (cx, cy), 4)


def payload(surf, rect: pygame.Rect, state: DroneState, t: float) -> None:
    w = (rect.w - 8) // 2
    h = (rect.h - 8) // 2
    cam = pygame.Rect(rect.x, rect.y, w, h)
    card(surf, cam, "CAMERA")
    if state.recording_left > 0:
        blink = (t % 1.0) < 0.6
        pygame.draw.circle(surf, th.BAD if blink else th.CARD, (cam.x + 20, cam.y + 40), 7)
        left = math.ceil(state.recording_left)
        rec = th.text(f"REC  {left // 60:02d}:{left % 60:02d}", 16, th.BAD, bold=True)
        surf.blit(rec, (cam.x + 34, cam.y + 31))
    elif state.panorama_left > 0:
        surf.blit(th.text("PANORAMA…", 16, th.ACCENT, bold=True), (cam.x + 12, cam.y + 31))
    else:
        mode = {"idle": "READY"}.get(state.camera_mode, state.camera_mode.upper())
        surf.blit(th.text(mode, 16, th.TEXT, bold=True), (cam.x + 12, cam.y + 31))
    counts = f"{state.photos_taken} photos · {state.videos_recorded} videos · {state.panoramas_taken} pano"
    surf.blit(th.text(counts, 11, th.MUTED), (cam.x + 12, cam.bottom - 20))

    gim = cam.move(w + 8, 0)
    card(surf, gim, "GIMBAL")
    _gimbal_glyph(surf, (gim.right - 36, gim.centery + 6), state.gimbal_tilt, state.gimbal_pan)
    surf.blit(
        th.text(f"tilt {state.gimbal_tilt:+d}°", 15, th.TEXT, bold=True), (gim.x + 12, gim.y + 30)
    )
    surf.blit(th.text(f"pan {state.gimbal_pan:+d}°", 13, th.MUTED), (gim.x + 12, gim.y + 50))

    lights = cam.move(0, h + 8)
    card(surf, lights, "LIGHTS")
    on = th.nav_lights_on(state, t)
    bulb = (lights.right - 30, lights.centery + 6)
    if on:
        pygame.draw.circle(surf, (90, 84, 40), bulb, 16)
    pygame.draw.circle(surf, (255, 236, 160) if on else (60, 66, 76), bulb, 9)
    mode_text = state.lighting.upper() if state.lighting != "sos" else "SOS  ··· ––– ···"
    surf.blit(
        th.text(mode_text, 16, th.TEXT if state.lighting != "off" else th.MUTED, bold=True),
        (lights.x + 12, lights.y + 31),
    )

    led = lights.move(w + 8, 0)
    card(surf, led, "LED RING")
    led_ring(surf, (led.right - 38, led.centery + 6), 22, state, t)
    pattern = state.led_pattern.upper()
    surf.blit(
        th.text(pattern, 16, th.TEXT if pattern != "OFF" else th.MUTED, bold=True),
        (led.x + 12, led.y + 31),
    )
    if state.led_color:
        surf.blit(
            th.text(state.led_color, 13, th.LED_COLORS[state.led_color]), (led.x + 12, led.y + 52)
        )


# --------------------------------------------------------------------------- log and input


def event_log(
    surf, rect: pygame.Rect, lines: Sequence[LogLine], hint: str = "", scroll: int = 0
) -> None:
    """The newest lines that fit, or older ones `scroll` wrapped lines back."""
    card(surf, rect, "EVENT LOG" + (f"  ↑{scroll}" if scroll else ""), hint)
    inner_w = rect.w - 44
    rendered: list[tuple[str, str, th.Color, bool]] = []  # (symbol, text, colour, first line)
    for line in lines[-200:]:
        symbol, color = KIND_STYLE.get(line.kind, KIND_STYLE["info"])
        body = f"[{line.tag}] {line.text}" if line.tag else line.text
        for i, part in enumerate(th.wrap(body, 13, inner_w, mono=True)):
            rendered.append((symbol if i == 0 else "", part, color, i == 0))
    line_h = 18
    room = max(1, (rect.h - 36) // line_h)
    y = rect.y + 30
    scroll = max(0, min(scroll, len(rendered) - room))
    for symbol, part, color, _first in rendered[
        max(0, len(rendered) - room - scroll) : len(rendered) - scroll
    ]:
        if symbol:
            surf.blit(th.text(symbol, 13, color, bold=True), (rect.x + 14, y))
        surf.blit(
            th.text(part, 13, th.TEXT if color == th.ACCENT else color, mono=True), (rect.x + 30, y)
        )
        y += line_h


def input_box(
    surf, rect: pygame.Rect, value: str, t: float, thinking: str = "", placeholder: str = ""
) -> None:
    pygame.draw.rect(surf, th.BG, rect, border_radius=10)
    pygame.draw.rect(surf, th.ACCENT if not thinking else th.CARD_EDGE, rect, 2, border_radius=10)
    prompt = th.text("›", 20, th.ACCENT, bold=True)
    surf.blit(prompt, (rect.x + 12, rect.centery - prompt.get_height() // 2 - 1))
    x = rect.x + 32
    if value:
        txt = th.text(value[-70:], 15, th.TEXT)
        surf.blit(txt, (x, rect.centery - txt.get_height() // 2))
        x += txt.get_width()
    elif placeholder:
        ph = th.text(placeholder, 14, th.FAINT)
        surf.blit(ph, (x + 8, rect.centery - ph.get_height() // 2))
    if not thinking and (t % 1.0) < 0.55:
        pygame.draw.line(surf, th.TEXT, (x + 2, rect.centery - 10), (x + 2, rect.centery + 10), 2)
    if thinking:
        spin = th.text(thinking, 13, th.ACCENT, bold=True)
        sx = rect.right - spin.get_width() - 16
        surf.blit(spin, (sx, rect.centery - spin.get_height() // 2))
        c = (sx - 16, rect.centery)
        for i in range(8):
            a = t * 6 + i * math.pi / 4
            shade = 60 + 24 * i
            pygame.draw.circle(
                surf,
                (shade // 3, shade, min(255, shade + 20)),
                (c[0] + 7 * math.cos(a), c[1] + 7 * math.sin(a)),
                2,
            )
