"""The drone as the map draws it: the quadcopter sprite, its shadow, and the wreck after a crash."""

from __future__ import annotations

import math

import pygame

from simulator.render import theme as th
from simulator.rules import PANORAMA_SECONDS
from simulator.state import DroneState

SHADOW_DIR = (0.32, -0.32)  # metres of shadow per metre of height (sun in the north-west)


def drone_sprite(state: DroneState, t: float, size: int = 76) -> pygame.Surface:
    """The quadcopter seen from above, nose up, with spinning rotors, LED ring and nav lights."""
    s = pygame.Surface((size, size), pygame.SRCALPHA)
    c = size // 2
    arm = int(size * 0.3)
    rotor_r = int(size * 0.17)
    tips = [(c - arm, c - arm), (c + arm, c - arm), (c + arm, c + arm), (c - arm, c + arm)]
    for tip in tips:
        pygame.draw.line(s, (40, 46, 56), (c, c), tip, max(4, size // 14))
    lit = th.nav_lights_on(state, t)
    nav = [(245, 245, 245), (245, 245, 245), (48, 209, 88), (255, 59, 48)]  # fl, fr, rr, rl
    for i, (x, y) in enumerate(tips):
        if lit:
            pygame.draw.circle(s, (*nav[i], 70), (x, y), rotor_r + 6)
        pygame.draw.circle(s, (210, 216, 224, 60), (x, y), rotor_r)
        pygame.draw.circle(s, (160, 168, 178), (x, y), rotor_r, 1)
        spin = (t * 25 + i * 0.8) if state.flying else i * 0.8
        for k in (0, math.pi):
            a = spin + k
            pygame.draw.line(
                s,
                (225, 230, 236) if not state.flying else (225, 230, 236, 150),
                (x, y),
                (x + rotor_r * math.cos(a), y + rotor_r * math.sin(a)),
                2,
            )
        pygame.draw.circle(s, nav[i] if lit else (70, 76, 86), (x, y), 3)
    leds = th.led_colors(state, t, 12)
    ring_r = int(size * 0.2)
    if any(leds):
        glow = next(col for col in leds if col)
        pygame.draw.circle(s, (*glow, 60), (c, c), ring_r + 7)
    body = pygame.Rect(0, 0, int(size * 0.3), int(size * 0.38))
    body.center = (c, c)
    pygame.draw.rect(s, (236, 240, 244), body, border_radius=size // 10)
    pygame.draw.rect(s, (150, 158, 168), body, 1, border_radius=size // 10)
    for i, col in enumerate(leds):
        a = 2 * math.pi * i / 12
        pos = (c + ring_r * math.sin(a), c - ring_r * math.cos(a))
        pygame.draw.circle(s, col or (60, 66, 76), pos, max(2, size // 28))
    # nose: the camera, in the accent colour, with a small chevron
    pygame.draw.polygon(
        s, th.ACCENT, [(c, body.top - 7), (c - 6, body.top + 2), (c + 6, body.top + 2)]
    )
    pygame.draw.circle(s, (24, 28, 34), (c, body.top + 7), max(3, size // 18))
    return s


def drone_shadow_or_wreck(surf, p, state: DroneState, t: float) -> None:
    """The shadow on the ground (further off and smaller the higher it flies), or the wreck.

    `p` maps world metres to pixels (a `render_map.Projection`)."""
    pos = p(state.x, state.y)
    if state.crashed:
        burst = pygame.Surface((84, 84), pygame.SRCALPHA)
        pygame.draw.circle(burst, (255, 120, 40, 70), (42, 42), 40)
        pygame.draw.circle(burst, (255, 80, 40, 150), (42, 42), 40, 3)
        surf.blit(burst, (pos[0] - 42, pos[1] - 42))
        wreck = pygame.transform.rotate(drone_sprite(state, 0.0, 60), 33)
        wreck.fill((120, 120, 120, 255), special_flags=pygame.BLEND_RGBA_MULT)
        surf.blit(wreck, wreck.get_rect(center=pos))
        for d in (-1, 1):
            pygame.draw.line(
                surf, th.BAD, (pos[0] - 16, pos[1] - 16 * d), (pos[0] + 16, pos[1] + 16 * d), 5
            )
        label = th.text("CRASHED", 13, th.BAD, bold=True)
        surf.blit(label, (pos[0] - label.get_width() // 2, pos[1] + 26))
        return
    alt = state.altitude
    shadow = p(state.x + alt * SHADOW_DIR[0] * 0.6, state.y + alt * SHADOW_DIR[1] * 0.6)
    sw = max(16, int(40 - alt * 0.12))
    blob = pygame.Surface((sw, 2 * sw // 3), pygame.SRCALPHA)
    pygame.draw.ellipse(blob, (0, 0, 0, 90), blob.get_rect())
    surf.blit(blob, (shadow[0] - sw // 2, shadow[1] - sw // 3))


def drone_top(sub, p, state: DroneState, t: float) -> None:
    """The drone turned to its heading (spinning during a panorama), with an altitude tag."""
    pos = p(state.x, state.y)
    size = int(80 + min(state.altitude, 120) * 0.15)
    sweep = state.panorama_left / PANORAMA_SECONDS
    spin = 360 * (1 - sweep) if state.panorama_left > 0 else 0
    sprite = pygame.transform.rotozoom(drone_sprite(state, t, size), -(state.heading + spin), 1.0)
    sub.blit(sprite, sprite.get_rect(center=pos))
    if state.flying:
        tag = th.text(f"{state.altitude:.0f} m", 12, th.TEXT, bold=True)
        box = pygame.Rect(pos[0] + size // 2 + 4, pos[1] - 11, tag.get_width() + 12, 22)
        pygame.draw.rect(sub, (13, 17, 23), box, border_radius=11)
        pygame.draw.rect(sub, th.ACCENT, box, 1, border_radius=11)
        sub.blit(tag, (box.x + 6, box.centery - tag.get_height() // 2))
