"""A `Pilot`: one simulated drone, the model that flies it, and the work between them.

Typed text goes to the model in a background thread (the UI never waits on it); the answer's tool
calls run on the pure core; photos and video frames are written to the captures folder. The app
has one pilot, or two in `--compare` mode. The model is reached only through
`copilot.backends.registry.get_backend(name)` and the `Backend` protocol.

One call runs at once (queued behind any motion still flying, as ever). A plan of 2 to 4 calls
becomes a `Mission`: checked whole first, then flown step by step in real time by `tick`.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from copilot import FUNCTION_NAMES, Completion, Copilot, ToolCall, tools, turn_messages
from simulator.core import (
    Ack,
    DroneState,
    World,
    advance,
    as_tool_call,
    execute,
    run_until_idle,
    start_state,
)
from simulator.mission import Mission, steps
from simulator.render.panel import LogLine

VIDEO_FRAME_EVERY = 1.0  # seconds of flight between saved video frames
_BACKENDS: dict[str, Any] = {}  # one backend per model name per process: models load once
_BACKENDS_LOCK = threading.Lock()


def backend_for(name: str) -> Any:
    """The backend for a model name, built once. Raises the registry's one-line errors."""
    with _BACKENDS_LOCK:
        if name not in _BACKENDS:
            from copilot import get_backend

            _BACKENDS[name] = get_backend(name)
        return _BACKENDS[name]


