"""The Pygame app: fly the drone by typing, watch one model (or two side by side) fly it.

Interactive: `App(...).run()`. Headless: `App(..., window=False).run_script(lines, ...)` renders
the same frames off-screen and saves them. The CLI is in `simulator.__main__`.

A command that yields a plan (several calls from the model, or calls typed with `;` between them)
is checked whole, then flown step by step in real time, with a checklist on each drone's map.
Space on an empty command line cancels the steps not yet started.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from simulator.core import World
from simulator.mission import Mission, split_plan
from simulator.pilot import Pilot, looks_like_call
from simulator.render.frame import DEFAULT_SCALE, FrameView, PaneView, SimRenderer, save_png
from simulator.render.panel import LogLine
from simulator.render.theme import led_colors
from simulator.script import ScriptLine

FPS = 60
MAX_LOG = 400
KEY_HINT = "Tab model · PgUp/PgDn zoom · F12 shot · Esc quit"
PLAN_KEY_HINT = "Space cancels the plan · PgUp/PgDn zoom · Esc quit"  # while a plan has steps left
PLAN_PLACEHOLDER = "Plan running: Space cancels the steps not started yet"


def follow(
    center: tuple[float, float], target: tuple[float, float], dt: float
) -> tuple[float, float]:
    """Ease the camera toward the drone (about a third of a second to catch up)."""
    k = min(1.0, dt * 4.0)
    return center[0] + (target[0] - center[0]) * k, center[1] + (target[1] - center[1]) * k


class App:
    """One or two pilots, a renderer, the event log and the text box."""

    def __init__(
        self,
        models: Sequence[str],
        *,
        compare: bool = False,
        window: bool = True,
        world: World | None = None,
        captures: Path = Path("captures"),
        time_scale: float = 1.0,
        airborne: bool = False,
        echo: Callable[[LogLine], None] | None = None,
    ) -> None:
        self.world = world or World()
        self.models = list(models)
        self.renderer = SimRenderer(self.world, window=window)
        self.log: list[LogLine] = []
        self.echo = echo
        names = self.models[:2] if compare else self.models[:1]
        self.pilots = [
            Pilot(
                name,
                self.world,
                self._add_log,
                captures,
                tag=name if compare else "",
                airborne=airborne,
                renderer=self.renderer,
            )
            for name in names
        ]
        self.centers = [(p.state.x, p.state.y) for p in self.pilots]
        self.captures = captures
        self.time_scale = time_scale
        self.scale = DEFAULT_SCALE
        self.input_text = ""
        self.history: list[str] = []
        self.history_pos = 0
        self.started = time.perf_counter()
        self.fps = 0.0
        self.log_scroll = 0  # mouse wheel over the log scrolls back
        self.pending: list[str] = []  # script lines still to send, one whenever the drones are idle

    def _add_log(self, line: LogLine) -> None:
        self.log_scroll = 0  # something new: show the newest lines
        self.log.append(line)
        del self.log[:-MAX_LOG]
        if self.echo is not None:
            self.echo(line)

    # ------------------------------------------------------------------ commands
    def submit(self, text: str, wait: bool = False) -> None:
        """A typed line: tool calls run on every drone; anything else goes to the model(s)."""
        text = text.strip()
        if not text:
            return
        if looks_like_call(text):  # tool calls typed by hand: run them as-is, no model
            self.run_call(text)
            return
        self._add_log(LogLine(text, "user"))
        busy = [p.model for p in self.pilots if p.busy]
        if busy:
            self._add_log(
                LogLine(f"{', '.join(busy)} still thinking: wait for the answer", "error")
            )
            return
        for pilot in self.pilots:
            if not pilot.plan_busy():
                pilot.ask(text, wait=wait)

    def run_call(self, call: object) -> None:
        """One call, or a plan (a list of calls, or calls typed with `;` between them), on every
        drone. A bad plan is refused once, in one line, whatever the number of drones."""
        if isinstance(call, str):
            calls = split_plan(call)
        else:
            calls = list(call) if isinstance(call, list | tuple) else [call]
        if len(calls) != 1:
            checked = Mission.checked(calls)
            if isinstance(checked, str):
                self._add_log(LogLine(f"plan not run: {checked}", "failed"))
                return
        for pilot in self.pilots:
            pilot.run_calls(calls)

    def cancel_plans(self) -> bool:
        """The cancel key: every drone's plan skips the steps it has not started."""
        return any([pilot.cancel_plan() for pilot in self.pilots])

    def switch_model(self) -> None:
        """Tab: the next model in the list flies the (single) drone."""
        if len(self.pilots) != 1 or len(self.models) < 2:
            return
        pilot = self.pilots[0]
        pilot.model = self.models[(self.models.index(pilot.model) + 1) % len(self.models)]
        pilot.status = ""
        self._add_log(LogLine(f"model switched to {pilot.model}", "info"))

    def reset(self) -> None:
        for pilot in self.pilots:
            pilot.reset()  # a plan in progress is dropped with its drone
        self.centers = [(p.state.x, p.state.y) for p in self.pilots]
        self._add_log(LogLine("simulation reset", "info"))

    # ------------------------------------------------------------------ frames
    def update(self, dt: float) -> None:
        if self.pending and self.idle:
            self.submit(self.pending.pop(0))
        for i, pilot in enumerate(self.pilots):
            pilot.poll()
            pilot.tick(dt * self.time_scale)
            self.centers[i] = follow(self.centers[i], (pilot.state.x, pilot.state.y), dt)

    def frame(self):
        return self.renderer.draw(self.view())

    def view(self) -> FrameView:
        """What the next frame shows, as plain data."""
        now = time.perf_counter()
        panes = [
            PaneView(
                p.model, p.state, p.trail, p.status, p.thinking(now), self.centers[i], p.mission
            )
            for i, p in enumerate(self.pilots)
        ]
        planning = any(p.plan_pending for p in self.pilots)
        hint = PLAN_KEY_HINT if planning else KEY_HINT
        if self.fps:
            hint = f"{self.fps:.0f} fps · {hint}"
        view = FrameView(
            panes,
            self.log,
            self.input_text,
            now - self.started,
            self.scale,
            hint,
            log_scroll=self.log_scroll,
        )
        if planning:
            view.placeholder = PLAN_PLACEHOLDER
        return view

    def screenshot(self, path: Path) -> Path:
        save_png(self.frame(), path)
        return path

    # ------------------------------------------------------------------ headless
    @property
    def idle(self) -> bool:
        """Every drone done: motion flown, camera jobs over, no answer awaited, no step left."""
        return all(p.state.idle and not p.busy and not p.plan_pending for p in self.pilots)

    def run_script(
        self,
        lines: Sequence[ScriptLine],
        frames: Path | None = None,
        fps: float = 10.0,
        max_seconds: float = 120.0,
        screenshot: Path | None = None,
    ) -> int:
        """Fly a script off-screen: each command, then its animation until the drones are idle
        (fast-forwarding past `max_seconds`). Returns how many frames were saved."""
        saved = 0
        dt = 1.0 / fps

        def shoot() -> None:
            nonlocal saved
            if frames is not None:
                saved += 1
                save_png(self.frame(), frames / f"frame-{saved:05d}.png")

        for line in lines:
            if line.kind in ("call", "plan"):
                self.run_call(line.value)
            else:
                self.submit(line.value, wait=True)
            flown = 0.0
            while not self.idle and flown < max_seconds:
                self.update(dt)
                self.centers = [(p.state.x, p.state.y) for p in self.pilots]
                flown += dt
                shoot()
            if not self.idle:
                self._add_log(LogLine(f"fast-forwarding past {max_seconds:.0f} s", "info"))
                for pilot in self.pilots:
                    pilot.fast_forward()
            for _ in range(max(1, int(fps * 0.5))):  # hold a moment so each effect is seen
                self.update(dt)
                shoot()
        if screenshot is not None:
            self._settle_leds()
            self.screenshot(screenshot)
        return saved

    def _settle_leds(self) -> None:
        """Advance a few frames until a blinking LED ring is lit, so a still shows its colour."""
        for _ in range(120):
            if all(
                p.state.led_pattern == "off" or any(led_colors(p.state, p.state.time))
                for p in self.pilots
            ):
                return
            self.update(1 / FPS)

    # ------------------------------------------------------------------ interactive
    def run(self) -> int:
        import pygame

        clock = pygame.time.Clock()
        pygame.key.start_text_input()
        self._add_log(
            LogLine(f"model: {', '.join(p.model for p in self.pilots)} — type a command", "info")
        )
        for note in model_notes([p.model for p in self.pilots]):
            self._add_log(LogLine(note, "note"))
        running = True
        while running:
            dt = min(clock.tick(FPS) / 1000.0, 0.1)
            self.fps = clock.get_fps()
            for event in pygame.event.get():
                running = self.handle(event) and running
            self.update(dt)
            self.frame()
            self.renderer.present()
        self.renderer.close()
        return 0

    def handle(self, event) -> bool:
        """One pygame event; False to quit."""
        import pygame

        if event.type == pygame.QUIT:
            return False
        if event.type == pygame.TEXTINPUT:
            if self.input_text or event.text.strip():  # a leading space types nothing
                self.input_text += event.text
        elif event.type == pygame.MOUSEWHEEL:
            if self.renderer.log_rect.collidepoint(pygame.mouse.get_pos()):
                self.log_scroll = max(0, self.log_scroll + 3 * event.y)
            else:
                self.zoom(1.15 if event.y > 0 else 1 / 1.15)
        elif event.type == pygame.KEYDOWN:
            key, mods = event.key, event.mod
            if key == pygame.K_ESCAPE:
                return False
            if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                if self.input_text.strip():
                    self.history.append(self.input_text)
                    self.history_pos = len(self.history)
                self.submit(self.input_text)
                self.input_text = ""
            elif key == pygame.K_SPACE and not self.input_text:
                if not self.cancel_plans():
                    self._add_log(LogLine("no plan running: nothing to cancel", "info"))
            elif key == pygame.K_BACKSPACE:
                self.input_text = self.input_text[:-1]
            elif key == pygame.K_TAB:
                self.switch_model()
            elif key == pygame.K_UP and self.history:
                self.history_pos = max(0, self.history_pos - 1)
                self.input_text = self.history[self.history_pos]
            elif key == pygame.K_DOWN and self.history:
                self.history_pos = min(len(self.history), self.history_pos + 1)
                self.input_text = (
                    self.history[self.history_pos] if self.history_pos < len(self.history) else ""
                )
            elif key == pygame.K_F12:
                path = self.screenshot(
                    self.captures / f"screenshot-{time.strftime('%Y%m%d-%H%M%S')}.png"
                )
                self._add_log(LogLine(f"screenshot saved: {path}", "info"))
            elif key == pygame.K_r and mods & pygame.KMOD_CTRL:
                self.reset()
            elif key in (pygame.K_PAGEUP, pygame.K_PAGEDOWN):
                self.zoom(1.2 if key == pygame.K_PAGEUP else 1 / 1.2)
        return True

    def zoom(self, factor: float) -> None:
        self.scale = max(0.5, min(8.0, self.scale * factor))


def model_notes(models: Sequence[str]) -> list[str]:
    """Why a named model cannot answer here (missing adapter or key), before anyone types."""
    try:
        from copilot import list_models

        known = {m.name: m for m in list_models()}
    except Exception:  # the registry is optional for flying tool calls
        return []
    return [
        f"{name} unavailable: {known[name].note}"
        for name in models
        if name in known and not known[name].available
    ]
