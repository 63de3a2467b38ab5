"""Composes a full app frame (map, altitude gauge, HUD, log, input) from plain view data.

`SimRenderer` is the only object the app and `DroneSim.render()` talk to. Layouts: one drone
(map + instruments side by side) or `--compare` (two drones in split screen, one shared log).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pygame

from simulator.render import panel
from simulator.render import theme as th
from simulator.render.checklist import PlanView, draw_checklist
from simulator.render.map import draw_map
from simulator.render.panel import LogLine
from simulator.state import DroneState
from simulator.world import World

SIZE = (1280, 720)
DEFAULT_SCALE = 2.2  # pixels per metre: ~340 m of ground across the single-drone map


@dataclass
class PaneView:
    """One drone as the screen shows it."""

    title: str
    state: DroneState
    trail: Sequence[tuple[float, float]] = ()
    status: str = ""  # e.g. "412 ms" after an answer
    thinking: str = ""  # e.g. "thinking… 1.2 s" while the model works
    center: tuple[float, float] | None = None  # camera point; the drone if None
    mission: PlanView | None = None  # the current plan, drawn as a checklist over the map


@dataclass
class FrameView:
    panes: list[PaneView]
    log: Sequence[LogLine] = ()
    input_text: str = ""
    t: float = 0.0  # wall-clock seconds, for the cursor and spinner
    scale: float = DEFAULT_SCALE
    hint: str = ""
    placeholder: str = "Type a command, e.g. take off to 30 m"
    fps: float = 0.0
    log_scroll: int = 0  # wrapped lines scrolled back from the newest
    extra: dict[str, Any] = field(default_factory=dict)


def _header(surf, rect: pygame.Rect, pane: PaneView, big: bool = True) -> None:
    pygame.draw.rect(surf, th.PANEL, rect)
    x = rect.x + 14
    if big:
        title = th.text("DRONE COPILOT", 17, th.TEXT, bold=True)
        surf.blit(title, (x, rect.centery - title.get_height() // 2))
        x += title.get_width() + 12
    x += panel.pill(surf, x, rect.centery - 11, pane.title, th.USER, filled=False, size=12) + 8
    status, color = panel.flight_status(pane.state)
    panel.pill(surf, x, rect.centery - 11, status, color, size=11)
    right = pane.thinking or pane.status
    if right:
        r = th.text(right, 13, th.ACCENT if pane.thinking else th.MUTED, bold=bool(pane.thinking))
        surf.blit(r, (rect.right - r.get_width() - 14, rect.centery - r.get_height() // 2))


class SimRenderer:
    """Draws frames; owns the pygame display (window=True) or an off-screen surface."""

    def __init__(self, world: World, window: bool = False, size: tuple[int, int] = SIZE) -> None:
        self.world = world
        self.window = window
        if not window:
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        pygame.display.init()
        pygame.font.init()
        if window:
            pygame.display.set_caption("Drone copilot")
            self.screen = pygame.display.set_mode(size)
        else:
            self.screen = pygame.Surface(size)
        self._trail: list[tuple[float, float]] = []
        self.log_rect = pygame.Rect(0, 0, 0, 0)  # where the last frame drew the log (mouse wheel)

    @property
    def driver(self) -> str:
        """SDL's video driver: "x11", "wayland", "windows", "cocoa"... or "dummy"/"offscreen"."""
        return pygame.display.get_driver()

    # ------------------------------------------------------------------ frames
    def draw(self, view: FrameView) -> pygame.Surface:
        s = self.screen
        s.fill(th.BG)
        if len(view.panes) == 1:
            self._single(s, view)
        else:
            self._compare(s, view)
        return s

    def _single(self, s: pygame.Surface, view: FrameView) -> None:
        pane = view.panes[0]
        w, h = s.get_size()
        map_rect = pygame.Rect(0, 0, w - 540, h)
        center = pane.center or (pane.state.x, pane.state.y)
        draw_map(
            s, map_rect, self.world, pane.state, pane.trail, pane.state.time, center, view.scale
        )
        if pane.mission is not None:  # bottom left: the minimap has the top left
            draw_checklist(s, map_rect, pane.mission, "bottomleft")
        panel.altitude_gauge(
            s, pygame.Rect(map_rect.right, 0, 60, h), pane.state, self.world.ceiling
        )
        x = map_rect.right + 60
        side = pygame.Rect(x, 0, w - x, h)
        pygame.draw.rect(s, th.PANEL, side)
        _header(s, pygame.Rect(x, 0, side.w, 56), pane)
        inner = side.inflate(-24, 0)
        panel.telemetry(s, pygame.Rect(inner.x, 64, inner.w, 150), pane.state)
        panel.flags_row(s, inner.x, 224, pane.state)
        panel.payload(s, pygame.Rect(inner.x, 256, inner.w, 170), pane.state, pane.state.time)
        self.log_rect = pygame.Rect(inner.x, 434, inner.w, h - 434 - 68)
        panel.event_log(s, self.log_rect, view.log, view.hint, view.log_scroll)
        thinking = pane.thinking
        panel.input_box(
            s,
            pygame.Rect(inner.x, h - 58, inner.w, 46),
            view.input_text,
            view.t,
            thinking,
            view.placeholder,
        )

    def _compare(self, s: pygame.Surface, view: FrameView) -> None:
        w, h = s.get_size()
        n = len(view.panes)
        pw = w // n
        for i, pane in enumerate(view.panes):
            x = i * pw
            _header(s, pygame.Rect(x, 0, pw, 44), pane, big=False)
            map_rect = pygame.Rect(x, 44, pw - 52, 380)
            center = pane.center or (pane.state.x, pane.state.y)
            draw_map(
                s,
                map_rect,
                self.world,
                pane.state,
                pane.trail,
                pane.state.time,
                center,
                view.scale * 0.8,
                minimap=False,
            )
            if pane.mission is not None:
                draw_checklist(s, map_rect, pane.mission, "topleft")
            panel.altitude_gauge(
                s, pygame.Rect(map_rect.right, 44, 52, 380), pane.state, self.world.ceiling
            )
            strip = pygame.Rect(x, 424, pw, 124)
            pygame.draw.rect(s, th.PANEL, strip)
            st = pane.state
            stats = (
                f"{st.altitude:.0f} m   {st.speed_kmh} km/h   {round(st.heading) % 360:03d}°   "
                f"battery {st.battery:.0f}%   x {st.x:+.0f} y {st.y:+.0f}"
            )
            s.blit(th.text(stats, 14, th.TEXT, bold=True), (x + 14, 434))
            panel.flags_row(s, x + 14, 460, st, size=9)
            panel.led_ring(s, (x + pw - 40, 510), 18, st, st.time)
            light = f"lights {st.lighting}   LED {st.led_pattern} {st.led_color or ''}".rstrip()
            cam = f"camera {st.camera_mode}" + (
                f"  REC {st.recording_left:.0f}s" if st.recording else ""
            )
            gimbal = f"gimbal {st.gimbal_tilt:+d}°/{st.gimbal_pan:+d}°"
            s.blit(th.text(f"{cam}   {gimbal}   {light}", 12, th.MUTED), (x + 14, 492))
            s.blit(
                th.text(f"{st.photos_taken} photos · {st.videos_recorded} videos", 12, th.MUTED),
                (x + 14, 512),
            )
            if i:
                pygame.draw.line(s, th.CARD_EDGE, (x, 0), (x, 548), 2)
        self.log_rect = pygame.Rect(12, 556, w - 24, h - 556 - 64)
        panel.event_log(s, self.log_rect, view.log, view.hint, view.log_scroll)
        thinking = " · ".join(p.thinking for p in view.panes if p.thinking)
        panel.input_box(
            s,
            pygame.Rect(12, h - 56, w - 24, 46),
            view.input_text,
            view.t,
            thinking,
            view.placeholder,
        )

    def present(self) -> None:
        if self.window:
            pygame.display.flip()

    # ------------------------------------------------------------------ helpers
    def camera_view(self, state: DroneState, size: tuple[int, int] = (640, 480)) -> pygame.Surface:
        """What the drone's camera sees, for photos and video frames.

        The ground seen from above, turned so the camera's direction (heading + gimbal pan) is up,
        shifted ahead as the gimbal tilts toward the horizon, zoomed by altitude.
        """
        w, h = size
        yaw = state.heading + state.gimbal_pan
        below = -state.gimbal_tilt  # degrees below the horizon: 90 = straight down
        alt = max(state.altitude, 2.0)
        ahead = 0.0 if below >= 89 else min(3 * alt, alt / math.tan(math.radians(max(below, 10))))
        cx = state.x + ahead * math.sin(math.radians(yaw))
        cy = state.y + ahead * math.cos(math.radians(yaw))
        scale = max(2.0, min(14.0, 260.0 / (alt + ahead * 0.5)))
        side = math.ceil(math.hypot(w, h)) + 4
        big = pygame.Surface((side, side))
        draw_map(
            big, big.get_rect(), self.world, state, (), state.time, (cx, cy), scale, photo=True
        )
        turned = pygame.transform.rotate(big, yaw)
        surf = pygame.Surface(size)
        surf.blit(turned, ((w - turned.get_width()) // 2, (h - turned.get_height()) // 2))
        for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):  # viewfinder corners
            x0, y0 = (16 if sx > 0 else w - 17), (16 if sy > 0 else h - 45)
            pygame.draw.line(surf, th.TEXT, (x0, y0), (x0 + 26 * sx, y0), 2)
            pygame.draw.line(surf, th.TEXT, (x0, y0), (x0, y0 + 26 * sy), 2)
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            start = (w // 2 + dx * 10, h // 2 + dy * 10)
            pygame.draw.line(surf, th.TEXT, start, (w // 2 + dx * 24, h // 2 + dy * 24), 2)
        if state.recording:
            surf.blit(th.text("● REC", 15, th.BAD, bold=True), (w - 86, 24))
        info = (
            f"ALT {state.altitude:.0f} m  HDG {round(state.heading) % 360:03d}°  "
            f"TILT {state.gimbal_tilt:+d}°  PAN {state.gimbal_pan:+d}°  T+{state.time:.1f}s"
        )
        band = pygame.Surface((w, 28), pygame.SRCALPHA)
        band.fill((0, 0, 0, 150))
        surf.blit(band, (0, h - 28))
        surf.blit(th.text(info, 13, th.TEXT, mono=True), (10, h - 22))
        return surf

    def render_state(self, state: DroneState, as_array: bool = False) -> Any:
        """One frame of a bare state (DroneSim.render): the single-drone layout, no log."""
        if not self._trail or self._trail[-1] != (state.x, state.y):
            self._trail.append((state.x, state.y))
            del self._trail[:-600]
        frame = self.draw(FrameView([PaneView("simulator", state, list(self._trail))]))
        if self.window:
            pygame.event.pump()
            self.present()
        if as_array:
            return pygame.surfarray.array3d(frame).swapaxes(0, 1)
        return None

    def reset(self) -> None:
        self._trail.clear()

    def close(self) -> None:
        if self.window:
            pygame.display.quit()


def save_png(surface: pygame.Surface, path: str | os.PathLike[str]) -> None:
    os.makedirs(os.path.dirname(os.fspath(path)) or ".", exist_ok=True)
    pygame.image.save(surface, os.fspath(path))
