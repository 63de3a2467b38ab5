"""The top-down map: ground, geofence, obstacles with shadows, the person, the trail and the drone.

Coordinates: world metres (x east, y north) -> map pixels through a `Projection` centred on the
camera point. Everything is drawn with pygame primitives; nothing is loaded from disk.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pygame

from simulator.render import theme as th
from simulator.render.drone import SHADOW_DIR, drone_shadow_or_wreck, drone_top
from simulator.state import DroneState
from simulator.world import Obstacle, World


@dataclass(frozen=True)
class Projection:
    w: int
    h: int
    cx: float
    cy: float
    scale: float  # pixels per metre

    def __call__(self, x: float, y: float) -> tuple[int, int]:
        return (
            round(self.w / 2 + (x - self.cx) * self.scale),
            round(self.h / 2 - (y - self.cy) * self.scale),
        )


def _dashed(surf, color, points: Sequence[tuple[int, int]], width: int = 2, dash: int = 8) -> None:
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        n = max(1, int(length / dash))
        for i in range(0, n, 2):
            a, b = i / n, min(1.0, (i + 1) / n)
            pygame.draw.line(
                surf,
                color,
                (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                width,
            )


# --------------------------------------------------------------------------- ground and world


def _ground(surf, p: Projection, world: World) -> None:
    surf.fill(th.GRASS)
    # 100 m fields in two shades, then a 25 m grid: reads as a map, not a debug grid.
    x0, y1 = p.cx - p.w / 2 / p.scale, p.cy + p.h / 2 / p.scale
    x1, y0 = p.cx + p.w / 2 / p.scale, p.cy - p.h / 2 / p.scale
    for gx in range(math.floor(x0 / 100) * 100, int(x1) + 100, 100):
        for gy in range(math.floor(y0 / 100) * 100, int(y1) + 100, 100):
            if (gx // 100 + gy // 100) % 2:
                a, b = p(gx, gy + 100), p(gx + 100, gy)
                surf.fill(th.GRASS_LIGHT, pygame.Rect(a[0], a[1], b[0] - a[0], b[1] - a[1]))
    step = 25
    for gx in range(math.floor(x0 / step) * step, int(x1) + step, step):
        sx = p(gx, 0)[0]
        pygame.draw.line(surf, th.GRID_MAJOR if gx % 100 == 0 else th.GRID, (sx, 0), (sx, p.h))
    for gy in range(math.floor(y0 / step) * step, int(y1) + step, step):
        sy = p(0, gy)[1]
        pygame.draw.line(surf, th.GRID_MAJOR if gy % 100 == 0 else th.GRID, (0, sy), (p.w, sy))
    # The person's footpath.
    pts = [p(x, y) for x, y in (*world.person_path, world.person_path[0])]
    pygame.draw.lines(surf, th.PATH, False, pts, max(3, round(2.5 * p.scale)))


def _fence(surf, overlay, p: Projection, world: World) -> None:
    cx, cy = p(0, 0)
    r = round(world.geofence_radius * p.scale)
    overlay.fill((40, 0, 0, 120))
    pygame.draw.circle(overlay, (0, 0, 0, 0), (cx, cy), r)
    surf.blit(overlay, (0, 0))
    overlay.fill((0, 0, 0, 0))
    n = 180
    pts = [
        (cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n))
        for i in range(n + 1)
    ]
    for i in range(0, n, 2):
        a, b = pts[i], pts[i + 1]
        if -50 < a[0] < p.w + 50 and -50 < a[1] < p.h + 50:
            pygame.draw.line(surf, th.FENCE, a, b, 2)


def _obstacle_shadow(overlay, p: Projection, ob: Obstacle) -> None:
    dx, dy = ob.height * SHADOW_DIR[0], ob.height * SHADOW_DIR[1]
    if ob.kind == "box":
        corners = [
            (ob.x, ob.y),
            (ob.x + ob.width, ob.y),
            (ob.x + ob.width, ob.y + ob.depth),
            (ob.x, ob.y + ob.depth),
        ]
        for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
            quad = [p(ax, ay), p(bx, by), p(bx + dx, by + dy), p(ax + dx, ay + dy)]
            pygame.draw.polygon(overlay, th.SHADOW, quad)
        return
    r = max(2, round(ob.radius * p.scale))
    a, b = p(ob.x, ob.y), p(ob.x + dx, ob.y + dy)
    pygame.draw.line(overlay, th.SHADOW, a, b, 2 * r)
    pygame.draw.circle(overlay, th.SHADOW, b, r)


def _obstacle(surf, p: Projection, ob: Obstacle) -> None:
    if ob.kind == "box":
        a, b = p(ob.x, ob.y + ob.depth), p(ob.x + ob.width, ob.y)
        rect = pygame.Rect(a[0], a[1], b[0] - a[0], b[1] - a[1])
        shade = min(40, int(ob.height * 0.6))
        roof = (th.ROOF[0] + shade // 2, th.ROOF[1] + shade // 2, th.ROOF[2] + shade // 2)
        pygame.draw.rect(surf, roof, rect, border_radius=3)
        pygame.draw.rect(surf, th.ROOF_EDGE, rect, 2, border_radius=3)
        inner = rect.inflate(-max(6, rect.w // 6), -max(6, rect.h // 6))
        if inner.w > 8 and inner.h > 8:
            pygame.draw.rect(surf, th.ROOF, inner, 1, border_radius=2)
        return
    c, r = p(ob.x, ob.y), max(3, round(ob.radius * p.scale))
    if ob.style == "tree":
        pygame.draw.circle(surf, (30, 84, 44), c, r)
        pygame.draw.circle(surf, th.TREE, (c[0] - r // 6, c[1] - r // 6), int(r * 0.85))
        pygame.draw.circle(surf, th.TREE_LIGHT, (c[0] - r // 3, c[1] - r // 3), max(2, r // 3))
    elif ob.style == "mast":
        pygame.draw.circle(surf, (200, 205, 212), c, r + 3)
        pygame.draw.circle(surf, th.BAD, c, r + 3, 3)
        pygame.draw.circle(surf, (90, 96, 106), c, max(2, r // 2))
    else:  # water tower
        pygame.draw.circle(surf, (92, 122, 150), c, r)
        pygame.draw.circle(surf, (150, 176, 200), c, r, 2)
        pygame.draw.circle(surf, (120, 150, 176), c, max(2, r // 2), 2)


def _obstacle_label(surf, p: Projection, ob: Obstacle) -> None:
    name = th.text(ob.name, 11, th.TEXT)
    height = th.text(f"{ob.height:.0f} m", 11, th.MUTED)
    if ob.kind == "box":
        cx, cy = p(ob.x + ob.width / 2, ob.y + ob.depth / 2)
    else:
        cx, cy = p(ob.x, ob.y - ob.radius)
        cy += name.get_height() // 2 + 6
    surf.blit(name, (cx - name.get_width() // 2, cy - name.get_height()))
    surf.blit(height, (cx - height.get_width() // 2, cy))


def _pad(surf, p: Projection, world: World) -> None:
    c = p(0, 0)
    r = max(12, round(world.pad_radius * p.scale))
    pygame.draw.circle(surf, (54, 60, 70), c, r)
    pygame.draw.circle(surf, th.PAD, c, r, 2)
    h = th.text("H", max(12, r), th.PAD, bold=True)
    surf.blit(h, (c[0] - h.get_width() // 2, c[1] - h.get_height() // 2))


def _home(surf, p: Projection, state: DroneState) -> None:
    if math.hypot(state.home_x, state.home_y) > 1:
        hx, hy = p(state.home_x, state.home_y)
        pygame.draw.circle(surf, th.ACCENT, (hx, hy), 9, 2)
        pygame.draw.line(surf, th.ACCENT, (hx, hy - 9), (hx, hy - 24), 2)
        pygame.draw.polygon(surf, th.ACCENT, [(hx, hy - 24), (hx + 12, hy - 20), (hx, hy - 16)])
        label = th.text("home", 11, th.ACCENT, bold=True)
        surf.blit(label, (hx + 12, hy - 8))


def _person(surf, p: Projection, world: World, state: DroneState) -> None:
    px, py = world.person_at(state.time)
    c = p(px, py)
    if state.follow_me and state.flying:
        _dashed(surf, th.ACCENT, [p(state.x, state.y), c], 2, 6)
    pygame.draw.circle(surf, (20, 20, 20), c, 8)
    pygame.draw.circle(surf, th.PERSON, c, 6)
    label = th.text("person", 11, th.PERSON)
    surf.blit(label, (c[0] + 10, c[1] - label.get_height() // 2))


def _trail(surf, p: Projection, trail) -> None:
    pts = [p(x, y) for x, y in trail]
    n = len(pts)
    for i in range(1, n):  # fades from the grass colour to the trail colour, oldest first
        k = 0.25 + 0.75 * i / n
        color = tuple(round(g + (c - g) * k) for g, c in zip(th.GRASS, th.TRAIL, strict=True))
        pygame.draw.line(surf, color, pts[i - 1], pts[i], 3)


def _plan(surf, p: Projection, state: DroneState) -> None:
    if not state.plan:
        return
    route = [p(state.x, state.y)] + [p(w.x, w.y) for w in state.plan]
    _dashed(surf, (220, 226, 232), route, 2, 7)
    end = route[-1]
    pygame.draw.circle(surf, (220, 226, 232), end, 7, 2)
    pygame.draw.line(surf, (220, 226, 232), (end[0] - 11, end[1]), (end[0] + 11, end[1]), 1)
    pygame.draw.line(surf, (220, 226, 232), (end[0], end[1] - 11), (end[0], end[1] + 11), 1)


# --------------------------------------------------------------------------- map furniture


def _minimap(surf, rect: pygame.Rect, world: World, state: DroneState, view: Projection) -> None:
    card = pygame.Surface(rect.size, pygame.SRCALPHA)
    card.fill((13, 17, 23, 200))
    surf.blit(card, rect)
    pygame.draw.rect(surf, th.CARD_EDGE, rect, 1, border_radius=6)
    m = Projection(rect.w, rect.h, 0, 0, (rect.w / 2 - 8) / world.geofence_radius)
    ox, oy = rect.topleft
    pygame.draw.circle(
        surf,
        th.FENCE,
        (ox + rect.w // 2, oy + rect.h // 2),
        round(world.geofence_radius * m.scale),
        1,
    )
    for ob in world.obstacles:
        x, y = m(ob.x + ob.width / 2, ob.y + ob.depth / 2) if ob.kind == "box" else m(ob.x, ob.y)
        pygame.draw.circle(
            surf, th.ROOF_EDGE if ob.kind == "box" else th.TREE_LIGHT, (ox + x, oy + y), 2
        )
    a = m(view.cx - view.w / 2 / view.scale, view.cy + view.h / 2 / view.scale)
    b = m(view.cx + view.w / 2 / view.scale, view.cy - view.h / 2 / view.scale)
    pygame.draw.rect(surf, th.MUTED, pygame.Rect(ox + a[0], oy + a[1], b[0] - a[0], b[1] - a[1]), 1)
    hx, hy = m(0, 0)
    pygame.draw.circle(surf, th.PAD, (ox + hx, oy + hy), 3)
    dx, dy = m(state.x, state.y)
    pygame.draw.circle(surf, th.BAD if state.crashed else th.ACCENT, (ox + dx, oy + dy), 4)
    label = th.text("GEOFENCE 500 m", 10, th.MUTED)
    surf.blit(label, (ox + 6, oy + rect.h - label.get_height() - 4))


def _scale_bar(surf, p: Projection) -> None:
    metres = 50 if p.scale > 1.2 else 100
    px = round(metres * p.scale)
    x, y = 16, p.h - 22
    pygame.draw.line(surf, th.TEXT, (x, y), (x + px, y), 2)
    for e in (x, x + px):
        pygame.draw.line(surf, th.TEXT, (e, y - 5), (e, y + 5), 2)
    label = th.text(f"{metres} m", 12, th.TEXT)
    surf.blit(label, (x + px + 8, y - label.get_height() // 2))


def _north(surf, p: Projection) -> None:
    x, y = p.w - 28, 30
    pygame.draw.polygon(surf, th.TEXT, [(x, y - 14), (x - 7, y + 6), (x, y + 1), (x + 7, y + 6)])
    label = th.text("N", 12, th.TEXT, bold=True)
    surf.blit(label, (x - label.get_width() // 2, y + 8))


_LAYERS: dict[tuple[int, float], tuple[pygame.Surface, Projection]] = {}
LAYER_MARGIN = 60.0  # metres of ground drawn beyond the fence
MAX_LAYER_PX = 4096  # above this (deep zoom) the static layer is drawn every frame instead


def _draw_static(surf, p: Projection, world: World) -> None:
    """Everything that never moves: ground, fence tint, shadows, obstacles, labels, the pad."""
    overlay = pygame.Surface((p.w, p.h), pygame.SRCALPHA)
    _ground(surf, p, world)
    _fence(surf, overlay, p, world)
    for ob in world.obstacles:
        _obstacle_shadow(overlay, p, ob)
    surf.blit(overlay, (0, 0))
    for ob in world.obstacles:
        _obstacle(surf, p, ob)
    for ob in world.obstacles:
        _obstacle_label(surf, p, ob)


def _static_layer(world: World, scale: float) -> tuple[pygame.Surface, Projection] | None:
    """The static map at this scale, drawn once over the whole fenced area (None if too big)."""
    key = (id(world), round(scale, 4))
    if key not in _LAYERS:
        extent = world.geofence_radius + LAYER_MARGIN
        side = math.ceil(2 * extent * scale)
        if side > MAX_LAYER_PX:
            return None
        if len(_LAYERS) > 6:
            _LAYERS.clear()
        layer = pygame.Surface((side, side))
        lp = Projection(side, side, 0.0, 0.0, scale)
        _draw_static(layer, lp, world)
        _LAYERS[key] = (layer, lp)
    return _LAYERS[key]


def _outside_color() -> tuple[int, int, int]:
    a = 120 / 255  # the fence tint over plain grass
    return tuple(round(g * (1 - a) + f * a) for g, f in zip(th.GRASS, (40, 0, 0), strict=True))  # type: ignore[return-value]


def draw_map(
    surf: pygame.Surface,
    rect: pygame.Rect,
    world: World,
    state: DroneState,
    trail: Sequence[tuple[float, float]],
    t: float,
    center: tuple[float, float],
    scale: float,
    minimap: bool = True,
    photo: bool = False,
) -> Projection:
    """Draw the whole map into `rect` of `surf`; returns the projection used.

    photo=True draws what the drone's own camera sees: no drone (only its shadow), no furniture.
    """
    sub = surf.subsurface(rect)
    p = Projection(rect.w, rect.h, center[0], center[1], scale)
    cached = _static_layer(world, scale)
    if cached is None:
        _draw_static(sub, p, world)
    else:
        layer, lp = cached
        sub.fill(_outside_color())
        left, top = lp(p.cx - p.w / 2 / p.scale, p.cy + p.h / 2 / p.scale)
        sub.blit(layer, (0, 0), pygame.Rect(left, top, p.w, p.h))
        if left < 0 or top < 0:  # the view reaches past the layer's west or north edge
            sub.fill(_outside_color())
            sub.blit(layer, (-left, -top))
    _trail(sub, p, trail)
    _pad(sub, p, world)  # over the trail, so the H stays readable
    _home(sub, p, state)
    _person(sub, p, world, state)
    _plan(sub, p, state)
    drone_shadow_or_wreck(sub, p, state, t)
    if photo:
        return p
    if not state.crashed:  # the drone above its shadow
        drone_top(sub, p, state, t)
    if minimap:
        _minimap(sub, pygame.Rect(12, 12, 150, 150), world, state, p)
    _scale_bar(sub, p)
    _north(sub, p)
    return p