def ask_model(backend: Any, messages: list[dict[str, Any]]) -> Completion:
    """One request to a backend. Never raises: any failure is a Completion with an error."""
    start = time.perf_counter()
    try:
        completion = backend.complete(messages, tools=tools())
    except Exception as exc:  # the protocol says complete() never raises; a bug must not kill us
        completion = Completion(error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    if not completion.latency_ms:
        completion.latency_ms = (time.perf_counter() - start) * 1000
    return completion


def looks_like_call(text: str) -> bool:
    """Whether typed text is a tool call to run as-is (JSON, or `name(...)`), not a command."""
    s = text.strip()
    if s.startswith("{"):
        return True
    head = s.split("(", 1)[0].strip()
    return "(" in s and head in FUNCTION_NAMES


@dataclass
class _Job:
    text: str
    started: float
    conversation: Copilot | None = None
    result: Completion | None = None
    thread: threading.Thread | None = None


@dataclass
class Pilot:
    """One drone and the model flying it."""

    model: str
    world: World
    log: Callable[[LogLine], None]
    captures: Path = Path("captures")
    tag: str = ""  # shown on log lines in compare mode
    airborne: bool = False
    renderer: Any = None  # a SimRenderer, for photos and video frames (None: no captures)
    state: DroneState = field(init=False)
    trail: list[tuple[float, float]] = field(default_factory=list)
    status: str = ""
    job: _Job | None = None
    mission: Mission | None = None  # the current plan (kept after it ends, for its checklist)
    _conversations: dict[str, Copilot] = field(default_factory=dict)
    _video_clock: float = 0.0
    _video_frame: int = 0

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back on the pad, with every conversation forgotten."""
        self._conversations.clear()
        self.state = start_state(self.world, self.airborne)
        self.trail = [(self.state.x, self.state.y)]
        self.status = ""
        self.mission = None

    def _log(self, text: str, kind: str) -> None:
        self.log(LogLine(text, kind, self.tag))

    # ------------------------------------------------------------------ the model
    @property
    def busy(self) -> bool:
        return self.job is not None

    def thinking(self, now: float | None = None) -> str:
        if self.job is None:
            return ""
        elapsed = (now if now is not None else time.perf_counter()) - self.job.started
        return f"thinking… {elapsed:.1f} s"

    def ask(self, text: str, wait: bool = False) -> None:
        """Send a command to the model: in a daemon thread (so closing the window never waits),
        or in this thread with wait=True (headless scripts)."""
        if self.job is not None:
            self._log(f"{self.model} is still answering; wait for it", "error")
            return
        try:
            conversation = self._conversation()
        except Exception as exc:  # unknown model, missing adapter or key: one line in the log
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._log(f"{self.model}: {reason}", "error")
            return
        messages = conversation.messages_for(text)
        job = _Job(text, time.perf_counter(), conversation=conversation)
        self.job = job

        def work() -> None:
            job.result = ask_model(conversation.backend, messages)

        if wait:
            work()
            self.poll()
            return
        job.thread = threading.Thread(target=work, name=f"model-{self.model}", daemon=True)
        job.thread.start()

    def poll(self) -> None:
        """Run the calls of a finished answer (call once per frame)."""
        job = self.job
        if job is None or job.result is None:
            return
        if self.plan_pending:  # a typed plan is still flying: its steps go first
            return
        self.job = None
        c = job.result
        self.status = f"{c.latency_ms:,.0f} ms"
        if c.error:
            raw = f" (output: {c.raw.strip()[:80]!r})" if c.raw.strip() else ""
            self._log(f"{self.model}: {c.error}{raw}", "error")
            return
        if c.calls:
            self.run_calls(c.calls, job.text, job.conversation)

    def _conversation(self) -> Copilot:
        """The conversation with the current model (history kept per model, as `Copilot` does)."""
        conversation = self._conversations.get(self.model)
        if conversation is None:
            conversation = Copilot(backend_for(self.model), sim=None, fly=False)  # the app flies
            self._conversations[self.model] = conversation
        return conversation

    # ------------------------------------------------------------------ plans
    @property
    def plan_pending(self) -> bool:
        """A plan has steps still to start: new commands wait (or the user cancels them)."""
        return self.mission is not None and self.mission.pending

    def plan_busy(self) -> bool:
        """Whether a plan still has steps to start; if so the log says that commands wait."""
        m = self.mission
        if m is None or not m.pending:
            return False
        self._log(
            f"a plan is still running (step {m.next_step} of {len(m.calls)}): wait for it, "
            "or press Space on an empty command line to cancel the rest",
            "error",
        )
        return True

    def run_calls(self, calls: Sequence[Any], text: str = "", conversation: Any = None) -> None:
        """The calls one command yields. One call runs at once; 2 to 4 are a plan, checked whole,
        then flown step by step. With a model `conversation`, the turn joins its history once
        every step has its ack."""
        if self.plan_busy():
            return
        if len(calls) == 1:
            self.mission = None
            ack = self.run_call(calls[0])
            if conversation is not None:  # the model sees this turn next time
                conversation.history.append(turn_messages(text, list(calls), [ack]))
            return
        mission = Mission.checked(calls, command=text, conversation=conversation)
        if isinstance(mission, str):
            self._log(f"plan not run: {mission}", "failed")
            return
        self.mission = mission
        self._log(f"plan of {steps(len(mission.calls))}, each flown before the next", "info")
        self._advance_mission()

    def cancel_plan(self) -> bool:
        """Skip the plan's steps not yet started (the cancel key). False if there were none."""
        m = self.mission
        if m is None or not m.pending:
            return False
        skipped = m.cancel()
        self._log(f"plan cancelled: {steps(len(skipped))} skipped", "note")
        self._log_steps(skipped)
        self._record(m)
        return True

    def _advance_mission(self) -> None:
        """Start every plan step that may start now (the one before it flown), logging each."""
        m = self.mission
        while m is not None:
            before = self.state
            self.state, news = m.step(self.state, self.world)
            if not news:
                break
            self._log_steps(news)
            self._captured(before)
        if m is not None:
            self._record(m)

    def _log_steps(self, news: Sequence[tuple[int, Ack]]) -> None:
        m = self.mission
        assert m is not None
        for i, ack in news:
            self._log(f"{i + 1}/{len(m.calls)} {m.labels[i][:200]}", "call")
            self._log(str(ack), ack.status)

    @staticmethod
    def _record(m: Mission) -> None:
        """Once every step has its ack, the model's conversation gets the turn (skipped steps
        included, one tool message per call)."""
        if m.conversation is not None and not m.pending:
            m.conversation.history.append(turn_messages(m.command, list(m.calls), list(m.acks)))
            m.conversation = None

    # ------------------------------------------------------------------ the drone
    def run_call(self, call: Any) -> Ack:
        before = self.state
        self.state, ack = execute(self.state, call, self.world)
        checked = as_tool_call(call)
        shown = str(checked) if isinstance(checked, ToolCall) else str(call)
        self._log(shown.strip()[:200], "call")
        self._log(str(ack), ack.status)
        self._captured(before)
        return ack

    def _captured(self, before: DroneState) -> None:
        """Save the photo a command just took; start the frames of a video it just began."""
        if self.state.photos_taken > before.photos_taken:
            self._save_photo()
        if self.state.videos_recorded > before.videos_recorded:
            self._video_clock, self._video_frame = 0.0, 0

    def fast_forward(self) -> None:
        """Jump to the end of the current motion and of every plan step still to fly."""
        for _ in range(len(self.mission.calls) + 1 if self.mission else 1):
            self.tick(max(0.0, run_until_idle(self.state, self.world).time - self.state.time))
            if self.state.idle and not self.plan_pending:
                return

    def tick(self, dt: float) -> None:
        """Fly for dt seconds: motion, trail, notes the drone raised, video frames; then start
        the plan's next step if the one before it is flown."""
        if dt > 0:
            self._fly(dt)
        if self.mission is not None and self.mission.flying:
            self._advance_mission()

    def _fly(self, dt: float) -> None:
        recording = self.state.recording
        self.state = advance(self.state, self.world, dt)
        last = self.trail[-1] if self.trail else None
        if last is None or math.dist(last, (self.state.x, self.state.y)) > 0.7:
            self.trail.append((self.state.x, self.state.y))
            del self.trail[:-1500]
        if self.state.notes:
            for note in self.state.notes:
                self._log(note, "crash" if note.startswith("CRASH") else "note")
            self.state = replace(self.state, notes=())
        if recording and self.renderer is not None:
            self._video_clock += dt
            if self._video_clock >= VIDEO_FRAME_EVERY or self._video_frame == 0:
                self._video_clock = 0.0
                self._save_video_frame()

    @property
    def _prefix(self) -> str:
        """File-name prefix in compare mode: the model name made safe for a path."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.tag).strip("_") + "-" if self.tag else ""

    def _save_photo(self) -> None:
        if self.renderer is None:
            return
        from simulator.render.frame import save_png

        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{self._prefix}photo-{self.state.photos_taken:03d}-{stamp}.png"
        path = self.captures / name
        save_png(self.renderer.camera_view(self.state), path)
        self._log(f"photo saved: {path}", "info")

    def _save_video_frame(self) -> None:
        from simulator.render.frame import save_png

        folder = self.captures / f"{self._prefix}video-{self.state.videos_recorded:03d}"
        self._video_frame += 1
        save_png(
            self.renderer.camera_view(self.state, (320, 240)),
            folder / f"frame-{self._video_frame:04d}.png",
        )
        if self._video_frame == 1:
            self._log(f"recording frames to {folder}/", "info")
